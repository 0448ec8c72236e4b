{#-
  Types and literals that differ between engines. Every float the package
  computes with is a DOUBLE, so that DuckDB, Spark and the Python reference
  do the same IEEE arithmetic (a bare `0.05` is a DECIMAL on DuckDB and Spark,
  and decimal arithmetic rounds differently from double arithmetic).
-#}

{#- The 64-bit float type. -#}
{% macro _double() -%}
  {{ return(adapter.dispatch('_double', 'negsample')()) }}
{%- endmacro %}

{% macro default___double() -%}
  double
{%- endmacro %}

{% macro bigquery___double() -%}
  float64
{%- endmacro %}

{% macro postgres___double() -%}
  double precision
{%- endmacro %}

{#-
  A DOUBLE from a number or a SQL expression. A number is written with an
  exponent (`5e-2`), which every engine reads as a float and rounds
  correctly, instead of a decimal literal that some engines convert to
  double by a division that can be one ulp off.
-#}
{% macro _as_double(value) -%}
  {%- if value is number -%}
    {%- set text = '%r' | format(value | float) -%}
    {%- if 'e' not in text and 'inf' not in text and 'nan' not in text -%}
      {%- set text = text ~ 'e0' -%}
    {%- endif -%}
    cast({{ text }} as {{ negsample._double() }})
  {%- else -%}
    cast(({{ value }}) as {{ negsample._double() }})
  {%- endif -%}
{%- endmacro %}

{#-
  Remainder of a BIGINT by a BIGINT, with the sign of the dividend (as C and
  Java define it); the callers make it non-negative where they need to.
-#}
{% macro _mod(dividend, divisor) -%}
  {{ return(adapter.dispatch('_mod', 'negsample')(dividend, divisor)) }}
{%- endmacro %}

{% macro default___mod(dividend, divisor) -%}
  (({{ dividend }}) % ({{ divisor }}))
{%- endmacro %}

{% macro bigquery___mod(dividend, divisor) -%}
  mod({{ dividend }}, {{ divisor }})
{%- endmacro %}

{#-
  sum(expression) of doubles, the same bits at any thread count: each value
  is cast to a DECIMAL(38, 18) (exact to 1e-18 and up to 1e20) whose sums are
  integer arithmetic, so the order the warehouse adds the rows in does not
  change the result, then back to a double. Parallel sums of doubles differ
  in the last bits from run to run; the design's counts must not.
-#}
{% macro _exact_sum(expression) -%}
  {{ return(adapter.dispatch('_exact_sum', 'negsample')(expression)) }}
{%- endmacro %}

{% macro default___exact_sum(expression) -%}
  cast(sum(cast({{ expression }} as decimal(38, 18))) as {{ negsample._double() }})
{%- endmacro %}

{#- BigQuery: NUMERIC has 9 decimals at most; BIGNUMERIC has the 18. -#}
{% macro bigquery___exact_sum(expression) -%}
  cast(sum(cast({{ expression }} as bignumeric)) as float64)
{%- endmacro %}

{#-
  sum(expression) of doubles between -64 and 64 (probabilities, their
  variances, log likelihoods clipped at ln 1e-15), the same bits at any
  thread count, at a fraction of _exact_sum's cost where the engine sums
  integers without overflow: each value is rounded to a multiple of 2^-46
  (a BIGINT, summed exactly), so the sum is exact to 2^-47 per row. DuckDB
  sums BIGINTs into a 128-bit integer and PostgreSQL into a numeric; the
  other engines keep _exact_sum.
-#}
{% macro _exact_bounded_sum(expression) -%}
  {{ return(adapter.dispatch('_exact_bounded_sum', 'negsample')(expression)) }}
{%- endmacro %}

{% macro default___exact_bounded_sum(expression) -%}
  {{ negsample._exact_sum(expression) }}
{%- endmacro %}

{% macro duckdb___exact_bounded_sum(expression) -%}
  (cast(sum(cast(({{ expression }}) * 70368744177664.0 as bigint)) as {{ negsample._double() }}) / 70368744177664.0)
{%- endmacro %}

{% macro postgres___exact_bounded_sum(expression) -%}
  (cast(sum(cast(({{ expression }}) * 70368744177664.0 as bigint)) as {{ negsample._double() }}) / 70368744177664.0)
{%- endmacro %}

{#- Redshift dispatches to postgres__ macros, and its sum of BIGINTs is a BIGINT: the exact form. -#}
{% macro redshift___exact_bounded_sum(expression) -%}
  {{ negsample._exact_sum(expression) }}
{%- endmacro %}

{#-
  sum(expression) over (window) of doubles, the same bits at any thread
  count (as _exact_sum: a DECIMAL(38, 18) running sum, back to a double).
-#}
{% macro _exact_sum_over(expression, window) -%}
  {{ return(adapter.dispatch('_exact_sum_over', 'negsample')(expression, window)) }}
{%- endmacro %}

{% macro default___exact_sum_over(expression, window) -%}
  cast(sum(cast({{ expression }} as decimal(38, 18))) over ({{ window }}) as {{ negsample._double() }})
{%- endmacro %}

{#- BigQuery: NUMERIC has 9 decimals at most; BIGNUMERIC has the 18. -#}
{% macro bigquery___exact_sum_over(expression, window) -%}
  cast(sum(cast({{ expression }} as bignumeric)) over ({{ window }}) as float64)
{%- endmacro %}

{#- sum(expression): the plain sum, where _exact_sum is not needed (a macro, so that either can be passed). -#}
{% macro _plain_sum(expression) -%}
  sum({{ expression }})
{%- endmacro %}
