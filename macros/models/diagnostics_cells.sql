{#-
  <design>_diagnostics_cells: every whole-table figure of the build, from
  one scan of <design>_scored_rows (the post-fit pass's per-row table): the
  intercept update, the design's sums of pi, and every diagnostic read
  this table, not the source.

  Each row is counted once per kind, by cell (one aggregate with four
  grouping sets, so the rows are read once):
  - 'pilot', 'final', 'uncorrected': the cell of a 1/10000 log-odds grid
    (negsample._score_cell) of pilot_prob, of the final fit's probability
    sigmoid(theta^ . x-dot) before the intercept update, and of the
    sample-scale sigmoid(theta^ . x-dot - ln pi); the deciles and the AUC
    come from the cells' running counts, without a sort of every row.
  - 'sampling_prob': the negatives' bin of the pi histogram (30 bins equally
    wide in ln pi from the least pi of a negative at estimation to 1).
  value is the kind's number for the row (the probability, or pi); the
  flag counts (capped, floored, unseen levels, imputed values, rows new
  since the design was estimated) are carried by one kind each, so that
  summing a kind's cells gives the table's total. The sums that the design
  and the intercept update add up are exact (_exact_sum): the same bits at
  any thread count.
-#}
{% macro _model_diagnostics_cells(cfg) -%}
  {%- set n_bins = 30 -%}
  {#- Probabilities are clipped to [eps, 1 - eps] before ln() so a saturated
      prediction costs a large, finite loss. -#}
  {%- set eps = 1e-15 -%}
  {%- set kinds = [('pilot', 'pilot_prob'), ('final', 'final_prob'), ('uncorrected', 'uncorrected_prob'), ('sampling_prob', 'sampling_prob')] -%}
with bounds as (
    {{ negsample._sampling_prob_bounds(negsample._design_ref(cfg, 'sampling_scale'), cfg.reuse_pilot) }}
),

row_values as (
    select
        scored_rows.negsample_label as label_value,
        scored_rows.pilot_prob,
        {{ negsample.sigmoid('scored_rows.final_logit') }} as final_prob,
        {{ negsample.sigmoid('scored_rows.final_logit - ln(scored_rows.sampling_prob)') }} as uncorrected_prob,
        scored_rows.sampling_prob,
        case when scored_rows.is_capped then 1 else 0 end as is_capped,
        case when scored_rows.is_floored then 1 else 0 end as is_floored,
        case when scored_rows.n_unseen_levels > 0 then 1 else 0 end as has_unseen_level,
        scored_rows.negsample_imputed,
        scored_rows.is_new_row,
        case when scored_rows.negsample_label = 0 then
            {{ negsample._sampling_prob_bin('scored_rows.sampling_prob', 'bounds.ln_lowest', n_bins) }}
        end as sampling_prob_bin
    from {{ negsample._design_ref(cfg, 'scored_rows') }} as scored_rows
    cross join bounds
),

celled as (
    select
        row_values.*,
        {%- for kind, value in kinds[:3] %}
        {{ negsample._score_cell(value, eps) }} as {{ kind }}_cell,
        {%- endfor %}
        {%- for kind, value in kinds[:2] %}
        ln(case
            when label_value = 1 then least(1.0 - {{ eps }}, greatest({{ eps }}, {{ value }}))
            else 1.0 - least(1.0 - {{ eps }}, greatest({{ eps }}, {{ value }}))
        end) as {{ kind }}_log_likelihood,
        {%- endfor %}
        final_prob * (1.0 - final_prob) as final_variance,
        sampling_prob * (1.0 - sampling_prob) as sampling_prob_variance
    from row_values
),

grouped as (
    select
        grouping(pilot_cell) as not_pilot,
        grouping(final_cell) as not_final,
        grouping(uncorrected_cell) as not_uncorrected,
        pilot_cell,
        final_cell,
        uncorrected_cell,
        sampling_prob_bin,
        count(*) as n_rows,
        sum(label_value) as n_positive,
        sum(pilot_prob) as sum_pilot,
        min(pilot_prob) as min_pilot,
        max(pilot_prob) as max_pilot,
        {{ negsample._exact_sum('pilot_log_likelihood') }} as log_likelihood_pilot,
        {{ negsample._exact_sum('final_prob') }} as sum_final,
        {{ negsample._exact_sum('final_variance') }} as variance_final,
        min(final_prob) as min_final,
        max(final_prob) as max_final,
        {{ negsample._exact_sum('final_log_likelihood') }} as log_likelihood_final,
        sum(uncorrected_prob) as sum_uncorrected,
        min(uncorrected_prob) as min_uncorrected,
        max(uncorrected_prob) as max_uncorrected,
        {{ negsample._exact_sum('sampling_prob') }} as sum_sampling_prob,
        {{ negsample._exact_sum('sampling_prob_variance') }} as variance_sampling_prob,
        min(sampling_prob) as min_sampling_prob,
        max(sampling_prob) as max_sampling_prob,
        sum(is_capped) as n_capped,
        sum(is_floored) as n_floored,
        sum(has_unseen_level) as n_unseen_level_rows,
        sum(negsample_imputed) as n_imputed_values,
        sum(is_new_row) as n_new_rows
    from celled
    group by grouping sets ((pilot_cell), (final_cell), (uncorrected_cell), (sampling_prob_bin))
),

kinded as (
    select
        case
            when not_pilot = 0 then 'pilot'
            when not_final = 0 then 'final'
            when not_uncorrected = 0 then 'uncorrected'
            else 'sampling_prob'
        end as kind,
        grouped.*
    from grouped
)

select
    kind,
    cast(case kind
        when 'pilot' then pilot_cell
        when 'final' then final_cell
        when 'uncorrected' then uncorrected_cell
        else sampling_prob_bin
    end as {{ dbt.type_bigint() }}) as cell,
    n_rows,
    n_positive,
    case kind when 'pilot' then sum_pilot when 'final' then sum_final
        when 'uncorrected' then sum_uncorrected else sum_sampling_prob end as sum_value,
    case kind when 'final' then variance_final when 'sampling_prob' then variance_sampling_prob
        end as sum_value_variance,
    case kind when 'pilot' then min_pilot when 'final' then min_final
        when 'uncorrected' then min_uncorrected else min_sampling_prob end as min_value,
    case kind when 'pilot' then max_pilot when 'final' then max_final
        when 'uncorrected' then max_uncorrected else max_sampling_prob end as max_value,
    case kind when 'pilot' then log_likelihood_pilot when 'final' then log_likelihood_final
        end as sum_log_likelihood,
    case when kind = 'sampling_prob' then n_capped else 0 end as n_capped,
    case when kind = 'sampling_prob' then n_floored else 0 end as n_floored,
    case when kind = 'final' then n_unseen_level_rows else 0 end as n_unseen_level_rows,
    case when kind = 'final' then n_imputed_values else 0 end as n_imputed_values,
    case when kind = 'final' then n_new_rows else 0 end as n_new_rows
from kinded
-- The positives' group of the pi histogram (no bin): not a cell.
where kind <> 'sampling_prob' or sampling_prob_bin is not null
{%- endmacro %}
