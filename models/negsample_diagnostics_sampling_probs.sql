{{ config(materialized='table') }}
{#-
  Histogram of the sampling probability pi over the negatives: n_bins bins
  equally wide in ln(pi), from the least pi of any negative (the floor,
  when the floor binds) up to the cap 1. Log-spaced because pi spans
  orders of magnitude; only non-empty bins are written. Each bin also counts
  the negatives the draw kept, so kept / n_negatives should track
  mean_sampling_prob bin by bin.

  One pass over the rows, without the seeded uniform: the least pi comes
  from negsample_design (which already passes over every negative), and
  the kept negatives are binned from negsample_sample, whose sampling_prob
  is the same stored value, so they land in the same bin.
-#}
{%- set cfg = negsample._config() -%}
{%- set label = adapter.quote(cfg.label_column) -%}
{%- set n_bins = 30 -%}

with bounds as (
    select ln(min_sampling_prob) as ln_lowest
    from {{ ref('negsample_design') }}
),

negatives as (
    select
        sampling_prob,
        0 as is_kept
    from {{ ref('negsample_sampling_probs') }}
    where {{ label }} = 0
    union all
    select
        sampling_prob,
        1 as is_kept
    from {{ ref('negsample_sample') }}
    where {{ label }} = 0
),

positioned as (
    select
        negatives.sampling_prob,
        negatives.is_kept,
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
        is_kept,
        ln_lowest,
        -- pi = 1 (the cap) has log_position 1 and joins the top bin.
        least({{ n_bins }}, 1 + cast(floor({{ n_bins }} * log_position) as integer)) as bin
    from positioned
)

select
    bin,
    exp(ln_lowest * (1.0 - (bin - 1) / {{ n_bins }}.0)) as bin_lower,
    exp(ln_lowest * (1.0 - bin / {{ n_bins }}.0)) as bin_upper,
    cast(sum(1 - is_kept) as {{ dbt.type_bigint() }}) as n_negatives,
    cast(sum(is_kept) as {{ dbt.type_bigint() }}) as n_kept,
    -- the mean over the negatives of the full table, not over the kept ones
    sum(case when is_kept = 0 then sampling_prob else 0.0 end) / sum(1 - is_kept) as mean_sampling_prob
from binned
group by bin, ln_lowest
