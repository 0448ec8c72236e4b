{#-
  Text to put at the end of a CTE whose computed columns a later `where`
  filters on, so that each row computes them once.

  DuckDB pushes a filter on a computed column down into the projection by
  substituting the column's expression, and a filter does not share common
  subexpressions: the seeded uniform's text (which repeats its inner steps)
  is then evaluated several times per row, 3-4x slower than in a
  projection. A no-op `offset 0` is a streaming limit that filters do not
  cross. Other engines get nothing.
-#}
{% macro _optimization_fence() -%}
  {{ return(adapter.dispatch('_optimization_fence', 'negsample')()) }}
{%- endmacro %}

{% macro default___optimization_fence() -%}
{%- endmacro %}

{% macro duckdb___optimization_fence() -%}
  offset 0
{%- endmacro %}
