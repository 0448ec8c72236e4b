{#-
  <design>_design, one row describing the draw: class counts, the rate
  asked for, w and the scale, the expected and the kept number of negatives
  (with the variance sum pi (1 - pi) that bounds their gap), and how many
  negatives hit the cap or the floor. Counts of the source as it is now
  (the source check and the post-fit pass), of the kept rows
  (<design>_sample), and the design's parameters (<design>_sampling_scale,
  a frozen design's stored ones). Every count is a BIGINT.

  Drift, for a frozen design: the rows new since it was estimated (integer
  ids above the largest id then), the base rate then and now, and the kept
  negatives against what the design kept per negative then
  (estimated_kept_rate * n_negative), as a z-score over the sd of the draw.
-#}
{% macro _model_design(cfg) -%}
  {%- set bigint = dbt.type_bigint() -%}
  {#- What the design kept per negative when it was estimated (this build's
      own rate when it estimates the design). -#}
  {%- set kept_rate -%}
    (coalesce(scale.estimated_expected_negatives, sums.expected_negatives)
    / case when scale.estimated_expected_negatives is null then checked.n_negative else scale.n_negative end)
  {%- endset -%}
with checked as (
    select * from {{ negsample._design_ref(cfg, 'source_check') }}
),

scale as (
    select * from {{ negsample._design_ref(cfg, 'sampling_scale') }}
),

sums as (
    -- The negatives' pi, summed by the post-fit pass (kind 'sampling_prob'),
    -- and the row flags it carries on kind 'final'.
    select
        -- Exact sums (_exact_sum) over the cells, in whatever order they come.
        {{ negsample._exact_sum("case when kind = 'sampling_prob' then sum_value end") }} as expected_negatives,
        {{ negsample._exact_sum("case when kind = 'sampling_prob' then sum_value_variance end") }}
        as kept_negatives_variance,
        min(case when kind = 'sampling_prob' then min_value end) as min_sampling_prob,
        sum(case when kind = 'sampling_prob' then n_capped end) as n_capped,
        sum(case when kind = 'sampling_prob' then n_floored end) as n_floored,
        sum(case when kind = 'final' then n_unseen_level_rows end) as n_unseen_level_rows,
        sum(case when kind = 'final' then n_imputed_values end) as n_imputed_values,
        sum(case when kind = 'final' then n_new_rows end) as n_new_rows
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
),

kept as (
    select
        count(*) as kept_rows,
        sum(case when {{ adapter.quote(cfg.label_column) }} = 0 then 1 else 0 end) as kept_negatives
    from {{ negsample._design_ref(cfg, 'sample') }}
),

pilot as (
    select count(*) as pilot_rows
    from {{ negsample._design_ref(cfg, 'pilot_sample') }}
)

select
    checked.n_rows,
    checked.n_positive,
    checked.n_negative,
    scale.sampling_rate,
    scale.w,
    scale.sampling_scale,
    scale.floor_prob,
    sums.expected_negatives,
    cast(kept.kept_negatives as {{ bigint }}) as kept_negatives,
    sums.kept_negatives_variance,
    (kept.kept_negatives - sums.expected_negatives) / sqrt(sums.kept_negatives_variance) as kept_negatives_z,
    cast(kept.kept_rows as {{ bigint }}) as kept_rows,
    sums.min_sampling_prob,
    cast(sums.n_capped as {{ bigint }}) as n_capped,
    cast(sums.n_floored as {{ bigint }}) as n_floored,
    cast(sums.n_unseen_level_rows as {{ bigint }}) as n_unseen_level_rows,
    cast(sums.n_imputed_values as {{ bigint }}) as n_imputed_values,
    cast(pilot.pilot_rows as {{ bigint }}) as pilot_rows,
    scale.pilot_rate as pilot_sampling_rate,
    {{ negsample._as_double(cfg.pilot_ratio) }} as pilot_ratio,
    {{ negsample._string_literal(negsample._score_mode(cfg)) }} as score,
    {{ negsample._string_literal(cfg.score) }} as score_setting,
    {{ 'true' if cfg.reuse_pilot else 'false' }} as is_pilot_reused,
    {{ negsample._string_literal(cfg.budget) }} as budget,
    {{ negsample._as_double(cfg.floor) }} as floor,
    cast({{ cfg.seed }} as {{ bigint }}) as seed,
    checked.is_frozen_design,
    scale.n_rows as estimated_n_rows,
    cast(scale.n_positive as {{ negsample._double() }}) / scale.n_rows as estimated_base_rate,
    cast(checked.n_positive as {{ negsample._double() }}) / checked.n_rows as base_rate,
    case when scale.estimated_id_max is not null then cast(sums.n_new_rows as {{ bigint }}) end as new_rows,
    {{ kept_rate }} as estimated_kept_rate,
    (kept.kept_negatives - {{ kept_rate }} * checked.n_negative)
    / sqrt(sums.kept_negatives_variance) as drift_z
from checked
cross join scale
cross join sums
cross join kept
cross join pilot
{%- endmacro %}
