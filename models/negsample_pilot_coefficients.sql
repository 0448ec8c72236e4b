{{ config(materialized='view') }}
{#-
  The pilot coefficients every later model reads, in the coefficient
  contract, from wherever they come (macro negsample._config):
  the Python pilot fit; the rows with model = 'pilot' of the relation named by
  `negsample:pilot_coefficients` (fitted elsewhere, e.g. on an engine without
  dbt Python models); or no rows at all when `negsample:pilot_score_column`
  gives p~ and the score needs no design vector.
-#}
{%- set cfg = negsample._config() -%}

{%- if cfg.pilot_source == 'python' %}
{{ negsample._coefficient_rows(ref('negsample_pilot_model'), ['pilot']) }}
{%- elif cfg.pilot_source == 'relation' %}
{{ negsample._coefficient_rows(ref(cfg.pilot_coefficients), ['pilot']) }}
{%- else %}
select
    cast(null as {{ dbt.type_string() }}) as model,
    cast(null as {{ dbt.type_string() }}) as term,
    cast(null as {{ dbt.type_string() }}) as level,
    cast(null as {{ dbt.type_boolean() }}) as is_reference,
    cast(null as {{ negsample._double() }}) as estimate,
    cast(null as {{ negsample._double() }}) as std_error
limit 0
{%- endif %}
