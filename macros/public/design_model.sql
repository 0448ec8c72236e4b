{#-
  The body of design `design`'s model of kind `kind`: every model of every
  design is one call of this macro, in a file named <design>_<kind>.sql (the
  package's own models are the default design, `negsample`; `negsample
  add-design NAME` writes NAME's files). A design that is not declared (the
  default design without a source) has its models disabled.

  Materializations live in dbt_project.yml (the package's models) or in the
  design's properties file (a named design's), not here, so that a project
  can override them; the stores of a frozen design (_store_kinds) are the
  exception: under freeze_design they are incremental, so that they keep
  their rows.
-#}
{% macro design_model(design, kind) -%}
  {%- set sql_kinds = negsample._model_kinds() | selectattr('language', 'equalto', 'sql') | map(attribute='kind') | list -%}
  {%- if kind not in sql_kinds -%}
    {{ negsample._fail("design_model: unknown model kind '" ~ kind ~ "'; expected one of " ~ (sql_kinds | sort | join(', '))) }}
  {%- endif -%}
  {%- set cfg = negsample._config(design) -%}
  {#- The SQL fits run where the fit engine is sql; their Python twins elsewhere. -#}
  {%- if not cfg.enabled or (kind.endswith('_model_sql') and cfg.fit_engine != 'sql') -%}
    {%- do config(enabled=false) -%}
    select 1 as negsample_disabled_model
  {%- else -%}
    {#- A frozen design's stores keep their rows between builds. -#}
    {%- if cfg.freeze_design and kind in negsample._store_kinds() -%}
      {%- do config(materialized='incremental') -%}
    {%- endif -%}
    {{ negsample['_model_' ~ kind](cfg) }}
  {%- endif -%}
{%- endmacro %}
