{#-
  <design>_scored, the view BI tools query: every row of the source with
  its id, label, features and passthrough columns in the source's own
  types, and calibrated scores (DESIGN step 8). corrected_logit is the
  population log odds theta^ . x-dot from the final (offset) fit, plus the
  intercept update when the setting recalibrate_intercept is on;
  sample_logit = corrected_logit - ln(pi) is what a model trained on the kept
  rows without the offset reports for that row, so that
  corrected_logit = sample_logit + ln(sampling_prob) (negsample.correct_log_odds).

  It reads the source and the design's small tables only, each score an
  expression of its own: a query computes just the columns it selects
  (corrected_prob needs the final fit's log odds; pilot_prob, sampling_prob
  and is_sampled the pilot and the draw).
-#}
{% macro _model_scored(cfg) -%}
  {%- set source_relation = negsample._source_relation(cfg) -%}
  {%- set exprs = negsample._input_exprs(cfg, source_relation, 'source_rows', 'source_check') -%}
  {%- set inner = {} -%}
  {%- for name in cfg.numeric_features + cfg.categorical_features -%}
    {%- do inner.update({name: 'negsample_feature_' ~ loop.index0}) -%}
  {%- endfor -%}
  {%- if cfg.pilot_score_column -%}{%- do inner.update({'negsample_pilot_score': 'negsample_pilot_score'}) -%}{%- endif -%}
  {%- set coefficients = negsample._design_ref(cfg, 'coefficients') -%}
  {%- set final_design = negsample._design_terms(cfg, coefficients, 'final', inner) -%}
  {%- set shown = [cfg.id_column, cfg.label_column] + cfg.numeric_features + cfg.categorical_features + cfg.passthrough_columns -%}
with source_check as (
    select * from {{ negsample._design_ref(cfg, 'source_check') }}
),

source_rows as (
    -- The source's columns as they are, and the same values as the design
    -- reads them (doubles, levels as text) under names of their own.
    select
        {%- for name in shown %}
        source_rows.{{ adapter.quote(name) }},
        {%- endfor %}
        {%- for name, column in inner.items() %}
        {{ exprs[name] }} as {{ column }},
        {%- endfor %}
        {{ exprs[cfg.label_column] }} as negsample_label,
        {{ exprs['negsample_key'] }} as negsample_key
    from {{ source_relation }} as source_rows
    cross join source_check
),

{{ negsample._pilot_score_ctes(cfg, 'source_rows', negsample._design_ref(cfg, 'pilot_coefficients'), inner) }},

{{ negsample._draw_ctes(cfg, negsample._design_ref(cfg, 'sampling_scale')) }},

final_coefficient_row as (
    {{ negsample._pivot_coefficients(coefficients, final_design.terms, 'final') }}
),

intercept_update as (
    select case when is_applied then intercept_delta else 0.0 end as delta
    from {{ negsample._design_ref(cfg, 'intercept_update') }}
),

corrected as (
    select
        drawn.*,
        {{ negsample._linear_predictor(final_design.terms, 'final_coefficient_row') }}
        + intercept_update.delta as corrected_logit
    from drawn
    cross join final_coefficient_row
    cross join intercept_update
)

select
    {%- for name in shown %}
    {{ adapter.quote(name) }},
    {%- endfor %}
    pilot_prob,
    sampling_prob,
    {{ negsample._is_sampled(cfg, 'corrected', 'corrected.negsample_label') }} as is_sampled,
    corrected_logit - ln(sampling_prob) as sample_logit,
    corrected_logit,
    {{ negsample.sigmoid('corrected_logit') }} as corrected_prob
from corrected
{%- endmacro %}
