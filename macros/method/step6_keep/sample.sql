{#-
  <design>_sample, docs/method.md step 6: the keep-flag pass, the one pass
  of a build that computes the pilot score t on every row of the source.
  Every positive is kept, and each negative whose seeded uniform u is below
  pi(x) (or, with reuse_pilot, that the pilot's draw kept). The pass first
  computes a cheap upper bound of t (_pilot_score_ctes, bounded: for the
  matrix scores p~ times a bound on the form's norm times ||x-dot||), keeps
  as candidates the rows that u could keep at that bound, and computes t,
  pi and the keep flag exactly on those alone: the decision is the exact
  one, and the matrix form is paid on the few candidate rows.

  Each kept row carries what the final fit needs: log_odds_offset = -ln(pi)
  on every kept row, positives included, and the inverse-probability
  weight (1/pi on negatives, 1 on positives); and whether the cap or the
  floor bound its pi. Rebuilt from the current source at every build, a
  frozen design's too.
-#}
{% macro _model_sample(cfg) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
  {%- set pilot = negsample._design_ref(cfg, 'pilot_coefficients') -%}
  {%- set levels = negsample._categorical_levels(pilot, 'pilot') -%}
  {%- set mode = negsample._score_mode(cfg) -%}
with input_rows as (
    select * from {{ negsample._design_ref(cfg, 'input') }}
),

scale_row as (
    {{ negsample._scale_row(cfg, negsample._design_ref(cfg, 'sampling_scale')) }}
),

{{ negsample._pilot_score_ctes(cfg, 'input_rows', pilot, mode, 'bounded_rows', levels, bounded=true) }},

{{ negsample._draw_uniform_ctes(cfg, 'bounded_rows', 'drawn_rows') }},

-- The per-row columns are computed once, then filtered: the fence keeps the
-- filter from pasting their SQL into itself.
fenced_rows as (
    select
        drawn_rows.*,
        scale_row.*
    from drawn_rows
    cross join scale_row
    {{ negsample._optimization_fence() }}
),

candidate_rows as (
    select *
    from fenced_rows
    where {{ negsample._may_be_kept(cfg, 'score_bound', label) }}
),

{{ negsample._exact_score_ctes(cfg, 'candidate_rows', pilot, mode, 'scored_rows', levels) }},

{{ negsample._keep_ctes(cfg, 'scored_rows', 'kept_rows') }},

fenced_kept_rows as (
    select * from kept_rows
    {{ negsample._optimization_fence() }}
)

select
    {%- for column in negsample._input_columns(cfg)[:2 + cfg.numeric_features | length + cfg.categorical_features | length] %}
    {{ column }},
    {%- endfor %}
    pilot_prob,
    sampling_prob,
    -ln(sampling_prob) as log_odds_offset,
    case when {{ label }} = 1 then 1.0 else 1.0 / sampling_prob end as ipw_weight,
    is_capped,
    is_floored
from fenced_kept_rows
where is_sampled
{%- endmacro %}
