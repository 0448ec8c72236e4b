{#-
  <design>_coefficients: the pilot and the final coefficients in one table
  (the model contract in the README), on the population scale. model: 'pilot', 'final'
  (log-odds corrected) or 'ipw' (the weighted fit kept for comparison). A
  reference level is a row with is_reference true and estimate 0;
  coefficients fitted elsewhere may leave the reference level out.
-#}
{% macro _model_coefficients(cfg) -%}
  {%- set final = negsample._final_fit_relation(cfg) or negsample._setting_relation(cfg.final_coefficients) -%}
with final_rows as (
    {{ negsample._coefficient_rows(final, ['final', 'ipw']) }}
),

all_rows as (
    select
        model,
        term,
        level,
        is_reference,
        estimate,
        std_error
    from {{ negsample._design_ref(cfg, 'pilot_coefficients') }}
    where model = 'pilot'
    union all
    select
        model,
        term,
        level,
        is_reference,
        estimate,
        std_error
    from final_rows
)

select
    model,
    term,
    level,
    is_reference,
    estimate,
    std_error,
    estimate / std_error as z_value
from all_rows
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
