{{ config(materialized=('incremental' if negsample._config().freeze_design else 'table')) }}
{#-
  One row: the class counts, w = mean score over the negatives (DESIGN step 4)
  and the scale c of pi = min(1, max(floor * rho, c * t)) (step 5), for
  budget 'paper' (c = rho / w) or 'exact' (sum of pi over negatives = rho * N0).
  The solve lives in the macro negsample._sampling_scale.
-#}
{%- set cfg = negsample._config() -%}

{#- A frozen design keeps the stored scale (see negsample:freeze_design). -#}
{%- if is_incremental() %}
select * from {{ this }} where 1 = 0
{%- else %}

with scores as (
    select
        {{ adapter.quote(cfg.label_column) }} as label_value,
        sampling_score
    from {{ ref('negsample_pilot_scores') }}
),

scale as (
    {{ negsample._sampling_scale('scores', cfg.sampling_rate, cfg.floor, cfg.budget) }}
)

select
    scale.*,
    {{ negsample._string_literal(negsample._design_key(cfg)) }} as design_key
from scale
{%- endif %}
