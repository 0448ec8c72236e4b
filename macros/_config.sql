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
  {%- set pilot_coefficients = var('negsample:pilot_coefficients', none) -%}
  {%- set pilot_information = var('negsample:pilot_information', none) -%}
  {%- set pilot_score_column = var('negsample:pilot_score_column', none) -%}
  {#-
    Where the pilot comes from. 'relation': coefficients the user provides.
    'python': the Python models fit it. 'none': the pilot_score_column gives
    p~ and the score needs no design vector, so there is nothing to fit.
    python_models/schema.yml enables the Python pilot models by the same rule.
  -#}
  {%- if pilot_coefficients -%}
    {%- set pilot_source = 'relation' -%}
  {%- elif pilot_score_column and score in ['uniform', 'p'] -%}
    {%- set pilot_source = 'none' -%}
  {%- else -%}
    {%- set pilot_source = 'python' -%}
  {%- endif -%}
  {%- if score == 'a_optimal' and pilot_source == 'relation' and not pilot_information -%}
    {{ exceptions.raise_compiler_error("negsample: score 'a_optimal' needs the inverse pilot information matrix. With 'negsample:pilot_coefficients' set, the Python model negsample_pilot_information does not run: set 'negsample:pilot_information' to a model or seed with columns row_term, row_level, col_term, col_level, value") }}
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
    'pilot_score_column': pilot_score_column,
    'pilot_coefficients': pilot_coefficients,
    'pilot_information': pilot_information,
    'final_coefficients': var('negsample:final_coefficients', none),
    'pilot_source': pilot_source,
  }) }}
{%- endmacro %}

{#- A SQL string literal with its quotes doubled. -#}
{% macro _string_literal(value) -%}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
