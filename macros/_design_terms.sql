{#-
  The design vector x-dot as a list of terms, in the order every model uses:
  intercept, numeric features (var order), then one indicator per
  non-reference level of each categorical feature (var order, levels sorted).

  Levels are data, not config: they are read at run time from the
  coefficient table that the fit wrote (`coefficients`), the way
  dbt_utils.get_column_values reads a column. Each term is a dict with
  `term`, `level` (none for numeric terms) and `sql` (its value in a row).
  `levels` maps each categorical feature to all its levels, reference included,
  so that unseen and NULL levels can be counted.
-#}
{% macro _design_terms(coefficients) -%}
  {%- set cfg = negsample._config() -%}
  {%- set terms = [{'term': 'intercept', 'level': none, 'sql': '1.0'}] -%}
  {%- for name in cfg.numeric_features -%}
    {%- do terms.append({'term': name, 'level': none, 'sql': adapter.quote(name)}) -%}
  {%- endfor -%}
  {%- set levels = {} -%}
  {%- set rows = negsample._categorical_levels(coefficients) -%}
  {%- for name in cfg.categorical_features -%}
    {%- set mine = rows | selectattr('term', 'equalto', name) | list -%}
    {%- do levels.update({name: mine | map(attribute='level') | sort | list}) -%}
    {%- for row in mine | rejectattr('is_reference') | sort(attribute='level') -%}
      {%- do terms.append({
        'term': name,
        'level': row.level,
        'sql': 'case when ' ~ adapter.quote(name) ~ ' = ' ~ negsample._string_literal(row.level) ~ ' then 1.0 else 0.0 end',
      }) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return({'terms': terms, 'levels': levels}) }}
{%- endmacro %}

{#-
  (term, level, is_reference) of every categorical level in a coefficient
  table. A table without is_reference (fitted elsewhere) lists only
  non-reference levels; any level it does not list scores as the reference.
-#}
{% macro _categorical_levels(coefficients) -%}
  {%- if not execute -%}
    {{ return([]) }}
  {%- endif -%}
  {%- set found = adapter.get_relation(database=coefficients.database, schema=coefficients.schema, identifier=coefficients.identifier) -%}
  {%- if found is none -%}
    {{ return([]) }}
  {%- endif -%}
  {#- Without an is_reference column, the reference level is the one left out. -#}
  {%- set query -%}
    select distinct term, level, {{ 'is_reference' if negsample._has_column(found, 'is_reference') else 'false' }}
    from {{ coefficients }}
    where level is not null
  {%- endset -%}
  {%- set rows = [] -%}
  {%- for row in run_query(query).rows -%}
    {%- do rows.append({'term': row[0], 'level': row[1], 'is_reference': row[2] in [true, 1, 'true']}) -%}
  {%- endfor -%}
  {{ return(rows) }}
{%- endmacro %}

{#-
  The rows of `coefficients` whose model is one of `models`, with the
  contract's columns in the contract's types. A relation without an
  is_reference column (coefficients fitted elsewhere) gets false: its
  reference levels are the ones it leaves out, and unseen levels score as
  the reference.
-#}
{% macro _coefficient_rows(coefficients, models) -%}
select
    cast(model as {{ dbt.type_string() }}) as model,
    cast(term as {{ dbt.type_string() }}) as term,
    cast(level as {{ dbt.type_string() }}) as level,
    {%- if negsample._has_column(coefficients, 'is_reference') %}
    cast(is_reference as {{ dbt.type_boolean() }}) as is_reference,
    {%- else %}
    false as is_reference,
    {%- endif %}
    cast(estimate as {{ negsample._double() }}) as estimate,
    cast(std_error as {{ negsample._double() }}) as std_error
from {{ coefficients }}
where model in ({% for m in models %}{{ negsample._string_literal(m) }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#-
  Whether `relation` has `column` (case-insensitive). Before the relation
  exists (parsing, a first compile) the answer is true: the contract's
  columns are assumed.
-#}
{% macro _has_column(relation, column) -%}
  {%- if not execute -%}
    {{ return(true) }}
  {%- endif -%}
  {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
  {%- if found is none -%}
    {{ return(true) }}
  {%- endif -%}
  {%- set names = adapter.get_columns_in_relation(found) | map(attribute='name') | map('lower') | list -%}
  {{ return(column | lower in names) }}
{%- endmacro %}
