{#-
  <design>_pilot_coefficients: the pilot every later model reads, wherever it
  comes from, as rows of the coefficient contract plus col_term and
  col_level for matrices (term and level name a matrix row, col_term and
  col_level its column, estimate the entry):
    pilot                     the coefficients theta~
    information               M~^-1, M~ the pilot information matrix
    second_moment             Sigma~ = the estimate of E[x-dot x-dot'] (logit_optimal)
    quadratic_a_optimal       Q = M~^-2, the a_optimal score's form
    quadratic_logit_optimal   Q = M~^-1 Sigma~ M~^-1, the logit_optimal score's form
  The pilot and M~^-1 come from the pilot fit (<design>_pilot_model, or
  <design>_pilot_model_sql with the SQL fit engine) or from the relations
  named by the settings pilot_coefficients and pilot_information; there are
  no rows when the pilot_score_column gives p~ and the score needs no design
  vector. Sigma~ is one aggregate over the pilot sample (negatives standing
  for 1 / rho_s rows each), and the products are joins over the k^2
  entries, made once; each only when a score the design may sample with
  reads it.

  Under a frozen design the first of its stores: an incremental table that
  a build appends nothing to, so the stored pilot serves until a full
  refresh.
-#}
{% macro _model_pilot_coefficients(cfg) -%}
  {%- set string = dbt.type_string() -%}
  {%- set modes = negsample._candidate_scores(cfg) -%}
  {%- if is_incremental() %}
select * from {{ this }} where 1 = 0
  {%- else %}
with given as (
  {%- if cfg.pilot_source == 'python' %}
    {{ negsample._long_coefficient_rows(negsample._given_pilot(cfg), ['pilot', 'information']) }}
  {%- elif cfg.pilot_source == 'relation' %}
    {{ negsample._long_coefficient_rows(negsample._given_pilot(cfg), ['pilot']) }}
    {%- if cfg.pilot_information %}
    union all
    select
        cast('information' as {{ string }}) as model,
        cast(row_term as {{ string }}) as term,
        cast(row_level as {{ string }}) as level,
        cast(false as {{ dbt.type_boolean() }}) as is_reference,
        cast(value as {{ negsample._double() }}) as estimate,
        cast(null as {{ negsample._double() }}) as std_error,
        cast(col_term as {{ string }}) as col_term,
        cast(col_level as {{ string }}) as col_level
    from {{ negsample._setting_relation(cfg.pilot_information) }}
    {%- endif %}
  {%- else %}
    {{ negsample._literal_table(negsample._pilot_table_columns(), []) }}
  {%- endif %}
),

information as (
    select * from given where model = 'information'
),
{%- if 'logit_optimal' in modes %}

second_moment as (
    {{ negsample._second_moment_rows(cfg, negsample._design_ref(cfg, 'pilot_sample')) }}
),

-- M~^-1 Sigma~, then (M~^-1 Sigma~) M~^-1.
half_product as (
    {{ negsample._matrix_product('information', 'second_moment', 'half_product') }}
),
{%- endif %}

squared as (
    {{ negsample._matrix_product('information', 'information', 'quadratic_a_optimal') }}
)

select * from given
{%- if 'logit_optimal' in modes %}
union all
select * from second_moment
union all
{{ negsample._matrix_product('half_product', 'information', 'quadratic_logit_optimal') }}
{%- endif %}
{%- if 'a_optimal' in modes %}
union all
select * from squared
{%- endif %}
  {%- endif %}
{%- endmacro %}

{#-
  The rows of the matrix product of two long matrices `left` and `right`
  (CTEs with term, level, col_term, col_level, estimate), as model `name`:
  a join on the inner index and a sum, over the k^2 entries of each. Each
  entry's sum is exact (_exact_sum) over the products divided by the
  largest |left| of its row times the largest |right| of its column, so
  the product has the same bits in any order of the rows, and each entry is
  exact to 1e-18 of its largest term.
-#}
{% macro _matrix_product(left, right, name) -%}
    select
        cast({{ negsample._string_literal(name) }} as {{ dbt.type_string() }}) as model,
        left_entries.term,
        left_entries.level,
        cast(false as {{ dbt.type_boolean() }}) as is_reference,
        coalesce(
            {{ negsample._exact_sum('left_entries.estimate * right_entries.estimate / nullif(row_scale.largest * col_scale.largest, 0)') }}
            * max(row_scale.largest * col_scale.largest),
            0.0
        ) as estimate,
        cast(null as {{ negsample._double() }}) as std_error,
        right_entries.col_term,
        right_entries.col_level
    from {{ left }} as left_entries
    inner join {{ right }} as right_entries
        on left_entries.col_term = right_entries.term
        and coalesce(left_entries.col_level, '') = coalesce(right_entries.level, '')
    inner join (
        select term, level, max(abs(estimate)) as largest from {{ left }} group by term, level
    ) as row_scale
        on left_entries.term = row_scale.term
        and coalesce(left_entries.level, '') = coalesce(row_scale.level, '')
    inner join (
        select col_term, col_level, max(abs(estimate)) as largest
        from {{ right }}
        group by col_term, col_level
    ) as col_scale
        on right_entries.col_term = col_scale.col_term
        and coalesce(right_entries.col_level, '') = coalesce(col_scale.col_level, '')
    group by left_entries.term, left_entries.level, right_entries.col_term, right_entries.col_level
{%- endmacro %}

{#-
  The scores a design may sample with: its setting, or every mode for
  score 'auto' (which <design>_score_choice chooses among).
-#}
{% macro _candidate_scores(cfg) -%}
  {{ return(negsample._score_modes() if cfg.score == 'auto' else [cfg.score]) }}
{%- endmacro %}

{#-
  Sigma~, the weight of the logit_optimal score and of objective 'scores':
  the pilot sample's estimate (a positive counts once, a negative 1 / rho_s
  times) of E[(x-dot - a)(x-dot - a)'], where a = E[p (1 - p) x-dot] /
  E[p (1 - p)] at the pilot's p~ when the setting recalibrate_intercept is
  on, and a = 0 when it is off. The served logit carries the intercept
  update delta ~ -a' (theta^ - theta), which takes the error along a out of
  every row's logit, so the error of the logit users read is
  (x-dot - a)' (theta^ - theta), and its mean square over the table is
  tr(Sigma~ V). As long rows of model 'second_moment' in the terms of the
  pilot's design: the SQL fit engine's sums (a level the pilot never saw
  has no term), written by _literal_matrix.
-#}
{% macro _second_moment_rows(cfg, sample) -%}
  {%- if not execute -%}
{{ negsample._literal_table(negsample._pilot_table_columns(), []) }}
  {%- else -%}
    {%- set given = negsample._given_pilot(cfg) -%}
    {%- set design = negsample._fit_design_of(cfg, negsample._categorical_levels(given, 'pilot')) -%}
    {%- set k = design.terms | length -%}
    {%- set unit = {'center': [0.0] * k, 'spread': [1.0] * k} -%}
    {%- set fit = {'rows': sample, 'label': cfg.label_column, 'offset': none, 'weights': none,
                   'what': cfg.design ~ '_pilot_coefficients (second moment)'} -%}
    {%- set moments = negsample._sql_fit_sums(fit, design, unit, [0.0] * k, information='scale_rate', second_moment=true, exact=true) -%}
    {%- set total = moments.total_w -%}
    {#- E[x-dot] is the first column of E[x-dot x-dot'] (x-dot's first entry is 1). -#}
    {%- set mean, centre = [], [] -%}
    {%- for row in moments.hessian %}{% do mean.append(row[0] / total) %}{% endfor -%}
    {%- if cfg.recalibrate_intercept -%}
      {%- set theta = negsample._stored_vector(given, 'pilot', design.terms) -%}
      {%- set information = negsample._sql_fit_sums(fit, design, unit, theta, information='scale_rate', exact=true) -%}
      {%- for row in information.hessian %}{% do centre.append(row[0] / information.hessian[0][0]) %}{% endfor -%}
    {%- else -%}
      {%- set centre = [0.0] * k -%}
    {%- endif -%}
    {%- set weight = [] -%}
    {%- for i in range(k) -%}
      {%- set row = [] -%}
      {%- for j in range(k) -%}
        {%- do row.append(moments.hessian[i][j] / total - centre[i] * mean[j] - mean[i] * centre[j] + centre[i] * centre[j]) -%}
      {%- endfor -%}
      {%- do weight.append(row) -%}
    {%- endfor -%}
{{ negsample._literal_matrix('second_moment', design.terms, weight) }}
  {%- endif -%}
{%- endmacro %}

{#- The estimates of `model_name` in a coefficient table, as a list in the order of `terms`; 0 where it holds none. -#}
{% macro _stored_vector(relation, model_name, terms) -%}
  {%- set entries = {} -%}
  {%- for row in run_query("select term, level, estimate from " ~ relation ~ " where model = " ~ negsample._string_literal(model_name)).rows -%}
    {%- do entries.update({(row[0], row[1]): row[2] | float}) -%}
  {%- endfor -%}
  {%- set out = [] -%}
  {%- for term in terms %}{% do out.append(entries.get(term, 0.0)) %}{% endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#-
  The rows of `coefficients` whose model is one of `models`, in the
  contract's columns and types, plus col_term and col_level (null where the
  relation has none). A relation without an is_reference column
  (coefficients fitted elsewhere) gets false: its reference levels are the
  ones it leaves out, and unseen levels score as the reference.
-#}
{% macro _long_coefficient_rows(coefficients, models) -%}
  {%- set string = dbt.type_string() -%}
select
    cast(model as {{ string }}) as model,
    cast(term as {{ string }}) as term,
    cast(level as {{ string }}) as level,
    {%- if negsample._has_column(coefficients, 'is_reference') %}
    cast(is_reference as {{ dbt.type_boolean() }}) as is_reference,
    {%- else %}
    cast(false as {{ dbt.type_boolean() }}) as is_reference,
    {%- endif %}
    cast(estimate as {{ negsample._double() }}) as estimate,
    cast(std_error as {{ negsample._double() }}) as std_error,
    {%- if negsample._has_column(coefficients, 'col_term') %}
    cast(col_term as {{ string }}) as col_term,
    cast(col_level as {{ string }}) as col_level
    {%- else %}
    cast(null as {{ string }}) as col_term,
    cast(null as {{ string }}) as col_level
    {%- endif %}
from {{ coefficients }}
where model in ({% for m in models %}{{ negsample._string_literal(m) }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The relation the pilot's coefficients come from (see `given` above), for pilot_source python or relation. -#}
{% macro _given_pilot(cfg) -%}
  {%- if cfg.pilot_source == 'relation' -%}
    {{ return(negsample._setting_relation(cfg.pilot_coefficients)) }}
  {%- endif -%}
  {{ return(negsample._design_ref(cfg, 'pilot_model' if cfg.fit_engine == 'python' else 'pilot_model_sql')) }}
{%- endmacro %}

{#- The categorical levels of the given pilot (_categorical_levels), before this model stores them. -#}
{% macro _given_pilot_levels(cfg) -%}
  {{ return(negsample._categorical_levels(negsample._given_pilot(cfg), 'pilot')) }}
{%- endmacro %}
