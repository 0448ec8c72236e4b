{{ config(materialized='table') }}
{#-
  Log loss and AUC of the pilot probability and of the final corrected
  probability over every row of the source, one row per model.
  AUC is the Mann-Whitney statistic: the rank sum of the positives, ties
  given their average rank, so it needs only window functions and works on
  any engine. Probabilities are clipped to [eps, 1 - eps] before ln() so a
  saturated prediction costs a large, finite loss instead of an error.
-#}
{%- set cfg = negsample._config() -%}
{%- set eps = 1e-15 -%}

with scored as (
    select
        {{ adapter.quote(cfg.label_column) }} as label_value,
        pilot_prob,
        corrected_prob
    from {{ ref('negsample_scored') }}
),

-- `model` names the fit as in negsample_coefficients, hence the keyword as a name.
predictions as (
    select
        'pilot' as model,  -- noqa: RF04
        label_value,
        pilot_prob as predicted
    from scored
    union all
    select
        'final' as model,  -- noqa: RF04
        label_value,
        corrected_prob as predicted
    from scored
),

ranked as (
    select
        model,
        label_value,
        predicted,
        least(1.0 - {{ eps }}, greatest({{ eps }}, predicted)) as clipped,
        -- rank() gives a tie group its first rank; adding half the group's
        -- size minus one gives the average rank the Mann-Whitney AUC needs.
        rank() over (partition by model order by predicted)
        + (count(*) over (partition by model, predicted) - 1) / 2.0 as mid_rank
    from predictions
),

totals as (
    select
        model,
        count(*) as n_rows,
        sum(label_value) as n_positive,
        avg(predicted) as mean_predicted,
        avg(cast(label_value as double)) as observed_rate,
        -avg(label_value * ln(clipped) + (1 - label_value) * ln(1.0 - clipped)) as log_loss,
        sum(case when label_value = 1 then mid_rank else 0.0 end) as positive_rank_sum
    from ranked
    group by model
)

select
    model,
    n_rows,
    n_positive,
    mean_predicted,
    observed_rate,
    log_loss,
    (positive_rank_sum - cast(n_positive as double) * (n_positive + 1) / 2.0)
    / (cast(n_positive as double) * (n_rows - n_positive)) as auc
from totals
