{#-
  True where a DOUBLE is infinite or NaN (NULL stays NULL), dispatched per
  adapter: DuckDB's isfinite() is one call where the portable form makes
  three comparisons, which adds up in the source check's pass over every
  feature of every row.
-#}
{% macro _is_not_finite(value) -%}
  {{ return(adapter.dispatch('_is_not_finite', 'negsample')(value)) }}
{%- endmacro %}

{#- Beyond the largest finite double, or unequal to itself (NaN). -#}
{% macro default___is_not_finite(value) -%}
  ({{ value }} > 1.7976931348623157e308 or {{ value }} < -1.7976931348623157e308 or not ({{ value }} = {{ value }}))
{%- endmacro %}

{% macro duckdb___is_not_finite(value) -%}
  (not isfinite({{ value }}))
{%- endmacro %}
