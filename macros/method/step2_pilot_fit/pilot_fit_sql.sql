{#-
  The pilot and final fits where dbt Python models do not run (setting
  fit_engine = sql): <design>_pilot_model_sql and <design>_final_model_sql
  write the same tables as the Python models <design>_pilot_model and
  <design>_final_model, fitted by macros/fit/sql_fit.sql (Newton steps as
  aggregates in the warehouse). The fits run when the model is compiled;
  the model's SQL is their result as literal rows.
-#}

{#- The pilot table's columns and types. -#}
{% macro _pilot_table_columns() -%}
  {%- set text, double = dbt.type_string(), negsample._double() -%}
  {{ return([
    ('model', text), ('term', text), ('level', text), ('is_reference', dbt.type_boolean()),
    ('estimate', double), ('std_error', double), ('col_term', text), ('col_level', text),
  ]) }}
{%- endmacro %}

{#- Literal rows of a fit in the coefficient contract (reference levels as rows with estimate 0). -#}
{% macro _fit_rows(model_name, design, fitted, extra_nulls=0) -%}
  {%- set rows = [] -%}
  {%- set tail = ['null'] * extra_nulls -%}
  {%- for term, level in design.terms -%}
    {%- do rows.append([
      negsample._string_literal(model_name), negsample._string_literal(term), negsample._text_literal(level),
      'false', negsample._double_literal(fitted.estimate[loop.index0]),
      negsample._double_literal(fitted.std_error[loop.index0]),
    ] + tail) -%}
  {%- endfor -%}
  {%- for name in design.categorical -%}
    {%- do rows.append([
      negsample._string_literal(model_name), negsample._string_literal(name),
      negsample._string_literal(design.reference[name]), 'true', '0.0e0', 'null',
    ] + tail) -%}
  {%- endfor -%}
  {{ return(rows) }}
{%- endmacro %}

{#-
  <design>_pilot_model_sql: docs/method.md steps 1-2 with the SQL fit engine:
  the pilot fit on the pilot's rows of the pilot sample (is_pilot_row),
  offset -ln(rho0) on every row, and for a_optimal, logit_optimal or auto
  the inverse of the pilot information matrix M~ over the whole pilot
  sample (p without the offset, negatives weighted 1/rho_s), written by
  _literal_matrix. Empty when the pilot is not fitted in this build.
-#}
{% macro _model_pilot_model_sql(cfg) -%}
  {%- set columns = negsample._pilot_table_columns() -%}
  {%- set sample = negsample._design_ref(cfg, 'pilot_sample') -%}
  {%- if not execute or cfg.pilot_source != 'python' or negsample._frozen_state(cfg) == 'reuse' -%}
{{ negsample._literal_table(columns, []) }}
  {%- else -%}
    {%- set what = cfg.design ~ "_pilot_model_sql (pilot logistic regression)" -%}
    {%- set pilot_rows = '(select * from ' ~ sample ~ ' where is_pilot_row) as pilot_rows' -%}
    {%- set design = negsample._sql_fit_design(pilot_rows, cfg.numeric_features, cfg.categorical_features, none, what) -%}
    {%- set fit = {'rows': pilot_rows, 'label': cfg.label_column, 'offset': 'log_odds_offset', 'weights': none, 'what': what} -%}
    {%- set scaling = negsample._sql_fit_first_pass([fit], design) -%}
    {%- set fitted = negsample._sql_fit(fit, design, scaling, scaling.starts[0]) -%}
    {%- set coefficient_rows = negsample._fit_rows('pilot', design, fitted, extra_nulls=2) -%}
    {%- if negsample._candidate_scores(cfg) | select('in', ['a_optimal', 'logit_optimal']) | list | length == 0 %}
{{ negsample._literal_table(columns, coefficient_rows) }}
    {%- else -%}
      {%- set every_row = {'rows': sample, 'label': cfg.label_column, 'offset': none, 'weights': none, 'what': what} -%}
      {%- set inverse = negsample._sql_pilot_information_inverse(every_row, design, fitted.estimate, 'scale_rate') %}
{{ negsample._literal_table(columns, coefficient_rows) }}
union all
{{ negsample._literal_matrix('information', design.terms, inverse) }}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}
