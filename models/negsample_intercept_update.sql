{{ config(materialized='table') }}
{#-
  One row: calibration in the large of the final fit over the full table and
  the one-step intercept update delta = (N1 - sum p) / sum p(1 - p) that
  closes the gap (one aggregate pass). negsample_scored adds delta to every
  log odds when `negsample:recalibrate_intercept` is true.
-#}
{%- set cfg = negsample._config() -%}

with final_rows as (
    select
        {{ adapter.quote(cfg.label_column) }} as label_value,
        final_logit
    from {{ ref('negsample_final_scores') }}
),

updated as (
    {{ negsample._intercept_update('final_rows', 'final_logit', 'label_value') }}
)

select
    n_rows,
    n_positive,
    mean_prob,
    cast(n_positive as {{ negsample._double() }}) / n_rows as observed_rate,
    intercept_delta,
    {{ 'true' if cfg.recalibrate_intercept else 'false' }} as is_applied
from updated
