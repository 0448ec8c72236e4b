{{ config(materialized=('incremental' if negsample._config().freeze_design else 'table')) }}
{#-
  The kept rows (DESIGN step 6) with what the final fit needs:
  log_odds_offset = -ln(pi) on every kept row, positives included, and the
  inverse-probability weight (1/pi on negatives, 1 on positives).
-#}
{%- set cfg = negsample._config() -%}
{%- set label = adapter.quote(cfg.label_column) -%}

select
    {{ negsample._row_columns(cfg, 'probs') }}
    probs.pilot_prob,
    probs.sampling_prob,
    -ln(probs.sampling_prob) as log_odds_offset,
    case when probs.{{ label }} = 1 then 1.0 else 1.0 / probs.sampling_prob end as ipw_weight
from {{ ref('negsample_sampling_probs') }} as probs
where probs.is_sampled
{%- if is_incremental() %}
    -- A frozen design appends the rows kept among the new ones.
    and probs.{{ adapter.quote(cfg.id_column) }} not in (
        select kept.{{ adapter.quote(cfg.id_column) }} from {{ this }} as kept
    )
{%- endif %}
