{{ config(materialized='table') }}
{#-
  One row: the class counts, w = mean score over the negatives (DESIGN step 4)
  and the scale c of pi = min(1, max(floor * rho, c * t)) (step 5).
  budget 'paper': c = rho / w.
  budget 'exact': c solves sum over negatives of pi = rho * N0. The sum is
  piecewise linear in c, with kinks where a row leaves the floor
  (c = floor*rho / t) and where it reaches the cap (c = 1 / t); running sums
  over the sorted kinks give the sum at each kink, and the target is solved
  on the segment that holds it.
-#}
{%- set cfg = negsample._config() -%}
{%- set label = adapter.quote(cfg.label_column) -%}

with scores as (
    select
        {{ label }} as label_value,
        sampling_score
    from {{ ref('negsample_pilot_scores') }}
),

totals as (
    select
        count(*) as n_rows,
        sum(case when label_value = 1 then 1 else 0 end) as n_positive,
        sum(case when label_value = 0 then 1 else 0 end) as n_negative,
        avg(case when label_value = 0 then sampling_score end) as w,
        {{ cfg.sampling_rate }} as sampling_rate,
        {{ cfg.floor }} * {{ cfg.sampling_rate }} as floor_prob
    from scores
)
{%- if cfg.budget == 'paper' %}

select
    totals.*,
    totals.sampling_rate / totals.w as sampling_scale
from totals
{%- else %}
,

kinks as (
    select
        totals.floor_prob / scores.sampling_score as at_scale,
        scores.sampling_score as slope_change,
        -totals.floor_prob as constant_change
    from scores
    cross join totals
    where scores.label_value = 0 and scores.sampling_score > 0
    union all
    select
        1.0 / scores.sampling_score as at_scale,
        -scores.sampling_score as slope_change,
        1.0 as constant_change
    from scores
    where scores.label_value = 0 and scores.sampling_score > 0
),

running as (
    -- The default window frame (range ... current row) applies every kink
    -- that shares a position together.
    select distinct
        at_scale,
        sum(slope_change) over (order by at_scale) as slope,
        sum(constant_change) over (order by at_scale) as constant_part
    from kinks
),

budget_at_kink as (
    select
        running.at_scale,
        running.slope,
        totals.floor_prob * totals.n_negative + running.constant_part as constant_part,
        totals.floor_prob * totals.n_negative + running.constant_part
        + running.slope * running.at_scale as budget,
        totals.sampling_rate * totals.n_negative as target
    from running
    cross join totals
),

segment as (
    select *
    from budget_at_kink
    where at_scale = (select max(at_scale) from budget_at_kink where budget <= target)
)

select
    totals.*,
    case
        when segment.slope > 0 then (segment.target - segment.constant_part) / segment.slope
        else segment.at_scale
    end as sampling_scale
from totals
cross join segment
{%- endif %}
