-- The `exact` budget's solve on Spark (windowed running sums over the kinks),
-- at a rate and floor where many negatives are capped and many floored. It
-- reads the scores from a table: Spark inlines CTEs, so over the scores view
-- every reference would score the demo again and slow the test down.
with scores as (
    select
        label_value,
        sampling_score
    from {{ ref('pilot_scores_table') }}
),

scale as (
    {{ negsample._sampling_scale('scores', 0.3, 0.6, 'exact') }}
)

select * from scale
