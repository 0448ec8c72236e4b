{{ config(materialized='view') }}
{#-
  The final (offset) fit's population log odds theta^ . x-dot for every row
  of the source, before the optional intercept update. negsample_scored adds
  that update; negsample_intercept_update measures it.
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
    {{ negsample._row_columns(cfg) }}
    pilot_prob,
    sampling_prob,
    is_sampled,
    corrected_logit as final_logit
from corrected
