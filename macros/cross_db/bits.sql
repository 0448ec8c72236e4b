{#-
  Bitwise AND, XOR and arithmetic right shift of BIGINTs. The operators
  differ by engine (DuckDB's `^` is a power and its XOR is xor(); Spark
  writes the shift as shiftright(); Snowflake has functions only), so each
  engine gets its own spelling of the same two's-complement operation.
  The operands must be atomic (a name, a literal, a function call or a
  parenthesised expression): each result adds one parenthesis, no more,
  because the seeded uniform nests them some twenty deep and SQL linters
  and parsers have a depth limit.
-#}
{#- Bitwise AND of two BIGINTs (two's complement): `&`, or bitand() on Snowflake. -#}
{% macro _bitand(left, right) -%}
  {{ return(adapter.dispatch('_bitand', 'negsample')(left, right)) }}
{%- endmacro %}

{% macro default___bitand(left, right) -%}
  ({{ left }} & {{ right }})
{%- endmacro %}

{% macro snowflake___bitand(left, right) -%}
  bitand({{ left }}, {{ right }})
{%- endmacro %}

{#-
  Bitwise XOR of two BIGINTs: `^` (Spark, Databricks, BigQuery), xor() on
  DuckDB (whose `^` is a power), `#` on PostgreSQL, bitxor() on Snowflake.
-#}
{% macro _bitxor(left, right) -%}
  {{ return(adapter.dispatch('_bitxor', 'negsample')(left, right)) }}
{%- endmacro %}

{#- BigQuery, Spark and Databricks: `^` is XOR. -#}
{% macro default___bitxor(left, right) -%}
  ({{ left }} ^ {{ right }})
{%- endmacro %}

{% macro duckdb___bitxor(left, right) -%}
  xor({{ left }}, {{ right }})
{%- endmacro %}

{% macro postgres___bitxor(left, right) -%}
  ({{ left }} # {{ right }})
{%- endmacro %}

{% macro snowflake___bitxor(left, right) -%}
  bitxor({{ left }}, {{ right }})
{%- endmacro %}

{#- Arithmetic right shift of a BIGINT: `>>`, shiftright() on Spark, bitshiftright() on Snowflake. -#}
{% macro _shiftright(value, bits) -%}
  {{ return(adapter.dispatch('_shiftright', 'negsample')(value, bits)) }}
{%- endmacro %}

{% macro default___shiftright(value, bits) -%}
  ({{ value }} >> {{ bits }})
{%- endmacro %}

{% macro spark___shiftright(value, bits) -%}
  shiftright({{ value }}, {{ bits }})
{%- endmacro %}

{% macro snowflake___shiftright(value, bits) -%}
  bitshiftright({{ value }}, {{ bits }})
{%- endmacro %}
