{#-
  The relations a design reads and writes.

  A design's own models are named <design>_<kind> (the default design's
  prefix is `negsample`), and each reads only its own design's models.
-#}

{#- ref() to this design's model of the given kind. -#}
{% macro _design_ref(cfg, kind) -%}
  {{ return(ref(cfg.design ~ '_' ~ kind)) }}
{%- endmacro %}

{#-
  The source relation. A model or seed is referred to in the root project
  (two-argument ref), so that a package model that reads a model of the
  root project does not draw dbt's warning about a package node depending
  on the root project; a dbt source is spelled source:<source_name>.<table>.
-#}
{% macro _source_relation(cfg) -%}
  {%- if cfg.source.kind == 'source' -%}
    {{ return(source(cfg.source.source_name, cfg.source.name)) }}
  {%- endif -%}
  {{ return(ref(project_name, cfg.source.name)) }}
{%- endmacro %}

{#- A relation named by a setting (pilot_coefficients, ...), in the root project. -#}
{% macro _setting_relation(name) -%}
  {{ return(ref(project_name, name)) }}
{%- endmacro %}

{#-
  This design's model `kind` as it stands in the warehouse, or none, read
  without a ref (a ref would be a dependency, and the frozen design's checks
  look at tables that the current build rebuilds later). Only at run time.
-#}
{% macro _stored_relation(cfg, kind) -%}
  {%- set name = cfg.design ~ '_' ~ kind -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == name -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
  {%- endfor -%}
  {{ return(none) }}
{%- endmacro %}

{#- The quoted column that a design's setting (id_column, label_column) names, for data tests. -#}
{% macro _column(design, setting) -%}
  {%- set cfg = negsample._config(design) -%}
  {{ return(adapter.quote(cfg[setting] if cfg.enabled else negsample._defaults(design)[setting])) }}
{%- endmacro %}
