{#-
  <design>_diagnostics: calibration by decile over the full table, for the
  final fit's probability (before the intercept update) and, for contrast,
  the uncorrected sample-scale score sigmoid(theta^ . x-dot - ln pi).
  Each decile has its count, mean prediction, observed rate and a Wilson 95%
  interval for the observed rate: a calibrated score has its mean
  prediction inside the interval. Deciles are cut between cells of a
  1/10000 log-odds grid (negsample._logit_cell) instead of by a sort of
  every row, so their counts differ from N/10 by at most one cell's rows.
  The final fit's deciles count every row of the source (the post-fit
  pass); the uncorrected score's are estimated on the scale sample, each
  negative standing for N0 / n of the table's (its counts are estimates,
  and its interval treats them as counts).
-#}
{% macro _model_diagnostics(cfg) -%}
{%- set z = 1.959963984540054 -%}
{%- set z_sql = negsample._as_double(z) -%}
{%- set z2_sql = negsample._as_double(z * z) -%}

-- Rows counted by cell of a fine log-odds grid in the post-fit pass
-- (<design>_diagnostics_cells): the deciles below come from the cells'
-- running counts, without sorting every row.
with cells as (
    select
        kind as score,
        cell,
        weighted_rows as n_rows,
        weighted_positives as n_positive,
        sum_value as sum_predicted
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
    where kind in ('final', 'uncorrected')
),

-- A cell goes whole to the decile of its first row, the decile that
-- ntile(10) would give that row; equal scores always share a decile.
placed as (
    select
        score,
        n_rows,
        n_positive,
        sum_predicted,
        least(
            10,
            1 + floor(
                10.0 * coalesce(
                    sum(n_rows) over (
                        partition by score order by cell nulls first rows between unbounded preceding and 1 preceding
                    ),
                    0
                ) / sum(n_rows) over (partition by score)
            )
        ) as decile
    from cells
),

deciles as (
    select
        score,
        cast(decile as integer) as decile,
        cast(round(sum(n_rows)) as {{ dbt.type_bigint() }}) as n_rows,
        sum(sum_predicted) / sum(n_rows) as mean_predicted,
        sum(cast(n_positive as {{ negsample._double() }})) / sum(n_rows) as observed_rate
    from placed
    group by 1, 2
)

select
    score,
    decile,
    n_rows,
    mean_predicted,
    observed_rate,
    (
        observed_rate + {{ z2_sql }} / (2.0 * n_rows)
        - {{ z_sql }} * sqrt(observed_rate * (1.0 - observed_rate) / n_rows + {{ z2_sql }} / (4.0 * n_rows * n_rows))
    ) / (1.0 + {{ z2_sql }} / n_rows) as observed_lower,
    (
        observed_rate + {{ z2_sql }} / (2.0 * n_rows)
        + {{ z_sql }} * sqrt(observed_rate * (1.0 - observed_rate) / n_rows + {{ z2_sql }} / (4.0 * n_rows * n_rows))
    ) / (1.0 + {{ z2_sql }} / n_rows) as observed_upper
from deciles
{%- endmacro %}
