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

{#-
  A symmetric k x k `matrix` (a list of rows) as long rows of model
  `model_name` in the columns of a design's pilot table (term and level of
  the row, col_term and col_level of the column, estimate the entry), for
  the terms `terms` ((term, level) pairs in matrix order). Written as the
  upper triangle of entries indexed by term and mirrored in SQL, so that
  the text grows as k^2 / 2 numbers, not as k^2 named rows.
-#}
{% macro _literal_matrix(model_name, terms, matrix) -%}
  {%- set k = terms | length -%}
  {%- set term_rows, entries = [], [] -%}
  {%- for term, level in terms -%}
    {%- do term_rows.append([loop.index0 | string, negsample._string_literal(term), negsample._text_literal(level)]) -%}
  {%- endfor -%}
  {%- for i in range(k) -%}
    {%- for j in range(i, k) %}{% do entries.append([i | string, j | string, negsample._double_literal(matrix[i][j])]) %}{% endfor -%}
  {%- endfor -%}
  {%- set term_table = negsample._literal_table([('term_index', 'integer'), ('term', dbt.type_string()), ('level', dbt.type_string())], term_rows) -%}
select
    cast({{ negsample._string_literal(model_name) }} as {{ dbt.type_string() }}) as model,
    row_terms.term,
    row_terms.level,
    cast(false as {{ dbt.type_boolean() }}) as is_reference,
    both_triangles.value as estimate,
    cast(null as {{ negsample._double() }}) as std_error,
    col_terms.term as col_term,
    col_terms.level as col_level
from (
    -- The upper triangle, and its mirror below the diagonal (side 1).
    select
        case when sides.side = 0 then upper_entries.row_index else upper_entries.col_index end as row_index,
        case when sides.side = 0 then upper_entries.col_index else upper_entries.row_index end as col_index,
        upper_entries.value
    from ({{ negsample._literal_table([('row_index', 'integer'), ('col_index', 'integer'), ('value', negsample._double())], entries) }}) as upper_entries
    cross join ({{ negsample._literal_table([('side', 'integer')], [['0'], ['1']]) }}) as sides
    where sides.side = 0 or upper_entries.row_index <> upper_entries.col_index
) as both_triangles
inner join ({{ term_table }}) as row_terms on both_triangles.row_index = row_terms.term_index
inner join ({{ term_table }}) as col_terms on both_triangles.col_index = col_terms.term_index
{%- endmacro %}
