{#-
  Population-scale log odds from a probability s(x) that a model trained on
  the kept rows (without the offset) outputs, and the sampling probability
  pi(x) of that row: logit(s) + ln(pi). See docs/method.md step 8.
-#}
{% macro correct_log_odds(prob, sampling_prob) -%}
  {{ return(adapter.dispatch('correct_log_odds', 'negsample')(prob, sampling_prob)) }}
{%- endmacro %}

{% macro default__correct_log_odds(prob, sampling_prob) -%}
  (ln({{ prob }}) - ln(1.0 - ({{ prob }})) + ln({{ sampling_prob }}))
{%- endmacro %}
