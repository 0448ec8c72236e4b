{#-
  x-dot' Q x-dot for every row, for the scores that weigh the design vector
  by a matrix: a_optimal (||M~^-1 x-dot||^2, Q = M~^-2) and logit_optimal
  (||Sigma~^1/2 M~^-1 x-dot||^2, Q = M~^-1 Sigma~ M~^-1). Q is stored in a
  design's pilot_coefficients as rows of model `quadratic_<score>` (term and
  level name the matrix row, col_term and col_level its column). The SQL
  and its columns grow with the numeric features squared and the number of
  categorical features, never with the number of terms squared: x-dot is 1
  and the numeric features (the dense terms d), and one indicator per
  categorical feature f at the row's level l_f, so

    x-dot' Q x-dot = d' Q_dd d + sum_f (Q[l_f, l_f] + 2 d' Q[d, l_f])
                     + 2 sum_{f < g} Q[l_f, l_g],

  where the dense block is one row of columns and the rest are lookups by
  level, joined (the reference level, an unseen level and NULL have no
  term, so nothing is added). Every CTE and column is named after `name`,
  so that a query may hold several forms.
-#}

{#-
  CTEs (each followed by a comma) of the lookups behind _quadratic_form:
  <name>_dense (one row, q_<i>_<j> for dense i <= j), <name>_<f> for each
  categorical feature (by level: q_diagonal and q_cross_<i>), and
  <name>_<f>_<g> for each pair (by the two levels: q_pair).
-#}
{% macro _quadratic_form_ctes(design, coefficients, matrix, name) -%}
  {%- set dense = design.terms | selectattr('level', 'none') | list -%}
  {%- set features = design.levels.keys() | list -%}
  {%- set entries = "(select * from " ~ coefficients ~ " where model = " ~ negsample._string_literal(matrix) ~ ")" -%}
{{ name }}_dense as (
    select
    {%- for r in dense %}{% set i = loop.index0 %}
        {%- for c in dense[i:] %}
        max(case when term = {{ negsample._string_literal(r.term) }} and level is null
            and col_term = {{ negsample._string_literal(c.term) }} and col_level is null
            then estimate end) as q_{{ i }}_{{ i + loop.index0 }}{{ ',' if not (loop.last and i == dense | length - 1) }}
        {%- endfor %}
    {%- endfor %}
    from {{ entries }} as matrix_entries
),
{%- for feature in features %}
{%- set f = loop.index0 %}

{{ name }}_{{ f }} as (
    select
        level,
        max(case when col_term = term and col_level = level then estimate end) as q_diagonal
        {%- for c in dense %},
        max(case when col_term = {{ negsample._string_literal(c.term) }} and col_level is null
            then estimate end) as q_cross_{{ loop.index0 }}
        {%- endfor %}
    from {{ entries }} as matrix_entries
    where term = {{ negsample._string_literal(feature) }} and level is not null
    group by level
),
{%- for other in features[f + 1:] %}

{{ name }}_{{ f }}_{{ f + loop.index }} as (
    select
        level,
        col_level,
        estimate as q_pair
    from {{ entries }} as matrix_entries
    where term = {{ negsample._string_literal(feature) }} and level is not null
        and col_term = {{ negsample._string_literal(other) }} and col_level is not null
),
{%- endfor %}
{%- endfor %}
{%- endmacro %}

{#- The joins of the lookups to the rows (after a `from` of the rows), by each categorical feature's level. -#}
{% macro _quadratic_form_joins(design, name) -%}
  {%- set features = design.levels.keys() | list -%}
    cross join {{ name }}_dense
  {%- for feature in features %}{% set f = loop.index0 %}
    left join {{ name }}_{{ f }} on {{ design.exprs[feature] }} = {{ name }}_{{ f }}.level
    {%- for other in features[f + 1:] %}
    left join {{ name }}_{{ f }}_{{ f + loop.index }}
        on {{ design.exprs[feature] }} = {{ name }}_{{ f }}_{{ f + loop.index }}.level
        and {{ design.exprs[other] }} = {{ name }}_{{ f }}_{{ f + loop.index }}.col_level
    {%- endfor %}
  {%- endfor %}
{%- endmacro %}

{#- x-dot' Q x-dot for a row joined to the lookups (never below 0, whatever the rounding). -#}
{% macro _quadratic_form(design, name) -%}
  {%- set dense = design.terms | selectattr('level', 'none') | list -%}
  {%- set features = design.levels.keys() | list -%}
  {%- set parts = [] -%}
  {%- for r in dense %}{% set i = loop.index0 %}
    {%- for c in dense[i:] %}{% set j = i + loop.index0 %}
      {%- do parts.append(('' if i == j else '2.0 * ') ~ name ~ '_dense.q_' ~ i ~ '_' ~ j ~ ' * (' ~ r.sql ~ ') * (' ~ c.sql ~ ')') -%}
    {%- endfor %}
  {%- endfor %}
  {%- for feature in features %}{% set f = loop.index0 %}
    {%- do parts.append('coalesce(' ~ name ~ '_' ~ f ~ '.q_diagonal, 0.0)') -%}
    {%- for c in dense -%}
      {%- do parts.append('2.0 * coalesce(' ~ name ~ '_' ~ f ~ '.q_cross_' ~ loop.index0 ~ ', 0.0) * (' ~ c.sql ~ ')') -%}
    {%- endfor -%}
    {%- for other in features[f + 1:] -%}
      {%- do parts.append('2.0 * coalesce(' ~ name ~ '_' ~ f ~ '_' ~ (f + loop.index) ~ '.q_pair, 0.0)') -%}
    {%- endfor -%}
  {%- endfor -%}
  greatest(0.0, {{ parts | join('\n        + ') }})
{%- endmacro %}

{#-
  A one-row select of `bound`: an upper bound on sqrt(x-dot' Q x-dot) /
  ||x-dot|| over every x-dot, i.e. on the square root of Q's largest
  eigenvalue (Q is symmetric and positive semi-definite), from the entries
  of the stored Q: the smaller of its Frobenius norm and its largest
  absolute row sum, each at least the largest eigenvalue. The sample's pass
  compares the seeded uniform with pi at t <= p~ * bound * ||x-dot|| and
  computes the form only where that bound could keep the row.
-#}
{% macro _quadratic_form_bound(coefficients, matrix) -%}
  select sqrt(least(sqrt(sum(row_squares)), max(row_sum))) as bound
  from (
      select
          sum(abs(estimate)) as row_sum,
          sum(estimate * estimate) as row_squares
      from {{ coefficients }}
      where model = {{ negsample._string_literal(matrix) }}
      group by term, level
  ) as matrix_rows
{%- endmacro %}
