{#-
  <design>_diagnostics_cells: the post-fit pass, DESIGN section 8. One pass
  over every row of the source, after the final fit, that every
  whole-table figure of the build rides on: the intercept update, the
  design's sums of pi, and every diagnostic.

  Each row is counted once per kind, by cell (one hash aggregate over the
  rows repeated per kind, so the source is read once):
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
  summing a kind's cells gives the table's total.
-#}
{% macro _model_diagnostics_cells(cfg) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
  {%- set coefficients = negsample._design_ref(cfg, 'coefficients') -%}
  {%- set design = negsample._design_terms(cfg, coefficients, 'final') -%}
  {%- set n_bins = 30 -%}
  {#- Probabilities are clipped to [eps, 1 - eps] before ln() so a saturated
      prediction costs a large, finite loss. -#}
  {%- set eps = 1e-15 -%}
with probs as (
    select * from {{ negsample._design_ref(cfg, 'sampling_probs') }}
),

final_coefficient_row as (
    {{ negsample._pivot_coefficients(coefficients, design.terms, 'final') }}
),

bounds as (
    {{ negsample._sampling_prob_bounds(negsample._design_ref(cfg, 'sampling_scale')) }}
),

estimated as (
    -- The largest integer id when the design was estimated (null for other
    -- ids): under a frozen design, rows above it are new since then.
    select estimated_id_max from {{ negsample._design_ref(cfg, 'sampling_scale') }}
),

final_rows as (
    select
        probs.{{ label }} as label_value,
        probs.pilot_prob,
        probs.sampling_prob,
        probs.is_capped,
        probs.is_floored,
        probs.n_unseen_levels,
        probs.negsample_imputed,
        case when probs.negsample_key > estimated.estimated_id_max then 1 else 0 end as is_new_row,
        {{ negsample._linear_predictor(design.terms, 'final_coefficient_row') }} as final_logit
    from probs
    cross join final_coefficient_row
    cross join estimated
),

row_values as (
    select
        final_rows.label_value,
        final_rows.pilot_prob,
        final_rows.sampling_prob,
        final_rows.is_capped,
        final_rows.is_floored,
        final_rows.n_unseen_levels,
        final_rows.negsample_imputed,
        final_rows.is_new_row,
        {{ negsample.sigmoid('final_rows.final_logit') }} as final_prob,
        {{ negsample.sigmoid('final_rows.final_logit - ln(final_rows.sampling_prob)') }} as uncorrected_prob,
        case when final_rows.label_value = 0 then
            {{ negsample._sampling_prob_bin('final_rows.sampling_prob', 'bounds.ln_lowest', n_bins) }}
        end as sampling_prob_bin
    from final_rows
    cross join bounds
    {{ negsample._optimization_fence() }}
),

kinds as (
    {{ negsample._literal_rows(["'pilot'", "'final'", "'uncorrected'", "'sampling_prob'"], 'kind') }}
),

cells as (
    select
        kinds.kind,
        case
            when kinds.kind = 'pilot' then {{ negsample._score_cell('row_values.pilot_prob', eps) }}
            when kinds.kind = 'final' then {{ negsample._score_cell('row_values.final_prob', eps) }}
            when kinds.kind = 'uncorrected' then {{ negsample._score_cell('row_values.uncorrected_prob', eps) }}
            else row_values.sampling_prob_bin
        end as cell,
        row_values.label_value,
        case
            when kinds.kind = 'pilot' then row_values.pilot_prob
            when kinds.kind = 'final' then row_values.final_prob
            when kinds.kind = 'uncorrected' then row_values.uncorrected_prob
            else row_values.sampling_prob
        end as value,
        case when kinds.kind = 'sampling_prob' and row_values.is_capped then 1 else 0 end as is_capped,
        case when kinds.kind = 'sampling_prob' and row_values.is_floored then 1 else 0 end as is_floored,
        case when kinds.kind = 'final' and row_values.n_unseen_levels > 0 then 1 else 0 end as has_unseen_level,
        case when kinds.kind = 'final' then row_values.negsample_imputed else 0 end as n_imputed,
        case when kinds.kind = 'final' then row_values.is_new_row else 0 end as is_new_row
    from row_values
    cross join kinds
    where kinds.kind <> 'sampling_prob' or row_values.label_value = 0
)

select
    kind,
    cell,
    count(*) as n_rows,
    sum(label_value) as n_positive,
    -- Exact sums (_exact_sum): the design's expected count and its variance,
    -- and the intercept update, are the same bits at any thread count.
    {{ negsample._exact_sum('value') }} as sum_value,
    {{ negsample._exact_sum('value * (1.0 - value)') }} as sum_value_variance,
    min(value) as min_value,
    max(value) as max_value,
    -- One ln() per row, of the probability of the observed label (the pi
    -- kind gets one too; nothing reads it).
    {{ negsample._exact_sum(
        'ln(case when label_value = 1 then least(1.0 - ' ~ eps ~ ', greatest(' ~ eps ~ ', value)) '
        ~ 'else 1.0 - least(1.0 - ' ~ eps ~ ', greatest(' ~ eps ~ ', value)) end)'
    ) }} as sum_log_likelihood,
    sum(is_capped) as n_capped,
    sum(is_floored) as n_floored,
    sum(has_unseen_level) as n_unseen_level_rows,
    sum(n_imputed) as n_imputed_values,
    sum(is_new_row) as n_new_rows
from cells
group by kind, cell
{%- endmacro %}
