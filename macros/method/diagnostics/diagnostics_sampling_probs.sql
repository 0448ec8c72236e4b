{#-
  <design>_diagnostics_sampling_probs: histogram of the sampling probability
  pi over the negatives, n_bins bins equally wide in ln(pi), from the least
  pi of a negative in the scale sample up to the cap 1. Log-spaced because
  pi spans orders of magnitude; only non-empty bins are written. Each bin
  also counts the negatives the draw kept, so n_kept / n_negatives should
  track mean_sampling_prob bin by bin.

  The negatives' counts are estimated on the scale sample
  (<design>_diagnostics_cells, kind 'sampling_prob': each negative there
  stands for N0 / n of the table's); the kept negatives are counted here,
  exactly, from <design>_sample, whose sampling_prob is the same value, so
  they land in the same bin (a kept negative below the sample's least pi
  joins the bottom bin).
-#}
{% macro _model_diagnostics_sampling_probs(cfg) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
  {%- set n_bins = 30 -%}
with negatives as (
    select
        cell as bin,
        weighted_rows as n_negatives,
        n_rows as n_sampled,
        sum_value as sum_sampling_prob
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
    where kind = 'sampling_prob'
),

bounds as (
    -- The lower end: ln of the least pi of the sample's negatives.
    select ln(min(min_value)) as ln_lowest
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
    where kind = 'sampling_prob'
),

kept as (
    select
        {{ negsample._sampling_prob_bin('sample_rows.sampling_prob', 'bounds.ln_lowest', n_bins) }} as bin,
        count(*) as n_kept
    from {{ negsample._design_ref(cfg, 'sample') }} as sample_rows
    cross join bounds
    where sample_rows.{{ label }} = 0
    group by 1
)

select
    cast(negatives.bin as integer) as bin,
    exp(bounds.ln_lowest * (1.0 - (negatives.bin - 1) / {{ n_bins }}.0)) as bin_lower,
    exp(bounds.ln_lowest * (1.0 - negatives.bin / {{ n_bins }}.0)) as bin_upper,
    cast(round(negatives.n_negatives) as {{ dbt.type_bigint() }}) as n_negatives,
    cast(negatives.n_sampled as {{ dbt.type_bigint() }}) as n_sampled,
    cast(coalesce(kept.n_kept, 0) as {{ dbt.type_bigint() }}) as n_kept,
    -- the mean over the negatives of the full table, not over the kept ones
    negatives.sum_sampling_prob / negatives.n_negatives as mean_sampling_prob
from negatives
cross join bounds
left join kept on negatives.bin = kept.bin
{%- endmacro %}
