{#-
  The cell of a fine grid on the log-odds scale (width 1/10000) that a
  probability falls in, for diagnostics that need the order of the scores
  but not a sort of every row: a hash aggregate by cell, then a window over
  the cells (at most about 700,000 per score). The probability is clipped to
  [eps, 1 - eps] first. The map is non-decreasing in the probability, so
  equal scores share a cell and the cells keep the scores' order; only
  unequal scores within 1/10000 of log odds of each other are merged.
-#}
{% macro _score_cell(prob, eps=1e-15) -%}
  floor(10000.0 * ln(least(1.0 - {{ eps }}, greatest({{ eps }}, {{ prob }})) / (1.0 - least(1.0 - {{ eps }}, greatest({{ eps }}, {{ prob }})))))
{%- endmacro %}

{#-
  The bin of the pi histogram that a sampling probability falls in:
  `n_bins` bins equally wide in ln(pi) between ln_lowest (ln of the least pi
  of a negative, <= 0) and 0 (pi = 1, which joins the top bin). A pi below
  the lower end (a row new to a frozen design) joins the bottom bin; when
  no negative is below 1 there is nothing to spread: all sit in bin 1.
-#}
{% macro _sampling_prob_bin(prob, ln_lowest, n_bins=30) -%}
  case
    when {{ ln_lowest }} >= 0 then 1
    else greatest(1, least(
        {{ n_bins }},
        1 + cast(floor({{ n_bins }} * ((ln({{ prob }}) - {{ ln_lowest }}) / -{{ ln_lowest }})) as integer)
    ))
  end
{%- endmacro %}

{#-
  A one-row select of ln_lowest, the lower end of the pi histogram: ln of the
  least pi of a negative when the design was estimated. pi is
  non-decreasing in the score, so that is pi at the least score.
-#}
{% macro _sampling_prob_bounds(scale, reuse_pilot=false) -%}
  {%- set lowest = negsample.sampling_probability('min_score', 'sampling_scale', 'floor_prob') -%}
  {#- With reuse_pilot a negative's probability is pi* = 1 - (1 - rho0)(1 - pi). -#}
  select ln({{ negsample.union_inclusion_probability(lowest, 'pilot_rate') if reuse_pilot else lowest }}) as ln_lowest
  from {{ scale }}
{%- endmacro %}
