{{ config(materialized=('incremental' if negsample._config().freeze_design else 'table')) }}
{#-
  DESIGN step 1: every positive, and each negative with probability
  rho0 = min(1, pilot_ratio * N1 / N0), drawn from the 'pilot' stream
  (the draw is kept in pilot_uniform).
  log_odds_offset = -ln(rho0) moves the pilot fit to the population scale.
-#}
{%- set cfg = negsample._config() -%}
{#- A frozen design keeps the stored pilot sample (see negsample:freeze_design). -#}
{%- if is_incremental() %}
select * from {{ this }} where 1 = 0
{%- else %}
{%- set label = adapter.quote(cfg.label_column) -%}

with input_rows as (
    select * from {{ ref('negsample_input') }}
),

class_counts as (
    select
        sum(case when {{ label }} = 1 then 1 else 0 end) as n_positive,
        sum(case when {{ label }} = 0 then 1 else 0 end) as n_negative
    from input_rows
),

pilot_rate as (
    select
        least(
            1.0,
            {{ negsample._as_double(cfg.pilot_ratio) }} * cast(n_positive as {{ negsample._double() }})
            / cast(n_negative as {{ negsample._double() }})
        ) as pilot_rate
    from class_counts
),

-- The uniform is a column here, computed once per row, and filtered below.
drawn as (
    select
        input_rows.*,
        pilot_rate.pilot_rate,
        {{ negsample.uniform('input_rows.negsample_key', cfg.seed, 'pilot') }} as pilot_uniform
    from input_rows
    cross join pilot_rate
    {{ negsample._optimization_fence() }}
)

select
    drawn.*,
    -ln(drawn.pilot_rate) as log_odds_offset
from drawn
where
    drawn.{{ label }} = 1
    or drawn.pilot_uniform < drawn.pilot_rate
{%- endif %}
