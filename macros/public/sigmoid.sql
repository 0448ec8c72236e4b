{#-
  Logistic function of a log odds. Each branch calls exp() on a non-positive
  number, so no linear predictor, however extreme, overflows.
-#}
{% macro sigmoid(logit) -%}
  {{ return(adapter.dispatch('sigmoid', 'negsample')(logit)) }}
{%- endmacro %}

{% macro default__sigmoid(logit) -%}
  (case
    when ({{ logit }}) >= 0 then 1.0 / (1.0 + exp(-({{ logit }})))
    else exp({{ logit }}) / (1.0 + exp({{ logit }}))
  end)
{%- endmacro %}
