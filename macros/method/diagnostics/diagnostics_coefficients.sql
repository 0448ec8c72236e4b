{#-
  <design>_diagnostics_coefficients: the coefficient table side by side: one row per term (and level), the
  pilot, final (log-odds corrected) and IPW estimates with their standard
  errors. ipw_to_final_se_ratio above 1 is the efficiency the offset fit
  gains over weighting on the same rows. term_index orders the rows like
  the design vector: intercept, numeric features, categorical features.
-#}
{% macro _model_diagnostics_coefficients(cfg) -%}
{%- set ordered = ['intercept'] + cfg.numeric_features + cfg.categorical_features -%}

with pivoted as (
    select
        term,
        level,
        is_reference,
        max(case when model = 'pilot' then estimate end) as pilot_estimate,
        max(case when model = 'pilot' then std_error end) as pilot_std_error,
        max(case when model = 'final' then estimate end) as final_estimate,
        max(case when model = 'final' then std_error end) as final_std_error,
        max(case when model = 'ipw' then estimate end) as ipw_estimate,
        max(case when model = 'ipw' then std_error end) as ipw_std_error
    from {{ negsample._design_ref(cfg, 'coefficients') }}
    group by term, level, is_reference
)

select
    case term
        {%- for name in ordered %}
        when {{ negsample._string_literal(name) }} then {{ loop.index0 }}
        {%- endfor %}
    end as term_index,
    term,
    level,
    is_reference,
    pilot_estimate,
    pilot_std_error,
    final_estimate,
    final_std_error,
    final_estimate / final_std_error as final_z_value,
    final_estimate - pilot_estimate as final_minus_pilot,
    ipw_estimate,
    ipw_std_error,
    ipw_std_error / final_std_error as ipw_to_final_se_ratio
from pivoted
{%- endmacro %}
