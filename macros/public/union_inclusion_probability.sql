{#-
  The probability that a row is in the union of two independent draws that
  keep it with probabilities `first` and `second`: 1 - (1 - first)(1 - second).
  With the setting reuse_pilot a negative is in <design>_sample when the
  main draw (pi) or the pilot's (rho0) kept it, and the offset fit on that
  union uses -ln of this probability.
-#}
{% macro union_inclusion_probability(first, second) -%}
  {{ return(adapter.dispatch('union_inclusion_probability', 'negsample')(first, second)) }}
{%- endmacro %}

{% macro default__union_inclusion_probability(first, second) -%}
  (1.0 - (1.0 - ({{ first }})) * (1.0 - ({{ second }})))
{%- endmacro %}
