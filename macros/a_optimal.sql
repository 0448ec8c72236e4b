{#-
  The a_optimal score's norm ||M~^-1 x-dot|| for every row, as
  sqrt(x-dot' Q x-dot) with Q = (M~^-1)^2 (rows 'information_squared' of a
  design's pilot_coefficients), written so that its SQL and its columns grow
  with the numeric features squared and the number of categorical
  features, never with the number of terms squared: x-dot is 1 and the
  numeric features (the dense terms d), and one indicator per categorical
  feature f at the row's level l_f, so

    x-dot' Q x-dot = d' Q_dd d + sum_f (Q[l_f, l_f] + 2 d' Q[d, l_f])
                     + 2 sum_{f < g} Q[l_f, l_g],

  where the dense block is one row of columns and the rest are lookups by
  level, joined (the reference level, an unseen level and NULL have no
  term, so nothing is added).
-#}

{#-
  CTEs (each followed by a comma) of the lookups behind _quadratic_form:
  quadratic_dense (one row, q_<i>_<j> for dense i <= j), quadratic_<f> for
  each categorical feature (by level: q_diagonal and q_cross_<i>), and
  quadratic_<f>_<g> for each pair (by the two levels: q_pair).
-#}
{% macro _quadratic_form_ctes(design, coefficients) -%}
  {%- set dense = design.terms | selectattr('level', 'none') | list -%}
  {%- set features = design.levels.keys() | list -%}
  {%- set square = "(select * from " ~ coefficients ~ " where model = 'information_squared')" -%}
quadratic_dense as (
    select
    {%- for r in dense %}{% set i = loop.index0 %}
        {%- for c in dense[i:] %}
        max(case when term = {{ negsample._string_literal(r.term) }} and level is null
            and col_term = {{ negsample._string_literal(c.term) }} and col_level is null
            then estimate end) as q_{{ i }}_{{ i + loop.index0 }}{{ ',' if not (loop.last and i == dense | length - 1) }}
        {%- endfor %}
    {%- endfor %}
    from {{ square }} as square_entries
),
{%- for name in features %}
{%- set f = loop.index0 %}

quadratic_{{ f }} as (
    select
        level,
        max(case when col_term = term and col_level = level then estimate end) as q_diagonal
        {%- for c in dense %},
        max(case when col_term = {{ negsample._string_literal(c.term) }} and col_level is null
            then estimate end) as q_cross_{{ loop.index0 }}
        {%- endfor %}
    from {{ square }} as square_entries
    where term = {{ negsample._string_literal(name) }} and level is not null
    group by level
),
{%- for other in features[f + 1:] %}

quadratic_{{ f }}_{{ f + loop.index }} as (
    select
        level,
        col_level,
        estimate as q_pair
    from {{ square }} as square_entries
    where term = {{ negsample._string_literal(name) }} and level is not null
        and col_term = {{ negsample._string_literal(other) }} and col_level is not null
),
{%- endfor %}
{%- endfor %}
{%- endmacro %}

{#- The joins of the lookups to the rows, by each categorical feature's level (SQL of `exprs`). -#}
{% macro _quadratic_form_joins(design, exprs) -%}
  {%- set features = design.levels.keys() | list -%}
  {%- for name in features %}{% set f = loop.index0 %}
    left join quadratic_{{ f }} on {{ exprs[name] }} = quadratic_{{ f }}.level
    {%- for other in features[f + 1:] %}
    left join quadratic_{{ f }}_{{ f + loop.index }}
        on {{ exprs[name] }} = quadratic_{{ f }}_{{ f + loop.index }}.level
        and {{ exprs[other] }} = quadratic_{{ f }}_{{ f + loop.index }}.col_level
    {%- endfor %}
  {%- endfor %}
{%- endmacro %}

{#- x-dot' Q x-dot for a row joined to the lookups (never below 0, whatever the rounding). -#}
{% macro _quadratic_form(design) -%}
  {%- set dense = design.terms | selectattr('level', 'none') | list -%}
  {%- set features = design.levels.keys() | list -%}
  {%- set parts = [] -%}
  {%- for r in dense %}{% set i = loop.index0 %}
    {%- for c in dense[i:] %}{% set j = i + loop.index0 %}
      {%- do parts.append(('' if i == j else '2.0 * ') ~ 'quadratic_dense.q_' ~ i ~ '_' ~ j ~ ' * (' ~ r.sql ~ ') * (' ~ c.sql ~ ')') -%}
    {%- endfor %}
  {%- endfor %}
  {%- for name in features %}{% set f = loop.index0 %}
    {%- do parts.append('coalesce(quadratic_' ~ f ~ '.q_diagonal, 0.0)') -%}
    {%- for c in dense -%}
      {%- do parts.append('2.0 * coalesce(quadratic_' ~ f ~ '.q_cross_' ~ loop.index0 ~ ', 0.0) * (' ~ c.sql ~ ')') -%}
    {%- endfor -%}
    {%- for other in features[f + 1:] -%}
      {%- do parts.append('2.0 * coalesce(quadratic_' ~ f ~ '_' ~ (f + loop.index) ~ '.q_pair, 0.0)') -%}
    {%- endfor -%}
  {%- endfor -%}
  greatest(0.0, {{ parts | join('\n        + ') }})
{%- endmacro %}
