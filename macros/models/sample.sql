{#-
  <design>_sample, docs/method.md step 6: the kept rows, every positive and the
  negatives drawn with probability pi(x), with what the final fit needs:
  log_odds_offset = -ln(pi) on every kept row, positives included, and the
  inverse-probability weight (1/pi on negatives, 1 on positives). Rebuilt
  from the current source at every build, a frozen design's too.
-#}
{% macro _model_sample(cfg) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
select
    {{ negsample._row_columns(cfg, 'probs') }}
    probs.pilot_prob,
    probs.sampling_prob,
    -ln(probs.sampling_prob) as log_odds_offset,
    case when probs.{{ label }} = 1 then 1.0 else 1.0 / probs.sampling_prob end as ipw_weight
from {{ negsample._design_ref(cfg, 'sampling_probs') }} as probs
where probs.is_sampled
{%- endmacro %}
