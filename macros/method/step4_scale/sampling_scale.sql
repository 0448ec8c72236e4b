{#-
  docs/method.md steps 4-5: w = the mean score over the negatives, and the
  scale c of pi = min(1, max(floor * rho, c * t)), per partition (none in
  the package's models; one per replicate in bench/efficiency.py), from the
  rows of `scores` (columns label_value (0/1), sampling_score and the
  partition columns). The package's models pass the scale sample's
  negatives, a uniform share of the table's (<design>_pilot_sample), so w
  and c are estimates of their values over every negative.

  budget 'paper': c = rho / w.
  budget 'exact': c solves S(c) = sum over negatives of pi = rho * N0.
  S is continuous, piecewise linear and non-decreasing in c: a row leaves the
  floor at c = floor*rho / t and reaches the cap at c = 1 / t. Sorting every
  kink is exact but costs a sort of 2 * N0 rows, so the solve first brackets
  c* on a grid of candidates around rho / w, takes the state of every row at
  the bracket's lower end (one aggregate pass), and sorts
  only the kinks inside the bracket. A target outside the grid leaves that
  side of the bracket open, which is still exact, only slower.

  w is an exact sum (_exact_sum of t over its largest value), so that it
  has the same bits at any thread count and the kept rows with it.
-#}
{% macro _sampling_scale(scores, rate, floor, budget, partition_by=[]) -%}
  {%- set by = partition_by | join(', ') -%}
  {%- set sel = (by ~ ',') if by else '' -%}
  {%- set grid = range(-48, 49) | list -%}

with score_range as (
    select
        {{ sel }}
        max(case when label_value = 0 then sampling_score end) as max_score
    from {{ scores }}
    {% if by %}group by {{ by }}{% endif %}
),

totals as (
    select
        {{ negsample._prefixed('s', partition_by, trailing=',') }}
        count(*) as n_rows,
        sum(case when s.label_value = 1 then 1 else 0 end) as n_positive,
        sum(case when s.label_value = 0 then 1 else 0 end) as n_negative,
        -- The mean over the negatives, from an exact sum of t / max(t): the
        -- same bits in any order of the rows.
        {{ negsample._exact_sum('case when s.label_value = 0 then s.sampling_score / r.max_score end') }}
        * max(r.max_score)
        / sum(case when s.label_value = 0 then 1 else 0 end) as w,
        min(case when s.label_value = 0 then s.sampling_score end) as min_score,
        {{ negsample._as_double(rate) }} as sampling_rate,
        {{ negsample._as_double(floor) }} * {{ negsample._as_double(rate) }} as floor_prob,
        {{ negsample._as_double(rate) }} * sum(case when s.label_value = 0 then 1 else 0 end) as target
    from {{ scores }} as s
    inner join score_range as r on {{ negsample._partition_join('s', 'r', partition_by) }}
    {% if by %}group by {{ negsample._prefixed('s', partition_by) }}{% endif %}
)
{%- if budget == 'paper' %}

select
    {{ sel }}
    n_rows,
    n_positive,
    n_negative,
    w,
    min_score,
    sampling_rate,
    floor_prob,
    sampling_rate / w as sampling_scale
from totals
{%- else %},

negatives as (
    select
        {%- for col in partition_by %}
        s.{{ col }},
        {%- endfor %}
        s.sampling_score as t,
        -- Sums of t are exact sums of t over the largest t (same bits in any order).
        r.max_score,
        totals.floor_prob,
        totals.target,
        totals.sampling_rate / totals.w as paper_scale
    from {{ scores }} as s
    inner join totals on {{ negsample._partition_join('s', 'totals', partition_by) }}
    inner join score_range as r on {{ negsample._partition_join('s', 'r', partition_by) }}
    where s.label_value = 0
),

score_bins as (
    -- Negatives grouped by score on a log scale (32 bins per e-fold), with
    -- each bin's least and greatest score: enough to bound S(c) from both
    -- sides without touching every row once per candidate.
    select
        {{ sel }}
        floor(ln(t) * 32.0) as score_bin,
        count(*) as n_rows,
        min(t) as min_t,
        max(t) as max_t
    from negatives
    where t > 0
    group by {{ sel }} floor(ln(t) * 32.0)
),

scale_bounds as (
    select
        {{ sel }}
        max(paper_scale) as paper_scale,
        max(floor_prob) as floor_prob,
        max(target) as target,
        sum(case when t > 0 then 0 else 1 end) as n_zero
    from negatives
    {% if by %}group by {{ by }}{% endif %}
),

candidates as (
    -- paper_scale * 2^(k/8), k = -48..48: bracket steps of 9%.
    {%- set multipliers = [] -%}
    {%- for k in grid %}{% do multipliers.append(negsample._as_double(2 ** (k / 8))) %}{% endfor %}
    {{ negsample._literal_rows(multipliers, 'multiplier') }}
),

grid_points as (
    -- Lower and upper bounds of S at each candidate: clip(c t) is monotone
    -- in t, so a bin contributes between n * clip(c min_t) and n * clip(c max_t).
    select
        {{ negsample._prefixed('b', partition_by, trailing=',') }}
        b.paper_scale * g.multiplier as c,
        max(b.target) as target,
        max(b.n_zero * b.floor_prob) + sum(s.n_rows * least(1.0, greatest(
            b.floor_prob, b.paper_scale * g.multiplier * s.min_t))) as budget_low,
        max(b.n_zero * b.floor_prob) + sum(s.n_rows * least(1.0, greatest(
            b.floor_prob, b.paper_scale * g.multiplier * s.max_t))) as budget_high
    from scale_bounds as b
    cross join candidates as g
    inner join score_bins as s on {{ negsample._partition_join('b', 's', partition_by) }}
    group by {{ negsample._prefixed('b', partition_by, trailing=',') }} b.paper_scale * g.multiplier
),

bracket as (
    -- lower: the largest candidate surely within budget (else 0); upper:
    -- the smallest surely beyond it (else none).
    select
        {{ sel }}
        coalesce(max(case when budget_high <= target then c end), 0.0) as lower_scale,
        min(case when budget_low > target then c end) as upper_scale
    from grid_points
    {% if by %}group by {{ by }}{% endif %}
),

at_lower as (
    -- Every row's state at c = lower_scale: floored (c t < floor), capped
    -- (c t >= 1) or in between (contributes c t).
    select
        {%- for col in partition_by %}
        n.{{ col }},
        {%- endfor %}
        max(b.lower_scale) as lower_scale,
        max(n.target) as target,
        {{ negsample._exact_bounded_sum("case
            when b.lower_scale * n.t < n.floor_prob then n.floor_prob
            when b.lower_scale * n.t >= 1.0 then 1.0
            else 0.0
        end") }} as constant_part,
        {{ negsample._exact_sum("case
            when b.lower_scale * n.t < n.floor_prob or b.lower_scale * n.t >= 1.0 then 0.0
            else n.t / n.max_score
        end") }} * max(n.max_score) as slope
    from negatives as n
    inner join bracket as b on {{ negsample._partition_join('n', 'b', partition_by) }}
    {% if by %}group by {{ negsample._prefixed('n', partition_by) }}{% endif %}
),

kinks as (
    -- Kinks inside (lower, upper], plus the lower end itself (no change).
    select {{ sel }} lower_scale as at_scale, 0.0 as slope_change, 0.0 as constant_change
    from at_lower
    union all
    select
        {{ negsample._prefixed('n', partition_by, trailing=',') }}
        n.floor_prob / n.t as at_scale,
        n.t / n.max_score as slope_change,
        -n.floor_prob as constant_change
    from negatives as n
    inner join bracket as b on {{ negsample._partition_join('n', 'b', partition_by) }}
    where n.t > 0
        and n.floor_prob / n.t > b.lower_scale
        and (b.upper_scale is null or n.floor_prob / n.t <= b.upper_scale)
    union all
    select
        {{ negsample._prefixed('n', partition_by, trailing=',') }}
        1.0 / n.t as at_scale,
        -n.t / n.max_score as slope_change,
        1.0 as constant_change
    from negatives as n
    inner join bracket as b on {{ negsample._partition_join('n', 'b', partition_by) }}
    where n.t > 0
        and 1.0 / n.t > b.lower_scale
        and (b.upper_scale is null or 1.0 / n.t <= b.upper_scale)
),

running as (
    -- The default frame (range ... current row) applies kinks that share a
    -- position together. at_scale is never null; `nulls first` is spelled
    -- out because engines differ in the default and BigQuery cannot write
    -- any other null order in a window.
    select distinct
        {{ sel }}
        at_scale,
        {{ negsample._exact_sum_over('slope_change', (('partition by ' ~ by ~ ' ') if by else '') ~ 'order by at_scale nulls first') }}
        as slope_change,
        {{ negsample._exact_sum_over('constant_change', (('partition by ' ~ by ~ ' ') if by else '') ~ 'order by at_scale nulls first') }}
        as constant_change
    from kinks
),

budget_at_kink as (
    select
        {{ negsample._prefixed('r', partition_by, trailing=',') }}
        r.at_scale,
        a.slope + r.slope_change * m.max_score as slope,
        a.constant_part + r.constant_change as constant_part,
        a.constant_part + r.constant_change + (a.slope + r.slope_change * m.max_score) * r.at_scale as budget,
        a.target
    from running as r
    inner join at_lower as a on {{ negsample._partition_join('r', 'a', partition_by) }}
    inner join score_range as m on {{ negsample._partition_join('r', 'm', partition_by) }}
),

last_within as (
    select
        {{ sel }}
        max(at_scale) as at_scale
    from budget_at_kink
    where budget <= target
    {% if by %}group by {{ by }}{% endif %}
),

solved as (
    select
        {{ negsample._prefixed('k', partition_by, trailing=',') }}
        case
            when k.slope > 0 then (k.target - k.constant_part) / k.slope
            else k.at_scale
        end as sampling_scale
    from budget_at_kink as k
    inner join last_within as l
        on {{ negsample._partition_join('k', 'l', partition_by, trailing_and=true) }} k.at_scale = l.at_scale
)

select
    {{ negsample._prefixed('t', partition_by, trailing=',') }}
    t.n_rows,
    t.n_positive,
    t.n_negative,
    t.w,
    t.min_score,
    t.sampling_rate,
    t.floor_prob,
    s.sampling_scale
from totals as t
inner join solved as s on {{ negsample._partition_join('t', 's', partition_by) }}
{%- endif %}
{%- endmacro %}

{#-
  A select of one row per SQL expression in `values`, as column `column`.
  Dispatched because Spark makes one partition, hence one task, of each
  branch of a union: its inline table is a single partition (7x faster for
  the 49 candidates of the exact budget). BigQuery has no VALUES table, so
  the union is the default.
-#}
{% macro _literal_rows(values, column) -%}
  {{ return(adapter.dispatch('_literal_rows', 'negsample')(values, column)) }}
{%- endmacro %}

{% macro default___literal_rows(values, column) -%}
  {%- for v in values %}
    select {{ v }} as {{ column }}{{ ' union all' if not loop.last }}
  {%- endfor %}
{%- endmacro %}

{% macro spark___literal_rows(values, column) -%}
  select {{ column }} from values
  {%- for v in values %}
    ({{ v }}){{ ',' if not loop.last }}
  {%- endfor %}
    as literal_rows ({{ column }})
{%- endmacro %}

{#- `a.c1 = b.c1 and ...` over the partition columns; `1 = 1` when there are none. -#}
{% macro _partition_join(left, right, columns, trailing_and=false) -%}
  {%- for col in columns -%}
    {{ left }}.{{ col }} = {{ right }}.{{ col }}{{ ' and ' if not loop.last or trailing_and }}
  {%- endfor -%}
  {%- if columns | length == 0 -%}{{ '1 = 1' ~ (' and' if trailing_and else '') }}{%- endif -%}
{%- endmacro %}

{#- `alias.c1, alias.c2` (with an optional trailing comma when not empty). -#}
{% macro _prefixed(alias, columns, trailing='') -%}
  {%- for col in columns -%}{{ alias }}.{{ col }}{{ ', ' if not loop.last }}{%- endfor -%}
  {%- if columns | length > 0 %}{{ trailing }}{% endif -%}
{%- endmacro %}

{#-
  <design>_sampling_scale, one row, docs/method.md steps 4-5 and the
  design's second store: w and the scale c estimated on the scale sample's
  negatives (<design>_pilot_sample: every negative there stands for 1/rho_s
  of the table's), with what the estimate says of the draw over every
  negative (the mean pi per negative, the mean pi (1 - pi), the variance of
  the mean pi's estimate, the floored share), w's relative standard error,
  the least score (the lower end of the pi histogram), the counts, rho0 and
  the imputation means the design was estimated with, its pilot's rows and
  its key.

  Under a frozen design an incremental table that a build appends nothing
  to: the stored scale serves until a full refresh (is_frozen_store says
  the stores were written by a frozen design, which a later build checks).
-#}
{% macro _model_sampling_scale(cfg) -%}
  {%- if is_incremental() %}
select * from {{ this }} where 1 = 0
  {%- else %}
    {%- set pilot = negsample._design_ref(cfg, 'pilot_coefficients') -%}
    {%- set levels = negsample._categorical_levels(pilot, 'pilot') -%}
    {%- set label = adapter.quote(cfg.label_column) -%}
with sample_rows as (
    select * from {{ negsample._design_ref(cfg, 'pilot_sample') }}
),

source_check as (
    select * from {{ negsample._design_ref(cfg, 'source_check') }}
),

{{ negsample._pilot_score_ctes(cfg, 'sample_rows', pilot, negsample._score_mode(cfg), 'scored_rows', levels) }},

scores as (
    select
        {{ label }} as label_value,
        sampling_score
    from scored_rows
    where {{ label }} = 0
),

scale as (
    {{ negsample._sampling_scale('scores', cfg.sampling_rate, cfg.floor, cfg.budget) }}
),

{{ negsample._scale_estimate_ctes(cfg, 'scores', 'scale', 'source_check.pilot_rate', 'estimates') }},

pilot_rows as (
    select count(*) as pilot_rows from sample_rows where is_pilot_row
)

select
    source_check.n_rows,
    source_check.n_positive,
    source_check.n_negative,
    scale.w,
    scale.min_score,
    scale.sampling_rate,
    scale.floor_prob,
    scale.sampling_scale,
    source_check.pilot_rate,
    source_check.scale_rate,
    estimates.scale_negatives,
    estimates.expected_rate,
    estimates.binomial_rate,
    estimates.expected_rate_variance,
    estimates.floored_rate,
    estimates.w_relative_error,
    pilot_rows.pilot_rows,
    {%- for name in cfg.numeric_features %}
    source_check.impute_mean_{{ loop.index0 }},
    {%- endfor %}
    source_check.id_max as estimated_id_max,
    {{ negsample._string_literal(negsample._design_key(cfg)) }} as design_key,
    {{ 'true' if cfg.freeze_design else 'false' }} as is_frozen_store
from scale
cross join source_check
cross join estimates
cross join pilot_rows
  {%- endif %}
{%- endmacro %}

{#-
  The CTE `output`, one row: what a scale sample says of the draw over
  every negative of the table, from `scores` (its negatives' sampling_score,
  a uniform draw of the table's negatives at rate scale_rate, read from
  source_check) and `scale` (sampling_scale, floor_prob). With pi~ each
  negative's probability of being kept (pi, or pi* with reuse_pilot at
  rho0 = `pilot_rate`) and S the sample's n negatives:
    expected_rate           mean over S of pi~: E[kept negatives] / N0
    binomial_rate           mean over S of pi~ (1 - pi~): the draw's variance / N0
    expected_rate_variance  (1 - rho_s) var_S(pi~) / n: the variance of
                            expected_rate as an estimate of its value over
                            every negative (with the finite-population factor)
    floored_rate            the share of S on the floor
    w_relative_error        w's relative standard error, CV_S(t) sqrt((1 - rho_s) / n)
  Write a comma before and after. Its sums are exact (_exact_sum), so the
  same sample gives the same bits.
-#}
{% macro _scale_estimate_ctes(cfg, scores, scale, pilot_rate, output) -%}
{{ output }}__prob as (
    {%- set pi = negsample.sampling_probability(scores ~ '.sampling_score', scale ~ '.sampling_scale', scale ~ '.floor_prob') %}
    select
        {{ scores }}.sampling_score / {{ scale }}.w as relative_score,
        {{ negsample.union_inclusion_probability(pi, pilot_rate) if cfg.reuse_pilot else pi }} as prob,
        case when {{ scale }}.sampling_scale * {{ scores }}.sampling_score < {{ scale }}.floor_prob then 1 else 0 end as is_floored
    from {{ scores }}
    cross join {{ scale }}
    cross join source_check
),

{{ output }}__sums as (
    select
        count(*) as n,
        {{ negsample._exact_sum('prob') }} as sum_prob,
        {{ negsample._exact_sum('prob * prob') }} as sum_prob_squared,
        {{ negsample._exact_sum('prob * (1.0 - prob)') }} as sum_prob_variance,
        sum(is_floored) as n_floored,
        {{ negsample._exact_sum('relative_score * relative_score') }} as sum_relative_squared
    from {{ output }}__prob
),

{{ output }} as (
    select
        cast(n as {{ dbt.type_bigint() }}) as scale_negatives,
        sum_prob / n as expected_rate,
        sum_prob_variance / n as binomial_rate,
        (1.0 - source_check.scale_rate)
        * greatest(0.0, (sum_prob_squared - sum_prob * sum_prob / n) / greatest(n - 1, 1)) / n
        as expected_rate_variance,
        cast(n_floored as {{ negsample._double() }}) / n as floored_rate,
        -- sd(t) / mean(t) = sqrt(mean((t / w)^2) - 1), as var_samp would have it.
        sqrt(greatest(0.0, (sum_relative_squared - n) / greatest(n - 1, 1)))
        * sqrt((1.0 - source_check.scale_rate) / n) as w_relative_error
    from {{ output }}__sums
    cross join source_check
)
{%- endmacro %}
