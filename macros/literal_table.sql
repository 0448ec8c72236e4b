{#-
  A select of literal rows with typed columns: what the SQL fit engine's
  models write (coefficients, the pilot's information matrix). `columns` is
  a list of (name, SQL type); `rows` a list of rows, each a list of SQL
  literals (see _double_literal; 'null' for NULL). No rows gives an empty
  select of the same columns. Dispatched: VALUES is spelled differently on
  Spark and missing on BigQuery.
-#}
{% macro _literal_table(columns, rows) -%}
  {{ return(adapter.dispatch('_literal_table', 'negsample')(columns, rows)) }}
{%- endmacro %}

{#-
  No rows: every column typed, from a one-row derived table that the WHERE
  empties (BigQuery rejects a WHERE without a FROM).
-#}
{% macro default___literal_table(columns, rows) -%}
  {%- if rows | length == 0 -%}
select
    {%- for name, type in columns %}
    cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
from (select 1 as one) as no_rows
where 1 = 0
  {%- else -%}
select
    {{- negsample._literal_table_casts(columns) }}
from (
    values
    {%- for row in rows %}
    ({{ row | join(', ') }}){{ ',' if not loop.last }}
    {%- endfor %}
) as literal_rows ({{ columns | map(attribute=0) | join(', ') }})
  {%- endif -%}
{%- endmacro %}

{#- Spark and Databricks: an inline table is `from values ... as name (columns)`. -#}
{% macro spark___literal_table(columns, rows) -%}
  {%- if rows | length == 0 -%}
{{ negsample.default___literal_table(columns, rows) }}
  {%- else -%}
select
    {{- negsample._literal_table_casts(columns) }}
from values
    {%- for row in rows %}
    ({{ row | join(', ') }}){{ ',' if not loop.last }}
    {%- endfor %}
    as literal_rows ({{ columns | map(attribute=0) | join(', ') }})
  {%- endif -%}
{%- endmacro %}

{#-
  BigQuery has no VALUES table: a typed array, unnested. The array's type
  names the struct's fields once, so each row is a bare tuple and the text
  grows as a VALUES list does (a `struct(v as name, ...)` per row would put
  the M~^-1 of 200 terms over BigQuery's 1 MB of query text). A tuple needs
  two fields: one column is an array of its type.
-#}
{% macro bigquery___literal_table(columns, rows) -%}
  {%- if rows | length == 0 -%}
{{ negsample.default___literal_table(columns, rows) }}
  {%- elif columns | length == 1 -%}
select
    {{- negsample._literal_table_casts(columns) }}
from unnest(array<{{ columns[0][1] }}>[
    {%- for row in rows %}
    {{ row[0] }}{{ ',' if not loop.last }}
    {%- endfor %}
]) as {{ columns[0][0] }}
  {%- else -%}
select
    {{- negsample._literal_table_casts(columns) }}
from unnest(array<struct<{% for name, type in columns %}{{ name }} {{ type }}{{ ', ' if not loop.last }}{% endfor %}>>[
    {%- for row in rows %}
    ({{ row | join(', ') }}){{ ',' if not loop.last }}
    {%- endfor %}
])
  {%- endif -%}
{%- endmacro %}

{#- The select list of a literal table: each column cast to its type, under its name. -#}
{% macro _literal_table_casts(columns) -%}
    {%- for name, type in columns %}
    cast({{ name }} as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#-
  A float as a SQL literal that every engine reads as the same double: the
  shortest repr, always with an exponent (a bare decimal such as 0.1 is a
  DECIMAL on some engines, whose conversion to double can be one ulp off).
-#}
{% macro _double_literal(value) -%}
  {%- if value is none -%}{{ return('null') }}{%- endif -%}
  {%- set text = '%r' | format(value | float) -%}
  {%- if 'e' not in text -%}{%- set text = text ~ 'e0' -%}{%- endif -%}
  {{ return(text) }}
{%- endmacro %}

{#- A text value as a SQL literal (null for none). -#}
{% macro _text_literal(value) -%}
  {{ return('null' if value is none else negsample._string_literal(value)) }}
{%- endmacro %}
