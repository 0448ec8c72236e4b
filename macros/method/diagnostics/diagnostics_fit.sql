{#-
  <design>_diagnostics_fit: log loss and AUC of the pilot probability and of
  the final fit's probability (before the intercept update) over every row
  of the source, one row per model.

  AUC is the Mann-Whitney statistic computed without sorting the rows: rows
  are counted by cell of a fine log-odds grid (negsample._score_cell), and
  each positive beats the negatives of the cells below and ties with the
  negatives of its own cell (counted one half). That is the exact AUC, ties
  at their average rank, except for pairs in one cell whose scores differ;
  auc_tie_bound bounds the error by half the share of positive-negative
  pairs that share a cell holding unequal scores. The cells, with their log
  likelihood, come from the post-fit pass (<design>_diagnostics_cells).
-#}
{% macro _model_diagnostics_fit(cfg) -%}
{%- set double = negsample._double() -%}

with cells as (
    -- `model` names the fit as in <design>_coefficients, hence the keyword as a name.
    select
        kind as model,  -- noqa: RF04
        cell,
        n_rows,
        n_positive,
        sum_value as sum_predicted,
        min_value < max_value as has_unequal_scores,
        sum_log_likelihood
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
    where kind in ('pilot', 'final')
),

ordered_cells as (
    select
        model,
        n_rows,
        n_positive,
        n_rows - n_positive as n_negative,
        sum_predicted,
        sum_log_likelihood,
        has_unequal_scores,
        coalesce(
            sum(n_rows - n_positive) over (
                partition by model order by cell nulls first rows between unbounded preceding and 1 preceding
            ),
            0
        ) as negatives_below
    from cells
),

totals as (
    select
        model,
        cast(sum(n_rows) as {{ dbt.type_bigint() }}) as n_rows,
        cast(sum(n_positive) as {{ dbt.type_bigint() }}) as n_positive,
        sum(sum_predicted) / sum(n_rows) as mean_predicted,
        sum(cast(n_positive as {{ double }})) / sum(n_rows) as observed_rate,
        -sum(sum_log_likelihood) / sum(n_rows) as log_loss,
        sum(cast(n_positive as {{ double }}) * (negatives_below + 0.5 * n_negative)) as positive_wins,
        sum(
            case when has_unequal_scores then cast(n_positive as {{ double }}) * n_negative else 0.0 end
        ) as merged_pairs
    from ordered_cells
    group by model
)

select
    model,
    n_rows,
    n_positive,
    mean_predicted,
    observed_rate,
    log_loss,
    positive_wins / (cast(n_positive as {{ double }}) * (n_rows - n_positive)) as auc,
    0.5 * merged_pairs / (cast(n_positive as {{ double }}) * (n_rows - n_positive)) as auc_tie_bound
from totals
{%- endmacro %}
