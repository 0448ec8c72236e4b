{#-
  pi(x) = min(1, max(floor * rho, scale * t(x))). With budget `paper` the
  scale is rho / w; with budget `exact` it is solved so that the sum of pi
  over the negatives is rho * N0 (model negsample_sampling_scale).
-#}
{% macro sampling_probability(score, scale, floor_prob) -%}
  {{ return(adapter.dispatch('sampling_probability', 'negsample')(score, scale, floor_prob)) }}
{%- endmacro %}

{% macro default__sampling_probability(score, scale, floor_prob) -%}
  least(1.0, greatest({{ floor_prob }}, ({{ scale }}) * ({{ score }})))
{%- endmacro %}
