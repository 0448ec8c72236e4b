{{ config(materialized='view') }}
{#-
  The source rows in the form every later model reads: id, a 0/1 integer
  label, numeric features as doubles, categorical levels cast to text once
  (so SQL and Python see the same strings, e.g. 'true' for a boolean), and
  the integer key of the seeded uniform.
-#}
{%- set cfg = negsample._config() -%}
{%- set source_relation = ref(cfg.source) -%}

select
    {{ adapter.quote(cfg.id_column) }},
    cast({{ adapter.quote(cfg.label_column) }} as integer) as {{ adapter.quote(cfg.label_column) }},
    {%- for name in cfg.numeric_features %}
    cast({{ adapter.quote(name) }} as {{ negsample._double() }}) as {{ adapter.quote(name) }},
    {%- endfor %}
    {%- for name in cfg.categorical_features %}
    cast({{ adapter.quote(name) }} as {{ dbt.type_string() }}) as {{ adapter.quote(name) }},
    {%- endfor %}
    {%- if cfg.pilot_score_column %}
    cast({{ adapter.quote(cfg.pilot_score_column) }} as {{ negsample._double() }}) as negsample_pilot_score,
    {%- endif %}
    {{ negsample._row_key(cfg.id_column, source_relation) }} as negsample_key
from {{ source_relation }}
