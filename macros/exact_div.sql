{#-
  Integer quotient of a BIGINT by a BIGINT that divides it exactly.
  Plain `/` returns a double on several engines and loses bits above 2^53.
-#}
{% macro _exact_div(numerator, denominator) -%}
  {{ return(adapter.dispatch('_exact_div', 'negsample')(numerator, denominator)) }}
{%- endmacro %}

{% macro default___exact_div(numerator, denominator) -%}
  (({{ numerator }}) / ({{ denominator }}))
{%- endmacro %}

{% macro duckdb___exact_div(numerator, denominator) -%}
  (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}
