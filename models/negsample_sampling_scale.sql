{{ config(materialized='table') }}
{#-
  One row: the class counts, w = mean score over the negatives (DESIGN step 4)
  and the scale c of pi = min(1, max(floor * rho, c * t)) (step 5), for
  budget 'paper' (c = rho / w) or 'exact' (sum of pi over negatives = rho * N0).
  The solve lives in the macro negsample._sampling_scale.
-#}
{%- set cfg = negsample._config() -%}

with scores as (
    select
        {{ adapter.quote(cfg.label_column) }} as label_value,
        sampling_score
    from {{ ref('negsample_pilot_scores') }}
),

scale as (
    {{ negsample._sampling_scale('scores', cfg.sampling_rate, cfg.floor, cfg.budget) }}
)

select * from scale
