{#-
  <design>_pilot_coefficients: the pilot every later model reads, wherever it
  comes from, as rows of the coefficient contract: model 'pilot' (the
  coefficients) and model 'information' (M~^-1 for the a_optimal score: term
  and level name the matrix row, col_term and col_level its column, estimate
  the entry). From the pilot fit (<design>_pilot_model), from the relations
  named by the settings pilot_coefficients and pilot_information, or no rows
  when the pilot_score_column gives p~ and the score needs no design vector.

  Under a frozen design this is one of the two stores: an incremental table
  that a build appends nothing to, so the stored pilot serves until a full
  refresh.
-#}
{% macro _model_pilot_coefficients(cfg) -%}
  {%- do config(materialized=('incremental' if cfg.freeze_design else 'table')) -%}
  {%- set string = dbt.type_string() -%}
  {%- if is_incremental() %}
select * from {{ this }} where 1 = 0
  {%- elif cfg.pilot_source == 'python' %}
{{ negsample._long_coefficient_rows(negsample._design_ref(cfg, 'pilot_model'), ['pilot', 'information']) }}
  {%- elif cfg.pilot_source == 'relation' %}
{{ negsample._long_coefficient_rows(negsample._setting_relation(cfg.pilot_coefficients), ['pilot']) }}
    {%- if cfg.pilot_information %}
union all
select
    cast('information' as {{ string }}) as model,
    cast(row_term as {{ string }}) as term,
    cast(row_level as {{ string }}) as level,
    cast(false as {{ dbt.type_boolean() }}) as is_reference,
    cast(value as {{ negsample._double() }}) as estimate,
    cast(null as {{ negsample._double() }}) as std_error,
    cast(col_term as {{ string }}) as col_term,
    cast(col_level as {{ string }}) as col_level
from {{ negsample._setting_relation(cfg.pilot_information) }}
    {%- endif %}
  {%- else %}
select
    cast(null as {{ string }}) as model,
    cast(null as {{ string }}) as term,
    cast(null as {{ string }}) as level,
    cast(null as {{ dbt.type_boolean() }}) as is_reference,
    cast(null as {{ negsample._double() }}) as estimate,
    cast(null as {{ negsample._double() }}) as std_error,
    cast(null as {{ string }}) as col_term,
    cast(null as {{ string }}) as col_level
where 1 = 0
  {%- endif %}
{%- endmacro %}

{#-
  The rows of `coefficients` whose model is one of `models`, in the
  contract's columns and types, plus col_term and col_level (null where the
  relation has none). A relation without an is_reference column
  (coefficients fitted elsewhere) gets false: its reference levels are the
  ones it leaves out, and unseen levels score as the reference.
-#}
{% macro _long_coefficient_rows(coefficients, models) -%}
  {%- set string = dbt.type_string() -%}
select
    cast(model as {{ string }}) as model,
    cast(term as {{ string }}) as term,
    cast(level as {{ string }}) as level,
    {%- if negsample._has_column(coefficients, 'is_reference') %}
    cast(is_reference as {{ dbt.type_boolean() }}) as is_reference,
    {%- else %}
    cast(false as {{ dbt.type_boolean() }}) as is_reference,
    {%- endif %}
    cast(estimate as {{ negsample._double() }}) as estimate,
    cast(std_error as {{ negsample._double() }}) as std_error,
    {%- if negsample._has_column(coefficients, 'col_term') %}
    cast(col_term as {{ string }}) as col_term,
    cast(col_level as {{ string }}) as col_level
    {%- else %}
    cast(null as {{ string }}) as col_term,
    cast(null as {{ string }}) as col_level
    {%- endif %}
from {{ coefficients }}
where model in ({% for m in models %}{{ negsample._string_literal(m) }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}
