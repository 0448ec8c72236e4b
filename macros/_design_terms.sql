{#-
  The design vector x-dot as a list of terms, in the order every model uses:
  intercept, numeric features (var order), then one indicator per
  non-reference level of each categorical feature (var order, levels sorted).

  Levels are data, not config: they are read at run time from the
  coefficient table that the fit wrote (`coefficients`, rows of
  `model_name`), the way
  dbt_utils.get_column_values reads a column. Each term is a dict with
  `term`, `level` (none for numeric terms) and `sql` (its value in a row).
  `levels` maps each categorical feature to all its levels, reference included,
  so that unseen and NULL levels can be counted. `exprs` maps each feature to
  the SQL that reads it (default: its quoted name, as in <design>_input).
-#}
{% macro _design_terms(cfg, coefficients, model_name='pilot', exprs=none) -%}
  {%- set exprs = exprs or negsample._feature_columns(cfg) -%}
  {%- set terms = [{'term': 'intercept', 'level': none, 'sql': '1.0'}] -%}
  {%- for name in cfg.numeric_features -%}
    {%- do terms.append({'term': name, 'level': none, 'sql': exprs[name]}) -%}
  {%- endfor -%}
  {%- set levels = {} -%}
  {%- set rows = negsample._categorical_levels(coefficients, model_name) -%}
  {%- for name in cfg.categorical_features -%}
    {%- set mine = rows | selectattr('term', 'equalto', name) | list -%}
    {%- do levels.update({name: mine | map(attribute='level') | sort(case_sensitive=true) | list}) -%}
    {%- for row in mine | rejectattr('is_reference') | sort(attribute='level', case_sensitive=true) -%}
      {%- do terms.append({
        'term': name,
        'level': row.level,
        'sql': 'case when ' ~ exprs[name] ~ ' = ' ~ negsample._string_literal(row.level) ~ ' then 1.0 else 0.0 end',
      }) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return({'terms': terms, 'levels': levels, 'exprs': exprs}) }}
{%- endmacro %}

{#-
  (term, level, is_reference) of every categorical level of `model_name` in a
  coefficient table. A table without is_reference (fitted elsewhere) lists only
  non-reference levels; any level it does not list scores as the reference.
-#}
{% macro _categorical_levels(coefficients, model_name) -%}
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
    where level is not null and model = {{ negsample._string_literal(model_name) }}
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

{#-
  Each feature's SQL in a relation shaped like <design>_input: its quoted
  name, qualified by `alias` when given (and negsample_pilot_score for the
  pilot_score_column, when set).
-#}
{% macro _feature_columns(cfg, alias=none) -%}
  {%- set prefix = (alias ~ '.') if alias else '' -%}
  {%- set exprs = {} -%}
  {%- for name in cfg.numeric_features + cfg.categorical_features -%}
    {%- do exprs.update({name: prefix ~ adapter.quote(name)}) -%}
  {%- endfor -%}
  {%- if cfg.pilot_score_column -%}
    {%- do exprs.update({'negsample_pilot_score': prefix ~ 'negsample_pilot_score'}) -%}
  {%- endif -%}
  {{ return(exprs) }}
{%- endmacro %}
