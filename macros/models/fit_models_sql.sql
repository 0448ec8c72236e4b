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
  <design>_pilot_model_sql: docs/method.md steps 1-2 on the pilot sample, offset
  -ln(rho0) on every row, and for a_optimal (or auto) the inverse of the pilot
  information matrix M~ (negatives weighted 1/rho0, p without the offset),
  written as the upper triangle of entries indexed by term, expanded to
  the long rows in SQL so that the model's text grows as k^2 / 2 numbers,
  not as k^2 named rows. Empty when the pilot is not fitted in this build.
-#}
{% macro _model_pilot_model_sql(cfg) -%}
  {%- set columns = negsample._pilot_table_columns() -%}
  {%- set sample = negsample._design_ref(cfg, 'pilot_sample') -%}
  {%- if not execute or cfg.pilot_source != 'python' or negsample._frozen_state(cfg) == 'reuse' -%}
{{ negsample._literal_table(columns, []) }}
  {%- else -%}
    {%- set what = cfg.design ~ "_pilot_model_sql (pilot logistic regression)" -%}
    {%- set design = negsample._sql_fit_design(sample, cfg.numeric_features, cfg.categorical_features, none, what) -%}
    {%- set fit = {'rows': sample, 'label': cfg.label_column, 'offset': 'log_odds_offset', 'weights': none, 'what': what} -%}
    {%- set scaling = negsample._sql_fit_first_pass([fit], design) -%}
    {%- set fitted = negsample._sql_fit(fit, design, scaling, scaling.starts[0]) -%}
    {%- set coefficient_rows = negsample._fit_rows('pilot', design, fitted, extra_nulls=2) -%}
    {%- if cfg.score not in ['a_optimal', 'auto'] %}
{{ negsample._literal_table(columns, coefficient_rows) }}
    {%- else -%}
      {%- set k = design.terms | length -%}
      {%- set inverse = negsample._sql_pilot_information_inverse(fit, design, fitted.estimate, 'pilot_rate') -%}
      {%- set term_rows, entries = [], [] -%}
      {%- for term, level in design.terms -%}
        {%- do term_rows.append([loop.index0 | string, negsample._string_literal(term), negsample._text_literal(level)]) -%}
      {%- endfor -%}
      {%- for i in range(k) -%}
        {%- for j in range(i, k) %}{% do entries.append([i | string, j | string, negsample._double_literal(inverse[i][j])]) %}{% endfor -%}
      {%- endfor %}
with coefficient_rows as (
    {{ negsample._literal_table(columns, coefficient_rows) }}
),

terms as (
    {{ negsample._literal_table([('term_index', 'integer'), ('term', dbt.type_string()), ('level', dbt.type_string())], term_rows) }}
),

entries as (
    {{ negsample._literal_table([('row_index', 'integer'), ('col_index', 'integer'), ('value', negsample._double())], entries) }}
),

-- M~^-1 is symmetric: the upper triangle, then its mirror below the diagonal.
both_triangles as (
    select row_index, col_index, value from entries
    union all
    select col_index as row_index, row_index as col_index, value from entries
    where row_index <> col_index
)

select * from coefficient_rows
union all
select
    cast('information' as {{ dbt.type_string() }}) as model,
    row_terms.term,
    row_terms.level,
    false as is_reference,
    both_triangles.value as estimate,
    cast(null as {{ negsample._double() }}) as std_error,
    col_terms.term as col_term,
    col_terms.level as col_level
from both_triangles
inner join terms as row_terms on both_triangles.row_index = row_terms.term_index
inner join terms as col_terms on both_triangles.col_index = col_terms.term_index
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}

{#-
  <design>_final_model_sql: docs/method.md step 7 on the kept rows: 'final', the
  log-odds corrected fit (offset -ln(pi) on every kept row), and 'ipw', the
  inverse-probability-weighted fit with sandwich standard errors. Reference
  levels follow the pilot's. Empty when the setting final_coefficients
  names coefficients fitted elsewhere.
-#}
{% macro _model_final_model_sql(cfg) -%}
  {%- set columns = negsample._pilot_table_columns()[:6] -%}
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
    {%- set corrected = negsample._sql_fit(fits[0], design, scaling, scaling.starts[0]) -%}
    {%- set weighted = negsample._sql_fit(fits[1], design, scaling, scaling.starts[1]) -%}
{{ negsample._literal_table(columns, negsample._fit_rows('final', design, corrected) + negsample._fit_rows('ipw', design, weighted)) }}
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
