{{ config(materialized=('incremental' if negsample._config().freeze_design else 'view')) }}
{#-
  DESIGN steps 5-6 for every row: pi(x) = min(1, max(floor*rho, c*t(x))),
  the seeded uniform u of the 'sample' stream, and the keep flag
  (every positive; a negative iff u < pi). pi is defined for positives too:
  the probability that a negative at that x would be kept.
-#}
{%- set cfg = negsample._config() -%}
{%- set label = adapter.quote(cfg.label_column) -%}

with scores as (
    select * from {{ ref('negsample_pilot_scores') }}
),

scale as (
    select
        sampling_scale,
        floor_prob
    from {{ ref('negsample_sampling_scale') }}
),

drawn as (
    select
        scores.*,
        {{ negsample.sampling_probability(
            'scores.sampling_score', 'scale.sampling_scale', 'scale.floor_prob'
        ) }} as sampling_prob,
        scale.sampling_scale * scores.sampling_score >= 1.0 as is_capped,
        scale.sampling_scale * scores.sampling_score < scale.floor_prob as is_floored,
        {{ negsample.uniform('scores.negsample_key', cfg.seed, 'sample') }} as sample_uniform
    from scores
    cross join scale
    {{ negsample._optimization_fence() }}
)

select
    drawn.*,
    (drawn.{{ label }} = 1 or drawn.sample_uniform < drawn.sampling_prob) as is_sampled
from drawn
{%- if is_incremental() %}
-- A frozen design: only rows that are new since the last build are drawn;
-- rows drawn before keep their probability and flag.
left join {{ this }} as drawn_before
    on drawn.{{ adapter.quote(cfg.id_column) }} = drawn_before.{{ adapter.quote(cfg.id_column) }}
where drawn_before.{{ adapter.quote(cfg.id_column) }} is null
{%- endif %}
