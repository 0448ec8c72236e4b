{{ config(materialized='view') }}
{#-
  Calibrated scores for every row of the source (DESIGN step 8).
  corrected_logit = theta^ . x-dot from the final (offset) fit: the population
  log odds. sample_logit = corrected_logit - ln(pi): what a model trained on
  the kept rows without the offset reports for that row, so that
  corrected_logit = sample_logit + ln(sampling_prob) (negsample.correct_log_odds).
-#}
{%- set cfg = negsample._config() -%}
{%- set coefficients = ref('negsample_final_coefficients') -%}
{%- set design = negsample._design_terms(coefficients) -%}

with probs as (
    select * from {{ ref('negsample_sampling_probs') }}
),

final_coefficients as (
    {{ negsample._pivot_coefficients(coefficients, design.terms, 'final') }}
),

corrected as (
    select
        probs.*,
        {{ negsample._linear_predictor(design.terms, 'final_coefficients') }} as corrected_logit
    from probs
    cross join final_coefficients
)

select
    {{ adapter.quote(cfg.id_column) }},
    {{ adapter.quote(cfg.label_column) }},
    {%- for name in cfg.numeric_features + cfg.categorical_features %}
    {{ adapter.quote(name) }},
    {%- endfor %}
    pilot_prob,
    sampling_prob,
    is_sampled,
    corrected_logit - ln(sampling_prob) as sample_logit,
    corrected_logit,
    {{ negsample.sigmoid('corrected_logit') }} as corrected_prob
from corrected
