{#-
  <design>_sampling_scale, one row, docs/method.md steps 4-5 and the design's second
  store: w = mean score over the negatives and the scale c of
  pi = min(1, max(floor * rho, c * t)) (macro _sampling_scale; the pass over
  every row that scores it with the pilot), the least score of a negative
  (the lower end of the pi histogram), the class counts, rho0 and the
  imputation means the design was estimated with, and the design key.

  Under a frozen design an incremental table that a build appends nothing
  to: the stored scale serves until a full refresh. A frozen design also
  stores the expected number of kept negatives at estimation (the sum of pi
  over the negatives then, one more aggregate over the scores, made only
  when the design is estimated), against which later builds measure drift.
-#}
{% macro _model_sampling_scale(cfg) -%}
  {%- do config(materialized=('incremental' if cfg.freeze_design else 'table')) -%}
  {%- if is_incremental() %}
select * from {{ this }} where 1 = 0
  {%- else %}
with input_rows as (
    select * from {{ negsample._design_ref(cfg, 'input') }}
),

{{ negsample._pilot_score_ctes(cfg, 'input_rows', negsample._design_ref(cfg, 'pilot_coefficients'), negsample._feature_columns(cfg, 'input_rows')) }},

scores as (
    select
        {{ adapter.quote(cfg.label_column) }} as label_value,
        sampling_score
    from pilot_scored
),

scale as (
    {{ negsample._sampling_scale('scores', cfg.sampling_rate, cfg.floor, cfg.budget) }}
){%- if cfg.freeze_design %},

estimated as (
    {%- set pi = negsample.sampling_probability('scores.sampling_score', 'scale.sampling_scale', 'scale.floor_prob') %}
    select
        sum(case when scores.label_value = 0 then {{
            negsample.union_inclusion_probability(pi, 'source_check.pilot_rate') if cfg.reuse_pilot else pi
        }} else 0.0 end) as expected_negatives
    from scores
    cross join scale
    cross join {{ negsample._design_ref(cfg, 'source_check') }} as source_check
)
{%- endif %}

select
    scale.*,
    {%- if cfg.freeze_design %}
    estimated.expected_negatives as estimated_expected_negatives,
    {%- else %}
    cast(null as {{ negsample._double() }}) as estimated_expected_negatives,
    {%- endif %}
    source_check.pilot_rate,
    {%- for name in cfg.numeric_features %}
    source_check.impute_mean_{{ loop.index0 }},
    {%- endfor %}
    source_check.id_max as estimated_id_max,
    {{ negsample._string_literal(negsample._design_key(cfg)) }} as design_key
from scale
cross join {{ negsample._design_ref(cfg, 'source_check') }} as source_check
{%- if cfg.freeze_design %}
cross join estimated
{%- endif %}
  {%- endif %}
{%- endmacro %}
