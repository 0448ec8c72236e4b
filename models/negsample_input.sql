{{ config(materialized='view') }}
{#-
  The source rows in the form every later model reads: id, a 0/1 integer
  label, numeric features as doubles, categorical levels cast to text once
  (so SQL and Python see the same strings, e.g. 'true' for a boolean), and
  the integer key of the seeded uniform. The source is checked first
  (macro _validate_source): a bad source stops the run here, before any
  negsample table is replaced. With var negsample:null_features = impute_mean,
  a NULL numeric feature takes the column's mean over the source, and
  negsample_imputed counts such values in the row.
-#}
{%- set cfg = negsample._config() -%}
{%- set source_relation = ref(cfg.source) -%}
{%- do negsample._validate_source(source_relation, cfg) -%}
{%- do negsample._check_frozen_design(cfg) -%}
{%- set impute = cfg.null_features == 'impute_mean' -%}

with source_rows as (
    select * from {{ source_relation }}
){%- if impute %},

feature_means as (
    select
    {%- for name in cfg.numeric_features %}
        avg(cast({{ adapter.quote(name) }} as {{ negsample._double() }})) as mean_{{ loop.index0 }}{{ ',' if not loop.last }}
    {%- endfor %}
    from source_rows
)
{%- endif %}

select
    source_rows.{{ adapter.quote(cfg.id_column) }},
    cast(source_rows.{{ adapter.quote(cfg.label_column) }} as integer) as {{ adapter.quote(cfg.label_column) }},
    {%- for name in cfg.numeric_features %}
    {%- if impute %}
    coalesce(
        cast(source_rows.{{ adapter.quote(name) }} as {{ negsample._double() }}), feature_means.mean_{{ loop.index0 }}
    ) as {{ adapter.quote(name) }},
    {%- else %}
    cast(source_rows.{{ adapter.quote(name) }} as {{ negsample._double() }}) as {{ adapter.quote(name) }},
    {%- endif %}
    {%- endfor %}
    {%- for name in cfg.categorical_features %}
    cast(source_rows.{{ adapter.quote(name) }} as {{ dbt.type_string() }}) as {{ adapter.quote(name) }},
    {%- endfor %}
    {%- if cfg.pilot_score_column %}
    cast(source_rows.{{ adapter.quote(cfg.pilot_score_column) }} as {{ negsample._double() }}) as negsample_pilot_score,
    {%- endif %}
    {%- if impute %}
    {% for name in cfg.numeric_features -%}
    {{ ' + ' if not loop.first }}(case when source_rows.{{ adapter.quote(name) }} is null then 1 else 0 end)
    {%- endfor %} as negsample_imputed,
    {%- else %}
    0 as negsample_imputed,
    {%- endif %}
    {{ negsample._row_key(cfg.id_column, source_relation, 'source_rows') }} as negsample_key
from source_rows
{%- if impute %}
cross join feature_means
{%- endif %}
