{#-
  Text to put at the end of a CTE whose computed columns a later `where`
  filters on, so that each row computes them once.

  DuckDB pushes a filter on a computed column down into the projection by
  substituting the column's expression, and a filter does not share common
  subexpressions: the seeded uniform's text (which repeats its inner steps)
  is then evaluated several times per row, 3-4x slower than in a
  projection. A no-op `offset 0` is a streaming limit that filters do not
  cross. PostgreSQL, which inlines a CTE and does not share repeated
  expressions either, keeps a subquery with `offset 0` whole. Other engines
  get nothing.
-#}
{% macro _optimization_fence() -%}
  {{ return(adapter.dispatch('_optimization_fence', 'negsample')()) }}
{%- endmacro %}

{% macro default___optimization_fence() -%}
{%- endmacro %}

{% macro duckdb___optimization_fence() -%}
  offset 0
{%- endmacro %}

{% macro postgres___optimization_fence() -%}
  offset 0
{%- endmacro %}

{#- Redshift dispatches to postgres__ macros; nothing is known to need a fence there. -#}
{% macro redshift___optimization_fence() -%}
{%- endmacro %}

{#-
  Text at the end of a CTE or view whose computed columns later queries read
  many times (the row key, read by every step of the seeded uniforms: the
  view <design>_input). PostgreSQL
  inlines a CTE that is read once, and flattens a view into the query that
  reads it, pasting the expressions into every use: the md5 key was then
  computed dozens to thousands of times per row, and the JIT compiled the
  whole expression. `offset 0` keeps it a subquery that computes each
  column once. DuckDB and the others compute a CTE's columns once already,
  and get nothing.
-#}
{% macro _cte_fence() -%}
  {{ return(adapter.dispatch('_cte_fence', 'negsample')()) }}
{%- endmacro %}

{% macro default___cte_fence() -%}
{%- endmacro %}

{% macro postgres___cte_fence() -%}
  offset 0
{%- endmacro %}

{% macro redshift___cte_fence() -%}
{%- endmacro %}
