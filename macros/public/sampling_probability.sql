{#-
  pi(x) = min(1, max(floor * rho, scale * t(x), 1e-300)). With budget `paper`
  the scale is rho / w; with budget `exact` it is solved so that the sum of pi
  over the negatives is rho * N0 (model negsample_sampling_scale). The 1e-300
  matters only with floor 0 and a score that underflows to 0: it keeps every
  offset -ln(pi) finite (at most 691) instead of infinite.
-#}
{% macro sampling_probability(score, scale, floor_prob) -%}
  {{ return(adapter.dispatch('sampling_probability', 'negsample')(score, scale, floor_prob)) }}
{%- endmacro %}

{% macro default__sampling_probability(score, scale, floor_prob) -%}
  least(1.0, greatest({{ floor_prob }}, ({{ scale }}) * ({{ score }}), 1e-300))
{%- endmacro %}
