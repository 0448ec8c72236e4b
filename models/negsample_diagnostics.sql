{{ config(materialized='table') }}
{#-
  Calibration by decile over the full table, for the corrected score and,
  for contrast, the uncorrected sample-scale score sigmoid(sample_logit).
  Each decile has its count, mean prediction, observed rate and a Wilson 95%
  interval for the observed rate: a calibrated score has its mean
  prediction inside the interval.
-#}
{%- set cfg = negsample._config() -%}
{%- set z = 1.959963984540054 -%}
{%- set z_sql = negsample._as_double(z) -%}
{%- set z2_sql = negsample._as_double(z * z) -%}

with scored as (
    select
        {{ adapter.quote(cfg.label_column) }} as label_value,
        corrected_prob,
        {{ negsample.sigmoid('sample_logit') }} as sample_prob
    from {{ ref('negsample_scored') }}
),

binned as (
    select
        'corrected' as score,
        ntile(10) over (order by corrected_prob) as decile,
        label_value,
        corrected_prob as predicted
    from scored
    union all
    select
        'uncorrected' as score,
        ntile(10) over (order by sample_prob) as decile,
        label_value,
        sample_prob as predicted
    from scored
),

deciles as (
    select
        score,
        decile,
        count(*) as n_rows,
        avg(predicted) as mean_predicted,
        avg(cast(label_value as {{ negsample._double() }})) as observed_rate
    from binned
    group by score, decile
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
