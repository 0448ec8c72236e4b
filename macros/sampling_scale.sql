{#-
  The select behind negsample_sampling_scale: per partition (none in the
  package's models; one per replicate in bench/efficiency.py) the class
  counts, w = mean score over negatives, and the scale c of
  pi = min(1, max(floor * rho, c * t)).

  budget 'paper': c = rho / w.
  budget 'exact': c solves S(c) = sum over negatives of pi = rho * N0.
  S is continuous, piecewise linear and non-decreasing in c: a row leaves the
  floor at c = floor*rho / t and reaches the cap at c = 1 / t. Sorting every
  kink is exact but costs a sort of 2 * N0 rows, so the solve first brackets
  c* on a grid of candidates around rho / w (one aggregate pass), takes the
  state of every row at the bracket's lower end (a second pass), and sorts
  only the kinks inside the bracket. A target outside the grid leaves that
  side of the bracket open, which is still exact, only slower.

  scores: relation or CTE name with columns label_value (0/1), sampling_score
  and the partition columns.
-#}
{% macro _sampling_scale(scores, rate, floor, budget, partition_by=[]) -%}
  {%- set by = partition_by | join(', ') -%}
  {%- set sel = (by ~ ',') if by else '' -%}
  {%- set grid = range(-24, 25) | list -%}

with totals as (
    select
        {{ sel }}
        count(*) as n_rows,
        sum(case when label_value = 1 then 1 else 0 end) as n_positive,
        sum(case when label_value = 0 then 1 else 0 end) as n_negative,
        avg(case when label_value = 0 then sampling_score end) as w,
        {{ negsample._as_double(rate) }} as sampling_rate,
        {{ negsample._as_double(floor) }} * {{ negsample._as_double(rate) }} as floor_prob,
        {{ negsample._as_double(rate) }} * sum(case when label_value = 0 then 1 else 0 end) as target
    from {{ scores }}
    {% if by %}group by {{ by }}{% endif %}
)
{%- if budget == 'paper' %}

select
    {{ sel }}
    n_rows,
    n_positive,
    n_negative,
    w,
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
        totals.floor_prob,
        totals.target,
        totals.sampling_rate / totals.w as paper_scale
    from {{ scores }} as s
    inner join totals on {{ negsample._partition_join('s', 'totals', partition_by) }}
    where s.label_value = 0
),

grid as (
    -- Candidate factors 2^(k/4), k = -24..24, around paper_scale: a bracket
    -- factor of 1.19. Rows, not columns: engines that inline CTEs (Spark)
    -- would otherwise copy the scan once per candidate.
    {%- set factors = [] -%}
    {%- for k in grid %}{% do factors.append(negsample._as_double(2 ** (k / 4))) %}{% endfor %}
    {{ negsample._literal_rows(factors, 'factor') }}
),

grid_points as (
    -- S at c = paper_scale * factor, every candidate in one pass.
    select
        {{ negsample._prefixed('n', partition_by, trailing=',') }}
        max(n.paper_scale) * g.factor as c,
        sum(least(1.0, greatest(n.floor_prob, n.paper_scale * g.factor * n.t))) as s,
        max(n.target) as target
    from negatives as n
    cross join grid as g
    group by {{ negsample._prefixed('n', partition_by, trailing=',') }}{{ ' ' if partition_by }}g.factor
),

bracket as (
    -- lower: the largest candidate still within budget (else 0); upper: the
    -- smallest beyond it (else none).
    select
        {{ sel }}
        coalesce(max(case when s <= target then c end), 0.0) as lower_scale,
        min(case when s > target then c end) as upper_scale
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
        sum(case
            when b.lower_scale * n.t < n.floor_prob then n.floor_prob
            when b.lower_scale * n.t >= 1.0 then 1.0
            else 0.0
        end) as constant_part,
        sum(case
            when b.lower_scale * n.t < n.floor_prob or b.lower_scale * n.t >= 1.0 then 0.0
            else n.t
        end) as slope
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
        n.t as slope_change,
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
        -n.t as slope_change,
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
        sum(slope_change) over (
            {% if by %}partition by {{ by }}{% endif %} order by at_scale nulls first
        ) as slope_change,
        sum(constant_change) over (
            {% if by %}partition by {{ by }}{% endif %} order by at_scale nulls first
        ) as constant_change
    from kinks
),

budget_at_kink as (
    select
        {{ negsample._prefixed('r', partition_by, trailing=',') }}
        r.at_scale,
        a.slope + r.slope_change as slope,
        a.constant_part + r.constant_change as constant_part,
        a.constant_part + r.constant_change + (a.slope + r.slope_change) * r.at_scale as budget,
        a.target
    from running as r
    inner join at_lower as a on {{ negsample._partition_join('r', 'a', partition_by) }}
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
