{#-
  <design>_input, a view: the source rows in the form every later model
  reads. The id; the label as a 0/1 integer; numeric features as doubles
  (with setting null_features = impute_mean, a NULL takes the mean that
  <design>_source_check recorded); categorical levels cast to text once, so
  SQL and Python see the same strings ('true' for a boolean, '1' for an
  integer); the pilot_score_column as a double; and the integer key of the
  seeded uniform. The source enters the design here and in
  <design>_scored, both through _input_exprs.
-#}
{% macro _model_input(cfg) -%}
  {%- set source_relation = negsample._source_relation(cfg) -%}
  {%- set exprs = negsample._input_exprs(cfg, source_relation, 'source_rows', 'source_check') -%}
with source_rows as (
    select * from {{ source_relation }}
),

source_check as (
    select * from {{ negsample._design_ref(cfg, 'source_check') }}
)

select
    {%- for name, sql in exprs.items() %}
    {{ sql }} as {{ negsample._input_column(cfg, name) }}{{ ',' if not loop.last }}
    {%- endfor %}
from source_rows
cross join source_check
{{ negsample._cte_fence() }}
{%- endmacro %}

{#- A column of <design>_input as SQL names it: a source column quoted, a column of negsample's own as it is. -#}
{% macro _input_column(cfg, name) -%}
  {{ return(name if name.startswith('negsample_') else adapter.quote(name)) }}
{%- endmacro %}

{#- The columns of <design>_input, in order, as SQL names them. -#}
{% macro _input_columns(cfg) -%}
  {%- set names = [cfg.id_column, cfg.label_column] + cfg.numeric_features + cfg.categorical_features -%}
  {%- if cfg.pilot_score_column -%}{%- do names.append('negsample_pilot_score') -%}{%- endif -%}
  {%- set out = [] -%}
  {%- for name in names + ['negsample_imputed', 'negsample_key'] %}{% do out.append(negsample._input_column(cfg, name)) %}{% endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#-
  Each column of <design>_input as SQL over the source (alias `alias`) and
  the source check's row (alias `check_alias`), in <design>_input's column
  order (_input_columns): the id, the label, the features, then
  negsample_pilot_score (when set), negsample_imputed and negsample_key.
  <design>_scored computes its scores from the same SQL while it shows the
  source's own columns.
-#}
{% macro _input_exprs(cfg, source_relation, alias, check_alias) -%}
  {%- set double = negsample._double() -%}
  {%- set impute = cfg.null_features == 'impute_mean' -%}
  {%- set exprs = {
    cfg.id_column: alias ~ '.' ~ adapter.quote(cfg.id_column),
    cfg.label_column: 'cast(' ~ alias ~ '.' ~ adapter.quote(cfg.label_column) ~ ' as integer)',
  } -%}
  {%- for name in cfg.numeric_features -%}
    {%- set x = 'cast(' ~ alias ~ '.' ~ adapter.quote(name) ~ ' as ' ~ double ~ ')' -%}
    {%- do exprs.update({name: ('coalesce(' ~ x ~ ', ' ~ check_alias ~ '.impute_mean_' ~ loop.index0 ~ ')') if impute else x}) -%}
  {%- endfor -%}
  {%- for name in cfg.categorical_features -%}
    {%- do exprs.update({name: 'cast(' ~ alias ~ '.' ~ adapter.quote(name) ~ ' as ' ~ dbt.type_string() ~ ')'}) -%}
  {%- endfor -%}
  {%- if cfg.pilot_score_column -%}
    {%- do exprs.update({'negsample_pilot_score': 'cast(' ~ alias ~ '.' ~ adapter.quote(cfg.pilot_score_column) ~ ' as ' ~ double ~ ')'}) -%}
  {%- endif -%}
  {%- if impute -%}
    {%- set counted = [] -%}
    {%- for name in cfg.numeric_features -%}
      {%- do counted.append('(case when ' ~ alias ~ '.' ~ adapter.quote(name) ~ ' is null then 1 else 0 end)') -%}
    {%- endfor -%}
    {%- do exprs.update({'negsample_imputed': counted | join(' + ')}) -%}
  {%- else -%}
    {%- do exprs.update({'negsample_imputed': '0'}) -%}
  {%- endif -%}
  {%- do exprs.update({'negsample_key': negsample._row_key(cfg.id_column, source_relation, alias)}) -%}
  {{ return(exprs) }}
{%- endmacro %}

{#- The source's columns a design carries into <design>_scored, in order. -#}
{% macro _shown_columns(cfg) -%}
  {{ return([cfg.id_column, cfg.label_column] + cfg.numeric_features + cfg.categorical_features + cfg.passthrough_columns) }}
{%- endmacro %}
