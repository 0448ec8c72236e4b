{#-
  The body of design `design`'s model of kind `kind`: every model of every
  design is one call of this macro, in a file named <design>_<kind>.sql (the
  package's own models are the default design, `negsample`; `negsample
  add-design NAME` writes NAME's files). A design that is not declared (the
  default design without a source) has its models disabled.

  Materializations live in dbt_project.yml (the package's models) or in the
  design's properties file (a named design's), not here, so that a project
  can override them; the stores of a frozen design are the exception,
  since their materialization follows the setting freeze_design.
-#}
{% macro design_model(design, kind) -%}
  {%- set builders = {
    'source_check': negsample._model_source_check,
    'input': negsample._model_input,
    'pilot_sample': negsample._model_pilot_sample,
    'pilot_coefficients': negsample._model_pilot_coefficients,
    'score_choice': negsample._model_score_choice,
    'sampling_scale': negsample._model_sampling_scale,
    'sampling_probs': negsample._model_sampling_probs,
    'sample': negsample._model_sample,
    'coefficients': negsample._model_coefficients,
    'diagnostics_cells': negsample._model_diagnostics_cells,
    'intercept_update': negsample._model_intercept_update,
    'design': negsample._model_design,
    'scored': negsample._model_scored,
    'diagnostics': negsample._model_diagnostics,
    'diagnostics_fit': negsample._model_diagnostics_fit,
    'diagnostics_sampling_probs': negsample._model_diagnostics_sampling_probs,
    'diagnostics_coefficients': negsample._model_diagnostics_coefficients,
    'pilot_model_sql': negsample._model_pilot_model_sql,
    'final_model_sql': negsample._model_final_model_sql,
  } -%}
  {%- if kind not in builders -%}
    {{ negsample._fail("design_model: unknown model kind '" ~ kind ~ "'; expected one of " ~ (builders.keys() | sort | join(', '))) }}
  {%- endif -%}
  {%- set cfg = negsample._config(design) -%}
  {#- The SQL fits run where the fit engine is sql; their Python twins elsewhere. -#}
  {%- if not cfg.enabled or (kind.endswith('_model_sql') and cfg.fit_engine != 'sql') -%}
    {%- do config(enabled=false) -%}
    select 1 as negsample_disabled_model
  {%- else -%}
    {{ builders[kind](cfg) }}
  {%- endif -%}
{%- endmacro %}
