{#-
  docs/method.md steps 5-6 for a row: pi(x) = min(1, max(floor * rho, c * t(x)))
  with the design's scale c, whether the cap or the floor bound it, and the
  keep flag: every positive, and a negative whose seeded uniform u ('sample'
  stream) is below pi.

  With the setting reuse_pilot the sample is the union of this draw and
  the pilot's (a negative whose 'pilot' stream uniform is below rho0, drawn
  independently): a negative is in it with probability
  pi* = 1 - (1 - rho0)(1 - pi), and sampling_prob is pi*, so that the
  offset -ln(pi*), the IPW weights and the design's figures all describe
  the union. is_capped and is_floored still describe pi.
-#}

{#-
  The seeded uniforms a draw needs, as successive CTEs over `rows` (which
  hold negsample_key) ending in `output`: sample_uniform, and with
  reuse_pilot pilot_uniform. Write a comma after.
-#}
{% macro _draw_uniform_ctes(cfg, rows, output) -%}
  {%- set streams = [('sample_uniform', 'sample')] + ([('pilot_uniform', 'pilot')] if cfg.reuse_pilot else []) -%}
{{ negsample._column_layers(rows, negsample._uniform_layers('negsample_key', cfg.seed, streams), output) }}
{%- endmacro %}

{#-
  A one-row select of the scale the draw needs from `scale` (a design's
  sampling_scale): sampling_scale (c), floor_prob and, with reuse_pilot,
  pilot_rate (rho0).
-#}
{% macro _scale_row(cfg, scale) -%}
    select
        sampling_scale,
        floor_prob{% if cfg.reuse_pilot %},
        pilot_rate{% endif %}
    from {{ scale }}
{%- endmacro %}

{#-
  Whether a row of `alias` (with the scale row's columns, sample_uniform
  and, with reuse_pilot, pilot_uniform) could be kept when its score is at
  most `score`: every positive; a negative drawn by the pilot; a negative
  whose u is below pi at `score`. pi does not fall as t grows, so with an
  upper bound of t this keeps every row the exact test keeps.
-#}
{% macro _may_be_kept(cfg, score, label) -%}
  ({{ label }} = 1
    {%- if cfg.reuse_pilot %} or pilot_uniform < pilot_rate{% endif %}
    or sample_uniform < {{ negsample.sampling_probability(score, 'sampling_scale', 'floor_prob') }})
{%- endmacro %}

{#-
  The CTE `output` over `rows` (which hold sampling_score, the label, the
  uniforms and the scale row's columns): pi and the keep flag. Outputs:
  main_sampling_prob (pi), sampling_prob (pi, or pi* with reuse_pilot),
  is_capped, is_floored, is_sampled.
-#}
{% macro _keep_ctes(cfg, rows, output) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
{{ output }}__prob as (
    select
        {{ rows }}.*,
        {{ negsample.sampling_probability('sampling_score', 'sampling_scale', 'floor_prob') }} as main_sampling_prob,
        sampling_scale * sampling_score >= 1.0 as is_capped,
        sampling_scale * sampling_score < floor_prob as is_floored
    from {{ rows }}
),

{{ output }} as (
    select
        {{ output }}__prob.*,
        {%- if cfg.reuse_pilot %}
        {{ negsample.union_inclusion_probability('main_sampling_prob', 'pilot_rate') }} as sampling_prob,
        {%- else %}
        main_sampling_prob as sampling_prob,
        {%- endif %}
        ({{ label }} = 1
            {%- if cfg.reuse_pilot %} or pilot_uniform < pilot_rate{% endif %}
            or sample_uniform < main_sampling_prob) as is_sampled
    from {{ output }}__prob
)
{%- endmacro %}
