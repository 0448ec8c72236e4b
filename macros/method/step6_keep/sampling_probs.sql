{#-
  <design>_sampling_probs, a view: docs/method.md steps 3-6 for every row of
  the source, from the design's parameters: the pilot's log odds and
  probability, the score t, pi(x), whether the cap or the floor bound it,
  the seeded uniform u ('sample' stream) and the keep flag. pi is defined
  for positives too: the probability that a negative at that x would be
  kept. Nothing is stored and no build reads it: a query pays for it, for
  an audit ("why was this row kept") or to correct an external model's
  score (docs/method.md step 8). Its keep flags are <design>_sample's rows.
-#}
{% macro _model_sampling_probs(cfg) -%}
  {%- set pilot = negsample._design_ref(cfg, 'pilot_coefficients') -%}
  {%- set levels = negsample._categorical_levels(pilot, 'pilot') -%}
with input_rows as (
    select * from {{ negsample._design_ref(cfg, 'input') }}
),

scale_row as (
    {{ negsample._scale_row(cfg, negsample._design_ref(cfg, 'sampling_scale')) }}
),

{{ negsample._pilot_score_ctes(cfg, 'input_rows', pilot, negsample._score_mode(cfg), 'scored_rows', levels) }},

{{ negsample._draw_uniform_ctes(cfg, 'scored_rows', 'drawn_rows') }},

scaled_rows as (
    select
        drawn_rows.*,
        scale_row.*
    from drawn_rows
    cross join scale_row
),

{{ negsample._keep_ctes(cfg, 'scaled_rows', 'kept_rows') }}

select
    {%- for column in negsample._input_columns(cfg) if column != 'negsample_pilot_score' %}
    {{ column }},
    {%- endfor %}
    pilot_logit,
    pilot_prob,
    n_unseen_levels,
    sampling_score,
    sampling_prob,
    is_capped,
    is_floored,
    sample_uniform,
    is_sampled
from kept_rows
{%- endmacro %}
