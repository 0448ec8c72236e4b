{#-
  Integer quotient of a BIGINT by a BIGINT that divides it exactly.
  Plain `/` returns a double (DuckDB, Spark) or a decimal (Snowflake) on
  several engines and loses bits above 2^53, so each engine gets its
  integer division.
-#}
{% macro _exact_div(numerator, denominator) -%}
  {{ return(adapter.dispatch('_exact_div', 'negsample')(numerator, denominator)) }}
{%- endmacro %}

{#- Postgres and ANSI engines: `/` of two integers is an integer. -#}
{% macro default___exact_div(numerator, denominator) -%}
  (({{ numerator }}) / ({{ denominator }}))
{%- endmacro %}

{% macro duckdb___exact_div(numerator, denominator) -%}
  (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}

{#- Spark and Databricks (dbt-databricks falls back to spark__ macros). -#}
{% macro spark___exact_div(numerator, denominator) -%}
  (({{ numerator }}) div ({{ denominator }}))
{%- endmacro %}

{% macro bigquery___exact_div(numerator, denominator) -%}
  div({{ numerator }}, {{ denominator }})
{%- endmacro %}

{#- Snowflake's `/` is a decimal; the quotient is whole, so the cast is exact. -#}
{% macro snowflake___exact_div(numerator, denominator) -%}
  cast(trunc(({{ numerator }}) / ({{ denominator }})) as bigint)
{%- endmacro %}
