{{ config(materialized='table') }}
{#-
  Histogram of the sampling probability pi over the negatives: n_bins bins
  equally wide in ln(pi), from the least pi of any negative (the floor,
  when the floor binds) up to the cap 1. Log-spaced because pi spans
  orders of magnitude; only non-empty bins are written. Each bin also counts
  the negatives the draw kept, so kept / n_negatives should track
  mean_sampling_prob bin by bin.
-#}
{%- set cfg = negsample._config() -%}
{%- set n_bins = 30 -%}

with negatives as (
    select
        sampling_prob,
        is_sampled
    from {{ ref('negsample_sampling_probs') }}
    where {{ adapter.quote(cfg.label_column) }} = 0
),

bounds as (
    select ln(min(sampling_prob)) as ln_lowest
    from negatives
),

positioned as (
    select
        negatives.sampling_prob,
        negatives.is_sampled,
        bounds.ln_lowest,
        -- Where ln(pi) lies between ln(least pi) (0) and ln(1) (1). When no
        -- negative is below 1 there is nothing to spread: all sit at 0.
        case
            when bounds.ln_lowest >= 0 then 0.0
            else (ln(negatives.sampling_prob) - bounds.ln_lowest) / -bounds.ln_lowest
        end as log_position
    from negatives
    cross join bounds
),

binned as (
    select
        sampling_prob,
        is_sampled,
        ln_lowest,
        -- pi = 1 (the cap) has log_position 1 and joins the top bin.
        least({{ n_bins }}, 1 + cast(floor({{ n_bins }} * log_position) as integer)) as bin
    from positioned
)

select
    bin,
    exp(ln_lowest * (1.0 - (bin - 1) / {{ n_bins }}.0)) as bin_lower,
    exp(ln_lowest * (1.0 - bin / {{ n_bins }}.0)) as bin_upper,
    count(*) as n_negatives,
    sum(case when is_sampled then 1 else 0 end) as n_kept,
    avg(sampling_prob) as mean_sampling_prob
from binned
group by bin, ln_lowest
