{#-
  A BIGINT key for the seeded uniform, from the id column of `relation`.
  Integer ids are used as they are; any other id is hashed with md5 (first 60
  bits), which every engine computes the same way.
-#}
{% macro _row_key(id_column, relation, alias=none) -%}
  {%- set id_sql = ((alias ~ '.') if alias else '') ~ adapter.quote(id_column) -%}
  {%- set ns = namespace(is_integer=true) -%}
  {%- if execute -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
      {%- if col.name | lower == id_column | lower -%}
        {%- set ns.is_integer = col.is_integer() -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if ns.is_integer -%}
    cast({{ id_sql }} as bigint)
  {%- else -%}
    {{ adapter.dispatch('_string_key', 'negsample')(id_sql) }}
  {%- endif -%}
{%- endmacro %}

{% macro default___string_key(expression) -%}
  cast(('0x' || substr(md5(cast({{ expression }} as {{ dbt.type_string() }})), 1, 15)) as bigint)
{%- endmacro %}
