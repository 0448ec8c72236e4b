{#-
  A BIGINT key for the seeded uniform, from the id column of `relation`.
  Integer ids are used as they are; any other id is hashed with md5 (first 60
  bits, 15 hex digits), which every engine computes the same way.
-#}
{% macro _row_key(id_column, relation, alias=none) -%}
  {%- set id_sql = ((alias ~ '.') if alias else '') ~ adapter.quote(id_column) -%}
  {%- set ns = namespace(is_integer=true) -%}
  {%- if execute -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
      {%- if col.name | lower == id_column | lower -%}
        {%- set ns.is_integer = negsample._is_integer_column(col) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if ns.is_integer -%}
    cast({{ id_sql }} as bigint)
  {%- else -%}
    {{ negsample._string_key(id_sql) }}
  {%- endif -%}
{%- endmacro %}

{#-
  Whether a column holds whole numbers that fit a BIGINT. dbt's
  Column.is_integer() knows the Postgres names only; Spark says `int`,
  BigQuery `int64`, Snowflake `number(38,0)`. An id typed differently on two
  engines would be keyed differently, and the same seed would draw another
  sample.
-#}
{% macro _is_integer_column(column) -%}
  {%- set dtype = column.dtype | lower | replace(' ', '') -%}
  {{ return(
    column.is_integer()
    or dtype in ['int', 'tinyint', 'smallint', 'integer', 'bigint', 'long', 'short', 'byte', 'int64', 'int32', 'int16', 'int8']
    or (dtype.startswith('number(') and dtype.endswith(',0)'))
  ) }}
{%- endmacro %}

{#- The first 15 hex digits of md5 of the text of `expression`, as a BIGINT. -#}
{% macro _string_key(expression) -%}
  {{ return(adapter.dispatch('_string_key', 'negsample')(expression)) }}
{%- endmacro %}

{#-
  Portable: each hex digit's value is its position in '0123456789abcdef'
  (ANSI position/substring), weighted by its power of 16. Engines with a
  hex parser use it below; this one serves the others (e.g. Postgres).
-#}
{% macro default___string_key(expression) -%}
  {%- set hex = "md5(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "))" -%}
  (
  {%- for i in range(15) %}
    {{ '+ ' if not loop.first }}(cast(position(substr({{ hex }}, {{ i + 1 }}, 1) in '0123456789abcdef') as bigint) - 1) * {{ 16 ** (14 - i) }}
  {%- endfor %}
  )
{%- endmacro %}

{#-
  PostgreSQL reads 16 hex digits as bit(64): one md5 call, where the
  portable form makes fifteen.
-#}
{% macro postgres___string_key(expression) -%}
  cast(cast('x0' || substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 1, 15) as bit(64)) as bigint)
{%- endmacro %}

{#- Redshift dispatches to postgres__ macros but has no bit(64): the portable form. -#}
{% macro redshift___string_key(expression) -%}
  {{ negsample.default___string_key(expression) }}
{%- endmacro %}

{#- DuckDB casts a '0x...' string to an integer. -#}
{% macro duckdb___string_key(expression) -%}
  cast(('0x' || substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 1, 15)) as bigint)
{%- endmacro %}

{#- Spark and Databricks: conv() turns base 16 into a base-10 string. -#}
{% macro spark___string_key(expression) -%}
  cast(conv(substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 1, 15), 16, 10) as bigint)
{%- endmacro %}

{#- BigQuery: md5 returns bytes; a '0x...' string casts to INT64. -#}
{% macro bigquery___string_key(expression) -%}
  cast(concat('0x', substr(to_hex(md5(cast({{ expression }} as {{ dbt.type_string() }}))), 1, 15)) as int64)
{%- endmacro %}

{#- Snowflake: the X format element reads hex digits. -#}
{% macro snowflake___string_key(expression) -%}
  cast(to_number(substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 1, 15), 'XXXXXXXXXXXXXXX') as bigint)
{%- endmacro %}
