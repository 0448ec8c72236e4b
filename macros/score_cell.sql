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
