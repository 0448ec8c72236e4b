{#-
  <design>_pilot_sample, docs/method.md step 1: every positive, and each negative
  with probability rho0 = min(1, pilot_ratio * N1 / N0) (from the source
  check), drawn from the 'pilot' stream of the seeded uniform (kept in
  pilot_uniform). log_odds_offset = -ln(rho0) moves the pilot fit to the
  population scale. Empty when the pilot is not fitted here (coefficients
  from a relation, or p~ from the pilot_score_column alone) and when a frozen
  design's stored pilot serves: then nothing reads the source.
-#}
{% macro _model_pilot_sample(cfg) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
  {%- set skipped = cfg.pilot_source != 'python' or negsample._frozen_state(cfg) == 'reuse' -%}
with input_rows as (
    select * from {{ negsample._design_ref(cfg, 'input') }}
),

pilot_rate as (
    select pilot_rate from {{ negsample._design_ref(cfg, 'source_check') }}
),

-- The uniform is a column here, computed once per row, and filtered below.
drawn as (
    select
        input_rows.*,
        pilot_rate.pilot_rate,
        {{ negsample.uniform('input_rows.negsample_key', cfg.seed, 'pilot') }} as pilot_uniform
    from input_rows
    cross join pilot_rate
    {%- if skipped %}
    where 1 = 0
    {%- endif %}
    {{ negsample._optimization_fence() }}
)

select
    drawn.*,
    -ln(drawn.pilot_rate) as log_odds_offset
from drawn
where
    drawn.{{ label }} = 1
    or drawn.pilot_uniform < drawn.pilot_rate
{%- endmacro %}
