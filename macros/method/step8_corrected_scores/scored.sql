{#-
  <design>_scored, the view BI tools query: every row of the source with
  its id, label, features and passthrough columns in the source's own
  types, and calibrated scores (docs/method.md step 8). corrected_logit is
  the population log odds theta^ . x-dot from the final (offset) fit, plus
  the intercept update when the setting recalibrate_intercept is on;
  corrected_prob = sigmoid(corrected_logit).

  A view over the source, nothing stored: a query reads the source's
  columns and computes one linear predictor and one sigmoid per row, with
  the coefficients and the update from two one-row relations. The
  per-row pi, keep flag and pilot probability are in
  <design>_sampling_probs, paid only when queried.
-#}
{% macro _model_scored(cfg) -%}
  {%- set source_relation = negsample._source_relation(cfg) -%}
  {%- set exprs = negsample._input_exprs(cfg, source_relation, 'source_rows', 'source_check') -%}
  {%- set coefficients = negsample._design_ref(cfg, 'coefficients') -%}
  {%- set inner = {} -%}
  {%- for name in cfg.numeric_features + cfg.categorical_features -%}
    {%- do inner.update({name: 'negsample_feature_' ~ loop.index0}) -%}
  {%- endfor -%}
  {%- set final_design = negsample._design_terms(cfg, coefficients, 'final', inner) -%}
  {%- set shown = negsample._shown_columns(cfg) -%}
with source_check as (
    select * from {{ negsample._design_ref(cfg, 'source_check') }}
),

final_row as (
    {{ negsample._pivot_coefficients(coefficients, final_design.terms, 'final') }}
),

intercept_update as (
    select case when is_applied then intercept_delta else 0.0 end as intercept_delta
    from {{ negsample._design_ref(cfg, 'intercept_update') }}
),

source_rows as (
    -- The source's columns as they are, and the features as the design
    -- reads them (doubles, levels as text) under names of their own.
    select
        {%- for name in shown %}
        source_rows.{{ adapter.quote(name) }},
        {%- endfor %}
        {%- for name, column in inner.items() %}
        {{ exprs[name] }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ source_relation }} as source_rows
    cross join source_check
),

corrected as (
    select
        source_rows.*,
        {{ negsample._linear_predictor(final_design, 'final_row') }}
        + intercept_update.intercept_delta as corrected_logit
    from source_rows
    cross join final_row
    cross join intercept_update
)

select
    {%- for name in shown %}
    {{ adapter.quote(name) }},
    {%- endfor %}
    corrected_logit,
    {{ negsample.sigmoid('corrected_logit') }} as corrected_prob
from corrected
{%- endmacro %}
