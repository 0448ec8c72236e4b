{#-
  The package's vars, read once and checked, as one dict. Every model reads
  its settings here so that a var means the same thing everywhere.
-#}
{% macro _config() -%}
  {%- set score = var('negsample:score') -%}
  {%- set budget = var('negsample:budget') -%}
  {%- set rate = var('negsample:sampling_rate') | float -%}
  {%- set floor = var('negsample:floor') | float -%}
  {%- if score not in ['uniform', 'p', 'l_optimal', 'a_optimal'] -%}
    {{ exceptions.raise_compiler_error("negsample: var 'negsample:score' is '" ~ score ~ "'; expected one of uniform, p, l_optimal, a_optimal") }}
  {%- endif -%}
  {%- if budget not in ['paper', 'exact'] -%}
    {{ exceptions.raise_compiler_error("negsample: var 'negsample:budget' is '" ~ budget ~ "'; expected paper or exact") }}
  {%- endif -%}
  {{ return({
    'source': var('negsample:source'),
    'id_column': var('negsample:id_column'),
    'label_column': var('negsample:label_column'),
    'numeric_features': var('negsample:numeric_features') | list,
    'categorical_features': var('negsample:categorical_features') | list,
    'sampling_rate': rate,
    'pilot_ratio': var('negsample:pilot_ratio') | float,
    'score': score,
    'floor': floor,
    'budget': budget,
    'seed': var('negsample:seed') | int,
    'pilot_score_column': var('negsample:pilot_score_column'),
    'recalibrate_intercept': var('negsample:recalibrate_intercept') in [true, 'true', 'True', 1],
  }) }}
{%- endmacro %}

{#- A SQL string literal with its quotes doubled. -#}
{% macro _string_literal(value) -%}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
