{{ config(materialized='view') }}
{#-
  Calibrated scores for every row of the source (DESIGN step 8).
  corrected_logit: the population log odds, theta^ . x-dot from the final
  (offset) fit, plus the intercept update when `negsample:recalibrate_intercept`
  is on. sample_logit = corrected_logit - ln(pi): what a model trained on the
  kept rows without the offset reports for that row, so that
  corrected_logit = sample_logit + ln(sampling_prob) (negsample.correct_log_odds).
-#}
{%- set cfg = negsample._config() -%}

with final_scores as (
    select * from {{ ref('negsample_final_scores') }}
),

intercept_update as (
    select case when is_applied then intercept_delta else 0.0 end as delta
    from {{ ref('negsample_intercept_update') }}
),

corrected as (
    select
        final_scores.*,
        final_scores.final_logit + intercept_update.delta as corrected_logit
    from final_scores
    cross join intercept_update
)

select
    {{ negsample._row_columns(cfg) }}
    pilot_prob,
    sampling_prob,
    is_sampled,
    corrected_logit - ln(sampling_prob) as sample_logit,
    corrected_logit,
    {{ negsample.sigmoid('corrected_logit') }} as corrected_prob
from corrected
