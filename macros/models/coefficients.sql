{#-
  <design>_coefficients: the pilot and the final coefficients in one table
  (the model contract in the README), on the population scale. model: 'pilot', 'final'
  (log-odds corrected) or 'ipw' (the weighted fit kept for comparison). A
  reference level is a row with is_reference true and estimate 0;
  coefficients fitted elsewhere may leave the reference level out.
-#}
{% macro _model_coefficients(cfg) -%}
  {%- if cfg.final_coefficients -%}
    {%- set final = negsample._setting_relation(cfg.final_coefficients) -%}
  {%- else -%}
    {%- set final = negsample._design_ref(cfg, 'final_model' if cfg.fit_engine == 'python' else 'final_model_sql') -%}
  {%- endif -%}
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
