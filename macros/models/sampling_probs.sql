{#-
  <design>_sampling_probs, a view: docs/method.md steps 3-6 for every row of the
  source, from the design's stored or estimated parameters: the pilot's log
  odds and probability, the score t, pi(x), whether the cap or the floor
  bound it, the seeded uniform u ('sample' stream) and the keep flag. pi is
  defined for positives too: the probability that a negative at that x
  would be kept. Nothing is stored: <design>_sample and the post-fit pass
  read it, and it answers "why was this row kept" for any row.
-#}
{% macro _model_sampling_probs(cfg) -%}
with input_rows as (
    select * from {{ negsample._design_ref(cfg, 'input') }}
),

{{ negsample._pilot_score_ctes(cfg, 'input_rows', negsample._design_ref(cfg, 'pilot_coefficients'), negsample._feature_columns(cfg, 'input_rows')) }},

{{ negsample._draw_ctes(cfg, negsample._design_ref(cfg, 'sampling_scale')) }}

select
    {{ negsample._row_columns(cfg, 'drawn') }}
    drawn.negsample_key,
    drawn.negsample_imputed,
    drawn.pilot_logit,
    drawn.pilot_prob,
    drawn.n_unseen_levels,
    drawn.sampling_score,
    drawn.sampling_prob,
    drawn.is_capped,
    drawn.is_floored,
    drawn.sample_uniform,
    {{ negsample._is_sampled(cfg) }} as is_sampled
from drawn
{%- endmacro %}
