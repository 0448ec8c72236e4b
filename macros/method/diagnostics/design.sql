{#-
  <design>_design, one row describing the draw: class counts, the rate
  asked for, w and the scale, the expected and the kept number of
  negatives with the 95% range of their gap, how many negatives hit the cap
  or the floor, Kish's effective sample size of the IPW weights, and drift.

  Counts of the source as it is now come from the source check; kept
  counts from <design>_sample (exact: every capped negative is kept, so
  n_capped is exact too); the design's parameters from
  <design>_sampling_scale (a frozen design's stored ones). What would need
  a pass over every negative is estimated on this build's scale sample
  (<design>_diagnostics_cells, kind 'sampling_prob'; every negative of the
  sample standing for N0 / n of the table's):
    expected_negatives       sum over the table's negatives of pi~, estimated
    kept_negatives_variance  the draw's binomial variance (sum of pi~ (1 - pi~),
                             estimated) plus the variance of the expected
                             count's estimate, (1 - rho_s) N0^2 var(pi~) / n
    n_floored                negatives on the floor, estimated
  so that kept_negatives falls within expected_negatives +- 1.96 sd in about
  95% of draws of the sample and the scale sample together.

  Drift, for a frozen design: the rows new since it was estimated (integer
  ids above the largest id then), the base rate then and now, and the kept
  negatives against what the design kept per negative then
  (estimated_kept_rate * n_negative), as a z-score.
-#}
{% macro _model_design(cfg) -%}
  {%- set bigint, double = dbt.type_bigint(), negsample._double() -%}
  {%- set z = negsample._as_double(1.959963984540054) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
with checked as (
    select * from {{ negsample._design_ref(cfg, 'source_check') }}
),

scale as (
    select * from {{ negsample._design_ref(cfg, 'sampling_scale') }}
),

histogram as (
    select
        sum(n_rows) as scale_negatives,
        {{ negsample._exact_sum('sum_value') }} as expected_negatives,
        {{ negsample._exact_sum('sum_value_variance') }} as binomial_variance,
        {{ negsample._exact_sum('sum_value_squared') }} as sum_prob_squared,
        {{ negsample._exact_sum('weighted_rows') }} as weighted_rows,
        sum(n_floored) as scale_floored
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
    where kind = 'sampling_prob'
),

estimates as (
    -- The sample's sums are weighted by N0 / n; back to the sample's own
    -- scale for var(pi~) over its n negatives.
    select
        histogram.*,
        histogram.weighted_rows / histogram.scale_negatives as negative_weight,
        (1.0 - checked.scale_rate)
        * histogram.weighted_rows * histogram.weighted_rows
        * greatest(0.0,
            (histogram.sum_prob_squared - histogram.expected_negatives * histogram.expected_negatives / histogram.weighted_rows)
            / histogram.weighted_rows * histogram.scale_negatives / greatest(histogram.scale_negatives - 1, 1))
        / histogram.scale_negatives as estimate_variance
    from histogram
    cross join checked
),

kept as (
    select
        count(*) as kept_rows,
        sum(case when {{ label }} = 0 then 1 else 0 end) as kept_negatives,
        sum(case when {{ label }} = 0 and is_capped then 1 else 0 end) as n_capped,
        sum(ipw_weight) as ipw_weight_sum,
        sum(ipw_weight * ipw_weight) as ipw_weight_sum_of_squares
    from {{ negsample._design_ref(cfg, 'sample') }}
),

unseen as (
    select sum(n_unseen_level_rows) as n_unseen_level_rows
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
    where kind = 'final'
),

figures as (
    select
        checked.n_rows,
        checked.n_positive,
        checked.n_negative,
        scale.sampling_rate,
        scale.w,
        scale.w_relative_error,
        scale.sampling_scale,
        scale.floor_prob,
        estimates.expected_negatives,
        estimates.binomial_variance + estimates.estimate_variance as kept_negatives_variance,
        estimates.estimate_variance as expected_negatives_variance,
        kept.kept_negatives,
        kept.kept_rows,
        kept.n_capped,
        estimates.scale_floored * estimates.negative_weight as n_floored,
        estimates.scale_negatives,
        checked.scale_rate,
        kept.ipw_weight_sum * kept.ipw_weight_sum / kept.ipw_weight_sum_of_squares as ipw_effective_sample_size,
        unseen.n_unseen_level_rows,
        checked.n_imputed_values,
        checked.n_new_rows,
        scale.pilot_rows,
        scale.pilot_rate,
        scale.n_rows as estimated_n_rows,
        cast(scale.n_positive as {{ double }}) / scale.n_rows as estimated_base_rate,
        cast(checked.n_positive as {{ double }}) / checked.n_rows as base_rate,
        scale.expected_rate as estimated_kept_rate,
        scale.binomial_rate as estimated_binomial_rate,
        scale.expected_rate_variance as estimated_rate_variance,
        scale.estimated_id_max
    from checked
    cross join scale
    cross join estimates
    cross join kept
    cross join unseen
)

select
    n_rows,
    n_positive,
    n_negative,
    sampling_rate,
    w,
    w_relative_error,
    sampling_scale,
    floor_prob,
    expected_negatives,
    cast(kept_negatives as {{ bigint }}) as kept_negatives,
    kept_negatives_variance,
    expected_negatives_variance,
    sqrt(kept_negatives_variance) as kept_negatives_sd,
    expected_negatives - {{ z }} * sqrt(kept_negatives_variance) as expected_negatives_lower,
    expected_negatives + {{ z }} * sqrt(kept_negatives_variance) as expected_negatives_upper,
    (kept_negatives - expected_negatives) / sqrt(kept_negatives_variance) as kept_negatives_z,
    cast(kept_rows as {{ bigint }}) as kept_rows,
    cast(n_capped as {{ bigint }}) as n_capped,
    cast(round(n_floored) as {{ bigint }}) as n_floored,
    cast(scale_negatives as {{ bigint }}) as scale_negatives,
    scale_rate,
    ipw_effective_sample_size,
    ipw_effective_sample_size / kept_rows as ipw_effective_fraction,
    cast(n_unseen_level_rows as {{ bigint }}) as n_unseen_level_rows,
    cast(n_imputed_values as {{ bigint }}) as n_imputed_values,
    cast(pilot_rows as {{ bigint }}) as pilot_rows,
    pilot_rate as pilot_sampling_rate,
    {{ negsample._as_double(cfg.pilot_ratio) }} as pilot_ratio,
    {{ negsample._string_literal(negsample._score_mode(cfg)) }} as score,
    {{ negsample._string_literal(cfg.score) }} as score_setting,
    {{ negsample._string_literal(cfg.objective) }} as objective,
    {{ 'true' if cfg.reuse_pilot else 'false' }} as is_pilot_reused,
    {{ negsample._string_literal(cfg.budget) }} as budget,
    {{ negsample._as_double(cfg.floor) }} as floor,
    cast({{ cfg.seed }} as {{ bigint }}) as seed,
    {{ 'true' if cfg.freeze_design else 'false' }} as is_frozen_design,
    estimated_n_rows,
    estimated_base_rate,
    base_rate,
    case when estimated_id_max is not null then cast(n_new_rows as {{ bigint }}) end as new_rows,
    estimated_kept_rate,
    -- The kept negatives against what the design kept per negative when it
    -- was estimated, over the sd of this build's draw.
    (kept_negatives - estimated_kept_rate * n_negative)
    / sqrt(estimated_binomial_rate * n_negative + estimated_rate_variance * n_negative * n_negative) as drift_z
from figures
{%- endmacro %}
