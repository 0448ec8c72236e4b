{#-
  The lists that the SQL and the Python side must agree on, each declared
  once, here or in the macro named: the settings' defaults (_defaults), the
  model kinds of a design (_model_kinds), the adapters that run dbt Python
  models (_python_adapters), the score modes (_score_modes), and the fits'
  limits and messages (_fit_limits, _fit_messages). The Python package
  reads them from src/negsample/contract.json, which
  `python -m negsample.tools.contract` writes from this macro (dbt compile
  --inline); tests/test_contract.py fails when the two differ.
-#}
{% macro _contract() -%}
  {%- set defaults = negsample._defaults('a_named_design') -%}
  {{ return({
    'defaults': defaults,
    'model_kinds': negsample._model_kinds(),
    'python_adapters': negsample._python_adapters(),
    'score_modes': negsample._score_modes(),
    'fit_limits': negsample._fit_limits(),
    'fit_messages': negsample._fit_messages(),
  }) }}
{%- endmacro %}

{#-
  The model kinds of a design, in build order: each one's name (the model
  is <design>_<kind>), its language (sql: one call of design_model; python:
  a dbt Python model whose body is negsample.runtime.dbt_models.<kind>, with
  the refs it passes on), and its materialization (the package's
  dbt_project.yml and a named design's properties file say it, and a
  project may override it; a frozen design's stores are incremental).
-#}
{% macro _model_kinds() -%}
  {{ return([
    {'kind': 'source_check', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'input', 'language': 'sql', 'materialized': 'view'},
    {'kind': 'pilot_sample', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'pilot_model', 'language': 'python', 'materialized': 'table', 'refs': ['source_check', 'pilot_sample']},
    {'kind': 'pilot_model_sql', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'pilot_coefficients', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'score_choice', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'sampling_scale', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'sampling_probs', 'language': 'sql', 'materialized': 'view'},
    {'kind': 'sample', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'final_model', 'language': 'python', 'materialized': 'table', 'refs': ['source_check', 'sample', 'pilot_coefficients']},
    {'kind': 'final_model_sql', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'coefficients', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'diagnostics_cells', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'intercept_update', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'design', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'scored', 'language': 'sql', 'materialized': 'view'},
    {'kind': 'diagnostics', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'diagnostics_fit', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'diagnostics_sampling_probs', 'language': 'sql', 'materialized': 'table'},
    {'kind': 'diagnostics_coefficients', 'language': 'sql', 'materialized': 'table'},
  ]) }}
{%- endmacro %}

{#- The kinds a frozen design stores its parameters in: incremental tables under freeze_design. -#}
{% macro _store_kinds() -%}
  {{ return(['pilot_coefficients', 'score_choice', 'sampling_scale']) }}
{%- endmacro %}
