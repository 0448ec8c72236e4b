{#-
  The per-row steps of the draw as CTEs, shared by every model that needs
  them (the scale's pass, the keep flags, the post-fit pass, the scored
  view), so that each computes a row's pi and flag with the same SQL.
-#}

{#-
  docs/method.md step 3, as CTEs after `rows` (a CTE with the features under the SQL
  of `exprs`, see _input_exprs): pilot_coefficient_row pivoted from
  `coefficients` (a design's pilot_coefficients) and, for a_optimal, the
  lookups of ||M~^-1 x-dot|| (macros/a_optimal.sql); pilot_linear (rows.* with pilot_logit and
  n_unseen_levels, the categorical features whose level is NULL or unseen by
  the pilot, scored as the reference); pilot_scored (pilot_prob, the
  pilot_score_column when set, and the score t as sampling_score).
  Write `with` and `rows` before, and a comma after.
-#}
{% macro _pilot_score_ctes(cfg, rows, coefficients, exprs) -%}
  {%- set design = negsample._design_terms(cfg, coefficients, 'pilot', exprs) -%}
  {#- score 'auto': the mode <design>_score_choice chose. -#}
  {%- set score = negsample._score_mode(cfg) -%}
  {%- set is_a_optimal = score == 'a_optimal' -%}
pilot_coefficient_row as (
    {{ negsample._pivot_coefficients(coefficients, design.terms, 'pilot') }}
),
{%- if is_a_optimal %}

{{ negsample._quadratic_form_ctes(design, coefficients) }}
{%- endif %}

pilot_linear as (
    select
        {{ rows }}.*,
        {{ negsample._linear_predictor(design.terms, 'pilot_coefficient_row') }} as pilot_logit,
        {%- if is_a_optimal %}
        {{ negsample._quadratic_form(design) }} as negsample_quadratic_form,
        {%- elif score == 'l_optimal' %}
        {{ negsample._design_norm(design.terms) }} as negsample_design_norm,
        {%- endif %}
        {{ negsample._unseen_level_count(design.levels, exprs) }} as n_unseen_levels
    from {{ rows }}
    cross join pilot_coefficient_row
    {%- if is_a_optimal %}
    cross join quadratic_dense
    {{ negsample._quadratic_form_joins(design, exprs) }}
    {%- endif %}
),

{#- p~: the pilot_score_column (carried by `rows` as negsample_pilot_score), or the pilot's. -#}
{%- set pilot_prob = 'pilot_linear.negsample_pilot_score' if cfg.pilot_score_column else negsample.sigmoid('pilot_linear.pilot_logit') %}

pilot_scored as (
    select
        pilot_linear.*,
        {{ pilot_prob }} as pilot_prob,
        {%- if score == 'uniform' %}
        cast(1 as {{ negsample._double() }}) as sampling_score
        {%- elif score == 'p' %}
        {{ pilot_prob }} as sampling_score
        {%- elif score == 'l_optimal' %}
        {{ pilot_prob }} * pilot_linear.negsample_design_norm as sampling_score
        {%- else %}
        {{ pilot_prob }} * sqrt(pilot_linear.negsample_quadratic_form) as sampling_score
        {%- endif %}
    from pilot_linear
)
{%- endmacro %}

{#-
  docs/method.md steps 5-6, as a CTE `drawn` after pilot_scored: pi(x) =
  min(1, max(floor * rho, c * t(x))) with the scale of `scale` (a design's
  sampling_scale), whether the cap or the floor bound it, and the seeded
  uniform u of the 'sample' stream. The keep flag is u < pi for a negative,
  true for a positive (_is_sampled). Write a comma before.

  With the setting reuse_pilot the sample is the union of this draw and
  the pilot's (a negative with u_pilot < rho0, drawn on its own stream, so
  independently): a negative is in it with probability
  pi* = 1 - (1 - rho0)(1 - pi), and sampling_prob is pi*, so that the
  offset -ln(pi*), the IPW weights, the design's sums and the diagnostics
  all describe the union. is_capped and is_floored still describe pi.
-#}
{% macro _draw_ctes(cfg, scale) -%}
scale_row as (
    select
        sampling_scale,
        floor_prob{% if cfg.reuse_pilot %},
        pilot_rate{% endif %}
    from {{ scale }}
),

drawn as (
    {%- set pi = negsample.sampling_probability(
        'pilot_scored.sampling_score', 'scale_row.sampling_scale', 'scale_row.floor_prob') %}
    select
        pilot_scored.*,
        {%- if cfg.reuse_pilot %}
        {{ pi }} as main_sampling_prob,
        {{ negsample.union_inclusion_probability(pi, 'scale_row.pilot_rate') }} as sampling_prob,
        {{ negsample.uniform('pilot_scored.negsample_key', cfg.seed, 'pilot') }} < scale_row.pilot_rate as is_pilot_drawn,
        {%- else %}
        {{ pi }} as sampling_prob,
        {%- endif %}
        scale_row.sampling_scale * pilot_scored.sampling_score >= 1.0 as is_capped,
        scale_row.sampling_scale * pilot_scored.sampling_score < scale_row.floor_prob as is_floored,
        {{ negsample.uniform('pilot_scored.negsample_key', cfg.seed, 'sample') }} as sample_uniform
    from pilot_scored
    cross join scale_row
    {{ negsample._optimization_fence() }}
)
{%- endmacro %}

{#-
  The keep flag of a row of `drawn`: every positive, and a negative with
  u < pi. `label` is the SQL of the 0/1 integer label (default: the label
  column, as in <design>_input).
-#}
{% macro _is_sampled(cfg, alias='drawn', label=none) -%}
  {%- if cfg.reuse_pilot -%}
  ({{ label or (alias ~ '.' ~ adapter.quote(cfg.label_column)) }} = 1 or {{ alias }}.is_pilot_drawn or {{ alias }}.sample_uniform < {{ alias }}.main_sampling_prob)
  {%- else -%}
  ({{ label or (alias ~ '.' ~ adapter.quote(cfg.label_column)) }} = 1 or {{ alias }}.sample_uniform < {{ alias }}.sampling_prob)
  {%- endif -%}
{%- endmacro %}
