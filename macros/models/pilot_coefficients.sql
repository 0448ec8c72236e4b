{#-
  <design>_pilot_coefficients: the pilot every later model reads, wherever it
  comes from, as rows of the coefficient contract: model 'pilot' (the
  coefficients), model 'information' (M~^-1 for the a_optimal score: term
  and level name the matrix row, col_term and col_level its column, estimate
  the entry) and model 'information_squared' (its square, which the score
  reads). From the pilot fit (<design>_pilot_model, or
  <design>_pilot_model_sql with the SQL fit engine), from the relations
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
  {%- else %}
with given as (
  {%- if cfg.pilot_source == 'python' %}
    {{ negsample._long_coefficient_rows(negsample._design_ref(cfg, 'pilot_model' if cfg.fit_engine == 'python' else 'pilot_model_sql'), ['pilot', 'information']) }}
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
    {{ negsample._literal_table(negsample._pilot_table_columns(), []) }}
  {%- endif %}
),

information as (
    select * from given where model = 'information'
),

-- Q = (M~^-1)^2 for the a_optimal score ||M~^-1 x-dot||^2 = x-dot' Q x-dot
-- (macro _quadratic_form): one product over the k^2 entries, made once.
squared as (
    select
        cast('information_squared' as {{ string }}) as model,
        left_entries.term,
        left_entries.level,
        cast(false as {{ dbt.type_boolean() }}) as is_reference,
        sum(left_entries.estimate * right_entries.estimate) as estimate,
        cast(null as {{ negsample._double() }}) as std_error,
        right_entries.col_term,
        right_entries.col_level
    from information as left_entries
    inner join information as right_entries
        on left_entries.col_term = right_entries.term
        and coalesce(left_entries.col_level, '') = coalesce(right_entries.level, '')
    group by left_entries.term, left_entries.level, right_entries.col_term, right_entries.col_level
)

select * from given
union all
select * from squared
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
