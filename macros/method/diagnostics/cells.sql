{#-
  Cells: how the diagnostics order scores over every row without sorting
  them. A score's log odds is cut on a grid of width 1/10000 (_logit_cell);
  rows are counted by cell in a hash aggregate, and deciles and the AUC
  come from a window over the cells (at most about 700,000 per score).
  Scores in one cell are treated as tied: only unequal scores within 1/10000
  of log odds of each other are merged, which bounds the AUC's error
  (<design>_diagnostics_fit.auc_tie_bound).
-#}

{#- The largest log odds a cell distinguishes: the logit of 1 - 1e-15. -#}
{% macro _logit_limit() -%}
  {{ return(34.538776394910684) }}
{%- endmacro %}

{#- The cell of a log odds on the grid of width 1/10000, the log odds clipped to +-_logit_limit. -#}
{% macro _logit_cell(logit) -%}
  {%- set limit = negsample._logit_limit() -%}
  floor(10000.0 * least({{ limit }}, greatest(-{{ limit }}, {{ logit }})))
{%- endmacro %}

{#- The log odds of a probability, the probability clipped to [1e-15, 1 - 1e-15] (a column of p~ given as a probability). -#}
{% macro _clipped_logit(prob) -%}
  (ln(least(1.0 - 1e-15, greatest(1e-15, {{ prob }}))) - ln(1.0 - least(1.0 - 1e-15, greatest(1e-15, {{ prob }}))))
{%- endmacro %}

{#-
  The log likelihood of a 0/1 label under a probability, clipped to
  [1e-15, 1 - 1e-15] so that a saturated prediction costs a large, finite
  loss: one ln() per row.
-#}
{% macro _log_likelihood(label, prob) -%}
  ln(case
    when {{ label }} = 1 then least(1.0 - 1e-15, greatest(1e-15, {{ prob }}))
    else 1.0 - least(1.0 - 1e-15, greatest(1e-15, {{ prob }}))
  end)
{%- endmacro %}

{#-
  The bin of the pi histogram that a sampling probability falls in:
  `n_bins` bins equally wide in ln(pi) between ln_lowest (ln of the least pi
  of a negative, <= 0) and 0 (pi = 1, which joins the top bin). A pi below
  the lower end joins the bottom bin; when no negative is below 1 there is
  nothing to spread: all sit in bin 1.
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
