{#-
  docs/method.md step 3: the pilot's probability p~(x) and the score t(x) of
  a row, for every score mode:

    uniform        t = 1
    p              t = p~
    l_optimal      t = p~ ||x-dot||
    a_optimal      t = p~ ||M~^-1 x-dot||              (least trace of the slopes' variance)
    logit_optimal  t = p~ ||Sigma~^1/2 M~^-1 x-dot||   (least mean squared error of the corrected logit)

  M~ is the pilot's estimate of E[p (1 - p) x-dot x-dot'] and Sigma~ its
  estimate of E[x-dot x-dot'], both on the pilot sample. The two matrix
  scores read x-dot' Q x-dot from the lookups of macros
  method/step3_scores/quadratic_form.sql.
-#}

{#- The score modes, simplest first: what score 'auto' chooses among (ties go to the first). -#}
{% macro _score_modes() -%}
  {{ return(['uniform', 'p', 'l_optimal', 'a_optimal', 'logit_optimal']) }}
{%- endmacro %}

{#- The stored matrix Q that a mode reads (model name in pilot_coefficients), or none. -#}
{% macro _score_matrix(mode) -%}
  {{ return({'a_optimal': 'quadratic_a_optimal', 'logit_optimal': 'quadratic_logit_optimal'}.get(mode)) }}
{%- endmacro %}

{#-
  CTEs that score the rows of `rows` with the pilot in `pilot` (a design's
  pilot_coefficients), ending in the CTE `output`; write `with` (or a
  comma) before and a comma after. Inputs: the columns of `rows` named
  like <design>_input's features (and negsample_pilot_score when the
  setting pilot_score_column is given). Outputs, added to every column of
  `rows`:
    pilot_logit      theta~ . x-dot (null without pilot coefficients)
    pilot_prob       p~: sigmoid(pilot_logit), or the pilot_score_column
    n_unseen_levels  categorical features whose level is NULL or unseen by the pilot
    sampling_score   t(x) under `mode`; with `bounded`, instead:
    score_bound      an upper bound on t(x), cheap to compute (t itself for
                     the modes without a matrix); _exact_score_ctes adds t
                     to the rows where the bound does not decide.
  `levels` is the pilot's _categorical_levels, read once by the caller.
-#}
{% macro _pilot_score_ctes(cfg, rows, pilot, mode, output, levels, bounded=false) -%}
  {%- set linear = negsample._design_from_levels(cfg, levels, negsample._feature_columns(cfg, rows)) -%}
  {%- set matrix = negsample._score_matrix(mode) -%}
{{ output }}__pilot_row as (
    {{ negsample._pivot_coefficients(pilot, linear.terms, 'pilot') }}
),
{%- if bounded and matrix %}

{{ output }}__bound_row as (
    {{ negsample._quadratic_form_bound(pilot, matrix) }}
),
{%- endif %}

{{ output }}__linear as (
    select
        {{ rows }}.*,
        {{ negsample._linear_predictor(linear, output ~ '__pilot_row') }} as pilot_logit,
        {{ negsample._unseen_level_count(linear) }} as n_unseen_levels
        {%- if mode == 'l_optimal' or (bounded and matrix) %},
        {{ negsample._design_norm_squared(linear) }} as negsample_norm_squared
        {%- endif %}
        {%- if bounded and matrix %},
        {{ output }}__bound_row.bound as negsample_form_bound
        {%- endif %}
    from {{ rows }}
    cross join {{ output }}__pilot_row
    {%- if bounded and matrix %}
    cross join {{ output }}__bound_row
    {%- endif %}
),

{{ output }}__prob as (
    select
        {{ output }}__linear.*,
        {{ ('negsample_pilot_score' if cfg.pilot_score_column else negsample.sigmoid('pilot_logit')) }} as pilot_prob
    from {{ output }}__linear
),
{%- if bounded and matrix %}

{{ output }} as (
    select
        {{ output }}__prob.*,
        -- ||M x-dot|| <= ||M||_2 ||x-dot||, rounded up so that rounding never
        -- puts t above its bound.
        pilot_prob * negsample_form_bound * sqrt(negsample_norm_squared) * (1.0 + 1e-9) as score_bound
    from {{ output }}__prob
)
{%- elif bounded %}

{{ output }} as (
    select
        {{ output }}__prob.*,
        {{ negsample._simple_score(mode, 'pilot_prob') }} as score_bound
    from {{ output }}__prob
)
{%- else %}

{{ negsample._exact_score_ctes(cfg, output ~ '__prob', pilot, mode, output, levels) }}
{%- endif %}
{%- endmacro %}

{#-
  CTEs that add sampling_score, t(x) under `mode`, to the rows of `rows`
  (which hold pilot_prob and the features), ending in the CTE `output`.
  The matrix modes join the lookups of their quadratic form.
-#}
{% macro _exact_score_ctes(cfg, rows, pilot, mode, output, levels) -%}
  {%- set matrix = negsample._score_matrix(mode) -%}
  {%- if matrix -%}
    {%- set design = negsample._design_from_levels(cfg, levels, negsample._feature_columns(cfg, rows)) -%}
{{ negsample._quadratic_form_ctes(design, pilot, matrix, output ~ '__q') }}

{{ output }} as (
    select
        {{ rows }}.*,
        {{ rows }}.pilot_prob * sqrt({{ negsample._quadratic_form(design, output ~ '__q') }}) as sampling_score
    from {{ rows }}
    {{ negsample._quadratic_form_joins(design, output ~ '__q') }}
)
  {%- else %}
{{ output }} as (
    select
        {{ rows }}.*,
        {{ negsample._simple_score(mode, rows ~ '.pilot_prob', rows ~ '.negsample_norm_squared') }} as sampling_score
    from {{ rows }}
)
  {%- endif -%}
{%- endmacro %}

{#- t(x) for the modes without a matrix, from p~ (and ||x-dot||^2 for l_optimal). -#}
{% macro _simple_score(mode, pilot_prob, norm_squared='negsample_norm_squared') -%}
  {%- if mode == 'uniform' -%}
    {{ return('cast(1 as ' ~ negsample._double() ~ ')') }}
  {%- elif mode == 'p' -%}
    {{ return(pilot_prob) }}
  {%- elif mode == 'l_optimal' -%}
    {{ return(pilot_prob ~ ' * sqrt(' ~ norm_squared ~ ')') }}
  {%- endif -%}
  {{ negsample._fail("_simple_score: '" ~ mode ~ "' is a score with a matrix") }}
{%- endmacro %}
