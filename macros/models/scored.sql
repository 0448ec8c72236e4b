{#-
  <design>_scored_rows: the post-fit pass (docs/method.md, Passes over the source), a table of
  every row of the source, written once per build after the final fit. Each
  row keeps its id, label, features and passthrough columns in the source's
  own types, the pilot's probability, pi, the keep flag, the flags the
  design's counts need, and the final fit's log odds theta^ . x-dot before
  the intercept update. <design>_scored (the view BI tools query) and every
  whole-table figure of the build (the intercept update, the design's sums
  of pi, the diagnostics, through <design>_diagnostics_cells) read it, so no
  later query recomputes a score.

  The setting persist_scores (default true) makes it a table. Off, it is a
  view: the build saves the write (one pass over the source fewer, of the five in
  docs/method.md, Passes over the source) and each query of <design>_scored pays the scoring.
-#}
{% macro _model_scored_rows(cfg) -%}
  {#- persist_scores off: a view, so the build makes one pass fewer and every
      query of <design>_scored recomputes the scores. -#}
  {%- do config(materialized=('table' if cfg.persist_scores else 'view')) -%}
  {%- set source_relation = negsample._source_relation(cfg) -%}
  {%- set exprs = negsample._input_exprs(cfg, source_relation, 'source_rows', 'source_check') -%}
  {%- set inner = {} -%}
  {%- for name in cfg.numeric_features + cfg.categorical_features -%}
    {%- do inner.update({name: 'negsample_feature_' ~ loop.index0}) -%}
  {%- endfor -%}
  {%- if cfg.pilot_score_column -%}{%- do inner.update({'negsample_pilot_score': 'negsample_pilot_score'}) -%}{%- endif -%}
  {%- set coefficients = negsample._design_ref(cfg, 'coefficients') -%}
  {%- set final_design = negsample._design_terms(cfg, coefficients, 'final', inner) -%}
  {%- set shown = negsample._shown_columns(cfg) -%}
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
        {{ exprs['negsample_imputed'] }} as negsample_imputed,
        {{ exprs['negsample_key'] }} as negsample_key
    from {{ source_relation }} as source_rows
    cross join source_check
    {{ negsample._cte_fence() }}
),

{{ negsample._pilot_score_ctes(cfg, 'source_rows', negsample._design_ref(cfg, 'pilot_coefficients'), inner) }},

{{ negsample._draw_ctes(cfg, negsample._design_ref(cfg, 'sampling_scale')) }},

final_coefficient_row as (
    {{ negsample._pivot_coefficients(coefficients, final_design.terms, 'final') }}
),

estimated as (
    -- The largest integer id when the design was estimated (null for other
    -- ids): under a frozen design, rows above it are new since then.
    select estimated_id_max from {{ negsample._design_ref(cfg, 'sampling_scale') }}
)

select
    {%- for name in shown %}
    drawn.{{ adapter.quote(name) }},
    {%- endfor %}
    drawn.negsample_label,
    drawn.pilot_prob,
    drawn.sampling_prob,
    {{ negsample._is_sampled(cfg, 'drawn', 'drawn.negsample_label') }} as is_sampled,
    drawn.is_capped,
    drawn.is_floored,
    drawn.n_unseen_levels,
    drawn.negsample_imputed,
    case when drawn.negsample_key > estimated.estimated_id_max then 1 else 0 end as is_new_row,
    {{ negsample._linear_predictor(final_design.terms, 'final_coefficient_row') }} as final_logit
from drawn
cross join final_coefficient_row
cross join estimated
{%- endmacro %}

{#- The source's columns a design carries into <design>_scored, in order. -#}
{% macro _shown_columns(cfg) -%}
  {{ return([cfg.id_column, cfg.label_column] + cfg.numeric_features + cfg.categorical_features + cfg.passthrough_columns) }}
{%- endmacro %}

{#-
  <design>_scored, the view BI tools query: every row of the source with
  its id, label, features and passthrough columns in the source's own
  types, and calibrated scores (docs/method.md step 8). corrected_logit is the
  population log odds theta^ . x-dot from the final (offset) fit, plus the
  intercept update when the setting recalibrate_intercept is on;
  sample_logit = corrected_logit - ln(pi) is what a model trained on the kept
  rows without the offset reports for that row, so that
  corrected_logit = sample_logit + ln(sampling_prob) (negsample.correct_log_odds).

  It reads <design>_scored_rows, which the post-fit pass wrote: a query on
  it scans stored columns, as it would the source, and adds the update.
-#}
{% macro _model_scored(cfg) -%}
with scored_rows as (
    select * from {{ negsample._design_ref(cfg, 'scored_rows') }}
),

intercept_update as (
    select case when is_applied then intercept_delta else 0.0 end as delta
    from {{ negsample._design_ref(cfg, 'intercept_update') }}
),

corrected as (
    select
        scored_rows.*,
        scored_rows.final_logit + intercept_update.delta as corrected_logit
    from scored_rows
    cross join intercept_update
)

select
    {%- for name in negsample._shown_columns(cfg) %}
    {{ adapter.quote(name) }},
    {%- endfor %}
    pilot_prob,
    sampling_prob,
    is_sampled,
    corrected_logit - ln(sampling_prob) as sample_logit,
    corrected_logit,
    {{ negsample.sigmoid('corrected_logit') }} as corrected_prob
from corrected
{%- endmacro %}
