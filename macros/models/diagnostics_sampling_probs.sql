{#-
  <design>_diagnostics_sampling_probs: histogram of the sampling probability
  pi over the negatives, n_bins bins equally wide in ln(pi), from the least
  pi of a negative when the design was estimated (the floor, when the floor
  binds) up to the cap 1. Log-spaced because pi spans orders of magnitude;
  only non-empty bins are written. Each bin also counts the negatives the
  draw kept, so n_kept / n_negatives should track mean_sampling_prob bin by
  bin.

  The negatives' bins come from the post-fit pass (<design>_diagnostics_cells,
  kind 'sampling_prob'); the kept negatives are binned here from
  <design>_sample, whose sampling_prob is the same value, so they land in
  the same bin.
-#}
{% macro _model_diagnostics_sampling_probs(cfg) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
  {%- set n_bins = 30 -%}
with bounds as (
    {{ negsample._sampling_prob_bounds(negsample._design_ref(cfg, 'sampling_scale'), cfg.reuse_pilot) }}
),

negatives as (
    select
        cell as bin,
        n_rows as n_negatives,
        sum_value as sum_sampling_prob
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
    cast(negatives.n_negatives as {{ dbt.type_bigint() }}) as n_negatives,
    cast(coalesce(kept.n_kept, 0) as {{ dbt.type_bigint() }}) as n_kept,
    -- the mean over the negatives of the full table, not over the kept ones
    negatives.sum_sampling_prob / negatives.n_negatives as mean_sampling_prob
from negatives
cross join bounds
left join kept on negatives.bin = kept.bin
{%- endmacro %}
