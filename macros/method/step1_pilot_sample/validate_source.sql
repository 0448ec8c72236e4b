{#-
  Checks the source before anything is built from it, and stops the run with
  one message that lists every problem, naming the setting, column and
  values at fault. Called when <design>_source_check, the first model of a
  design, is compiled, so a failure skips every model downstream: the tables
  and views already built stay as they were and BI tools keep serving the
  last good scores.

  Two steps: the columns (do they exist, are numeric features numeric), from
  the relation's metadata; then one aggregate pass over the rows (labels,
  NULL and repeated ids, the largest integer id, NULLs, infinities, class
  counts, the features' means, levels per categorical feature): the first of
  a build's passes over the source (docs/method.md). Returns that pass's row
  (a dict), which the source check writes down: class counts and means are
  not counted again.
-#}
{% macro _validate_source(relation, cfg, frozen=none) -%}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set setting = negsample._setting_label -%}
  {%- set source_name = "the source " ~ relation ~ " (" ~ setting(cfg.design, 'source') ~ ")" -%}
  {%- set stopped = "design '" ~ cfg.design ~ "' stopped here: none of its relations was replaced (any other design builds as usual)" -%}
  {%- if adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
    {{ negsample._fail(source_name ~ " does not exist in the warehouse: build or load it first, or correct the setting; " ~ stopped) }}
  {%- endif -%}
  {%- set columns = adapter.get_columns_in_relation(relation) -%}
  {%- set by_name = {} -%}
  {%- for col in columns -%}{%- do by_name.update({col.name | lower: col}) -%}{%- endfor -%}
  {%- set available = columns | map(attribute='name') | join(', ') -%}
  {%- set roles = [('id_column', cfg.id_column), ('label_column', cfg.label_column)] -%}
  {%- for name in cfg.numeric_features %}{% do roles.append(('numeric_features', name)) %}{% endfor -%}
  {%- for name in cfg.categorical_features %}{% do roles.append(('categorical_features', name)) %}{% endfor -%}
  {%- for name in cfg.passthrough_columns %}{% do roles.append(('passthrough_columns', name)) %}{% endfor -%}
  {%- if cfg.pilot_score_column %}{% do roles.append(('pilot_score_column', cfg.pilot_score_column)) %}{% endif -%}
  {%- for role, column in roles -%}
    {%- if (column | lower) not in by_name -%}
      {{ negsample._fail("column '" ~ column ~ "' (" ~ setting(cfg.design, role) ~ ") does not exist in " ~ relation ~ "; its columns are: " ~ available) }}
    {%- endif -%}
  {%- endfor -%}
  {%- for role, column in roles if role in ['numeric_features', 'label_column', 'pilot_score_column'] -%}
    {%- set col = by_name[column | lower] -%}
    {%- set type_name = col.dtype | lower -%}
    {%- set base_type = type_name.split('(')[0].strip() -%}
    {%- set numeric_names = ['int', 'integer', 'bigint', 'smallint', 'tinyint', 'hugeint', 'double', 'float', 'real', 'decimal', 'numeric', 'number', 'float64', 'int64', 'double precision', 'boolean', 'bool', 'long', 'short', 'byte', 'int2', 'int4', 'int8', 'float4', 'float8'] -%}
    {%- if not (col.is_numeric() or col.is_float() or col.is_integer() or base_type in numeric_names) -%}
      {{ negsample._fail("column '" ~ column ~ "' (" ~ setting(cfg.design, role) ~ ") has type " ~ col.dtype ~ ", not a number" ~ (("; list it in " ~ setting(cfg.design, 'categorical_features') ~ " instead") if role == 'numeric_features' else "")) }}
    {%- endif -%}
  {%- endfor -%}

  {%- set id = adapter.quote(cfg.id_column) -%}
  {%- set id_is_integer = negsample._is_integer_column(by_name[cfg.id_column | lower]) -%}
  {%- set label = "cast(" ~ adapter.quote(cfg.label_column) ~ " as " ~ negsample._double() ~ ")" -%}
  {%- set check_query -%}
    select
        count(*) as n_rows,
        sum(case when {{ label }} is null then 1 else 0 end) as null_labels,
        sum(case when {{ label }} not in (0, 1) then 1 else 0 end) as bad_labels,
        {#- The offending labels as the column holds them (2, not 2.0). #}
        min(case when {{ label }} not in (0, 1) then {{ adapter.quote(cfg.label_column) }} end) as bad_label_low,
        max(case when {{ label }} not in (0, 1) then {{ adapter.quote(cfg.label_column) }} end) as bad_label_high,
        sum(case when {{ label }} = 1 then 1 else 0 end) as n_positive,
        sum(case when {{ label }} = 0 then 1 else 0 end) as n_negative,
        sum(case when {{ id }} is null then 1 else 0 end) as null_ids,
        count({{ id }}) - count(distinct {{ id }}) as duplicate_ids
        {%- if id_is_integer %},
        max(cast({{ id }} as bigint)) as id_max
        {%- if frozen and frozen['estimated_id_max'] is not none %},
        sum(case when cast({{ id }} as bigint) > {{ frozen['estimated_id_max'] | int }} then 1 else 0 end) as new_rows
        {%- elif not frozen %},
        {#- The design is estimated on this table: no row is new to it. #}
        0 as new_rows
        {%- endif %}
        {%- endif %},
        {{ (negsample._null_count_sum(cfg) if cfg.null_features == 'impute_mean' else '0') }} as imputed_values
        {%- for name in cfg.numeric_features %}
        {%- set x = "cast(" ~ adapter.quote(name) ~ " as " ~ negsample._double() ~ ")" %},
        count(*) - count({{ x }}) as nulls_{{ loop.index0 }},
        count(case when {{ negsample._is_not_finite(x) }} then 1 end) as nonfinite_{{ loop.index0 }},
        avg({{ x }}) as mean_{{ loop.index0 }}
        {%- endfor %}
        {%- for name in cfg.categorical_features %},
        count(distinct cast({{ adapter.quote(name) }} as {{ dbt.type_string() }})) as levels_{{ loop.index0 }}
        {%- endfor %}
    from {{ relation }}
  {%- endset -%}
  {%- set result = run_query(check_query) -%}
  {%- set row = {} -%}
  {%- for name in result.column_names -%}{%- do row.update({name | lower: result.rows[0][loop.index0]}) -%}{%- endfor -%}
  {%- if (row['n_rows'] | int) == 0 -%}
    {{ negsample._fail(source_name ~ " has no rows; " ~ stopped) }}
  {%- endif -%}
  {%- set problems = [] -%}
  {%- set label_name = "label column '" ~ cfg.label_column ~ "' (" ~ setting(cfg.design, 'label_column') ~ ")" -%}
  {%- set id_name = "id column '" ~ cfg.id_column ~ "' (" ~ setting(cfg.design, 'id_column') ~ ")" -%}
  {%- if row['null_labels'] > 0 -%}
    {%- do problems.append(label_name ~ " is NULL in " ~ row['null_labels'] ~ " rows") -%}
  {%- endif -%}
  {%- if row['bad_labels'] > 0 -%}
    {%- do problems.append(label_name ~ " holds values other than 0 and 1 in " ~ row['bad_labels'] ~ " rows (from " ~ row['bad_label_low'] ~ " to " ~ row['bad_label_high'] ~ ")") -%}
  {%- endif -%}
  {%- if row['null_ids'] > 0 -%}
    {%- do problems.append(id_name ~ " is NULL in " ~ row['null_ids'] ~ " rows") -%}
  {%- endif -%}
  {%- if row['duplicate_ids'] > 0 -%}
    {%- do problems.append(id_name ~ " repeats: " ~ row['duplicate_ids'] ~ " rows share an id with another row") -%}
  {%- endif -%}
  {%- if row['n_positive'] == 0 -%}
    {%- do problems.append(label_name ~ " has no positives (label 1) among " ~ row['n_rows'] ~ " rows") -%}
  {%- endif -%}
  {%- if row['n_negative'] == 0 -%}
    {%- do problems.append(label_name ~ " has no negatives (label 0) among " ~ row['n_rows'] ~ " rows") -%}
  {%- endif -%}
  {%- set ns = namespace(terms=1 + (cfg.numeric_features | length)) -%}
  {%- for name in cfg.numeric_features -%}
    {%- set nulls = row['nulls_' ~ loop.index0] -%}
    {%- if nulls > 0 and cfg.null_features == 'error' -%}
      {%- do problems.append("numeric feature '" ~ name ~ "' is NULL in " ~ nulls ~ " rows (set " ~ setting(cfg.design, 'null_features') ~ " to impute_mean to fill them with the column mean)") -%}
    {%- endif -%}
    {%- if nulls == row['n_rows'] -%}
      {%- do problems.append("numeric feature '" ~ name ~ "' is NULL in every row") -%}
    {%- endif -%}
    {%- if row['nonfinite_' ~ loop.index0] > 0 -%}
      {%- do problems.append("numeric feature '" ~ name ~ "' is infinite or NaN in " ~ row['nonfinite_' ~ loop.index0] ~ " rows") -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for name in cfg.categorical_features -%}
    {%- set levels = row['levels_' ~ loop.index0] -%}
    {%- set ns.terms = ns.terms + [levels - 1, 0] | max -%}
    {%- if levels > cfg.max_levels -%}
      {%- do problems.append("categorical feature '" ~ name ~ "' has " ~ levels ~ " levels, more than " ~ setting(cfg.design, 'max_levels') ~ " (" ~ cfg.max_levels ~ ") allows") -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if row['n_positive'] > 0 and row['n_positive'] < ns.terms -%}
    {%- do problems.append(label_name ~ " has " ~ row['n_positive'] ~ " positives, fewer than the " ~ ns.terms ~ " coefficients to fit (features + 1)") -%}
  {%- endif -%}
  {%- if problems | length > 0 -%}
    {{ negsample._fail(source_name ~ " failed its checks; " ~ stopped ~ ":\n  - " ~ problems | join("\n  - ")) }}
  {%- endif -%}
  {{ return(row) }}
{%- endmacro %}

{#- SQL of the number of NULLs over the numeric features of a row set, summed (the values impute_mean fills). -#}
{% macro _null_count_sum(cfg) -%}
  {%- set parts = [] -%}
  {%- for name in cfg.numeric_features %}{% do parts.append('count(*) - count(' ~ adapter.quote(name) ~ ')') %}{% endfor -%}
  {{ return(parts | join(' + ')) }}
{%- endmacro %}
