{{ config(materialized='table') }}
{#-
  One row describing the draw: class counts, the rate asked for, w and the
  scale, the expected and the kept number of negatives (with the variance
  sum pi(1-pi) that bounds their gap), and how many negatives hit the cap
  or the floor.
-#}
{%- set cfg = negsample._config() -%}
{%- set label = adapter.quote(cfg.label_column) -%}

with probs as (
    select
        {{ label }} as label_value,
        sampling_prob,
        is_capped,
        is_floored,
        n_unseen_levels,
        negsample_imputed
    from {{ ref('negsample_sampling_probs') }}
),

counts as (
    -- One pass over the rows for every count. Counted here, not taken from
    -- the scale: under a frozen design the scale keeps the counts of the
    -- build that estimated it. The pass reads no keep flag, so the seeded
    -- uniform is not drawn again: the kept rows are counted in negsample_sample.
    select
        count(*) as n_rows,
        sum(case when label_value = 1 then 1 else 0 end) as n_positive,
        sum(case when label_value = 0 then 1 else 0 end) as n_negative,
        sum(case when n_unseen_levels > 0 then 1 else 0 end) as n_unseen_level_rows,
        sum(negsample_imputed) as n_imputed_values,
        sum(case when label_value = 0 then sampling_prob else 0 end) as expected_negatives,
        sum(
            case when label_value = 0 then sampling_prob * (1.0 - sampling_prob) else 0 end
        ) as kept_negatives_variance,
        min(case when label_value = 0 then sampling_prob end) as min_sampling_prob,
        sum(case when label_value = 0 and is_capped then 1 else 0 end) as n_capped,
        sum(case when label_value = 0 and is_floored then 1 else 0 end) as n_floored
    from probs
),

kept as (
    select
        count(*) as kept_rows,
        sum(case when {{ label }} = 0 then 1 else 0 end) as kept_negatives
    from {{ ref('negsample_sample') }}
),

pilot as (
    select
        count(*) as pilot_rows,
        max(pilot_rate) as pilot_sampling_rate
    from {{ ref('negsample_pilot_sample') }}
)

select
    counts.n_rows,
    counts.n_positive,
    counts.n_negative,
    scale.sampling_rate,
    scale.w,
    scale.sampling_scale,
    scale.floor_prob,
    counts.expected_negatives,
    kept.kept_negatives,
    counts.kept_negatives_variance,
    (kept.kept_negatives - counts.expected_negatives)
    / sqrt(counts.kept_negatives_variance) as kept_negatives_z,
    kept.kept_rows,
    counts.min_sampling_prob,
    counts.n_capped,
    counts.n_floored,
    counts.n_unseen_level_rows,
    counts.n_imputed_values,
    pilot.pilot_rows,
    pilot.pilot_sampling_rate,
    {{ negsample._as_double(cfg.pilot_ratio) }} as pilot_ratio,
    {{ negsample._string_literal(cfg.score) }} as score,
    {{ negsample._string_literal(cfg.budget) }} as budget,
    {{ negsample._as_double(cfg.floor) }} as floor,
    {{ cfg.seed }} as seed
from {{ ref('negsample_sampling_scale') }} as scale
cross join counts
cross join kept
cross join pilot
