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

{% macro default___literal_table(columns, rows) -%}
  {%- if rows | length == 0 -%}
select
    {%- for name, type in columns %}
    cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
where 1 = 0
  {%- else -%}
select
    {%- for name, type in columns %}
    cast({{ name }} as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
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
    {%- for name, type in columns %}
    cast({{ name }} as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
from values
    {%- for row in rows %}
    ({{ row | join(', ') }}){{ ',' if not loop.last }}
    {%- endfor %}
    as literal_rows ({{ columns | map(attribute=0) | join(', ') }})
  {%- endif -%}
{%- endmacro %}

{#- BigQuery has no VALUES table: an array of structs, unnested. -#}
{% macro bigquery___literal_table(columns, rows) -%}
  {%- if rows | length == 0 -%}
{{ negsample.default___literal_table(columns, rows) }}
  {%- else -%}
select
    {%- for name, type in columns %}
    cast({{ name }} as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
from unnest([
    {%- for row in rows %}
    struct({% for value in row %}{{ value }} as {{ columns[loop.index0][0] }}{{ ', ' if not loop.last }}{% endfor %}){{ ',' if not loop.last }}
    {%- endfor %}
])
  {%- endif -%}
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
