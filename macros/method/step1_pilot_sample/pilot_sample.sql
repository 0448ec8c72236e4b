{#-
  <design>_pilot_sample, docs/method.md steps 1 and 4: the pilot pass, the
  second of a build's passes over the source. Every positive, and each
  negative whose seeded uniform of the 'pilot' stream (pilot_uniform) is
  below rho_s, the scale sample's rate (min(1, max(rho0, scale_sample_size
  / N0)), from the source check). The negatives below rho0 = min(1,
  pilot_ratio * N1 / N0) are the pilot's (is_pilot_row): the pilot fit
  reads those rows, with log_odds_offset = -ln(rho0), which moves it to the
  population scale. The others, drawn by the same uniform, are a larger
  uniform share of the negatives that holds the pilot's: w, the scale c,
  M~, Sigma~ and the figures the design estimates over every negative are
  estimated on all of them, each negative standing for 1 / rho_s of the
  population's.
-#}
{% macro _model_pilot_sample(cfg) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
with input_rows as (
    select * from {{ negsample._design_ref(cfg, 'input') }}
),

rates as (
    select pilot_rate, scale_rate from {{ negsample._design_ref(cfg, 'source_check') }}
),

{{ negsample._column_layers('input_rows', negsample._uniform_layers('negsample_key', cfg.seed, [('pilot_uniform', 'pilot')]), 'drawn_rows') }},

-- The uniform is a column, computed once per row, and filtered below.
fenced_rows as (
    select
        drawn_rows.*,
        rates.pilot_rate,
        rates.scale_rate
    from drawn_rows
    cross join rates
    {{ negsample._optimization_fence() }}
)

select
    {%- for column in negsample._input_columns(cfg) %}
    {{ column }},
    {%- endfor %}
    pilot_rate,
    scale_rate,
    pilot_uniform,
    ({{ label }} = 1 or pilot_uniform < pilot_rate) as is_pilot_row,
    -ln(pilot_rate) as log_odds_offset
from fenced_rows
where
    {{ label }} = 1
    or pilot_uniform < scale_rate
{%- endmacro %}
