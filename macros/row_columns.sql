{#-
  The columns every row-level model carries through: id, label, then the
  numeric and categorical features, each quoted, one per line, each followed
  by a comma (the caller's select list goes on after them).
-#}
{% macro _row_columns(cfg, alias=none) -%}
  {%- set prefix = (alias ~ '.') if alias else '' -%}
  {%- set names = [cfg.id_column, cfg.label_column] + cfg.numeric_features + cfg.categorical_features -%}
  {%- for name in names -%}
    {{ prefix }}{{ adapter.quote(name) }},{{ '\n    ' if not loop.last }}
  {%- endfor -%}
{%- endmacro %}
