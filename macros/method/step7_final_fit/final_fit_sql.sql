{#-
  <design>_final_model_sql: docs/method.md step 7 with the SQL fit engine, on
  the kept rows: 'final', the log-odds corrected fit (offset -ln(pi) on
  every kept row), its whole covariance ('final_covariance', which the
  intercept update's check reads), and 'ipw', the inverse-probability-
  weighted fit with sandwich standard errors. Reference levels follow the
  pilot's. Empty when the setting final_coefficients names coefficients
  fitted elsewhere.
-#}
{% macro _model_final_model_sql(cfg) -%}
  {%- set columns = negsample._pilot_table_columns() -%}
  {%- set sample = negsample._design_ref(cfg, 'sample') -%}
  {%- set pilot = negsample._design_ref(cfg, 'pilot_coefficients') -%}
  {%- if not execute or cfg.final_coefficients -%}
{{ negsample._literal_table(columns, []) }}
  {%- else -%}
    {%- set reference = negsample._pilot_reference_levels(pilot) -%}
    {%- set what = cfg.design ~ "_final_model_sql" -%}
    {%- set design = negsample._sql_fit_design(sample, cfg.numeric_features, cfg.categorical_features, reference, what) -%}
    {%- set fits = [
      {'rows': sample, 'label': cfg.label_column, 'offset': 'log_odds_offset', 'weights': none, 'what': what ~ ' (log-odds corrected fit)'},
      {'rows': sample, 'label': cfg.label_column, 'offset': none, 'weights': 'ipw_weight', 'what': what ~ ' (inverse-probability-weighted fit)'},
    ] -%}
    {%- set scaling = negsample._sql_fit_first_pass(fits, design) -%}
    {%- set corrected = negsample._sql_fit(fits[0], design, scaling, scaling.starts[0], covariance=true) -%}
    {%- set weighted = negsample._sql_fit(fits[1], design, scaling, scaling.starts[1]) -%}
{{ negsample._literal_table(columns, negsample._fit_rows('final', design, corrected, extra_nulls=2) + negsample._fit_rows('ipw', design, weighted, extra_nulls=2)) }}
union all
{{ negsample._literal_matrix('final_covariance', design.terms, corrected.covariance) }}
  {%- endif -%}
{%- endmacro %}

{#- {feature: its reference level} as the pilot's coefficients mark them, so later fits share them. -#}
{% macro _pilot_reference_levels(pilot) -%}
  {%- set reference = {} -%}
  {%- for row in run_query("select term, level from " ~ pilot ~ " where model = 'pilot' and is_reference").rows -%}
    {%- do reference.update({row[0]: row[1]}) -%}
  {%- endfor -%}
  {{ return(reference) }}
{%- endmacro %}
