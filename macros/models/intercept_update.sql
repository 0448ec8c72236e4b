{#-
  <design>_intercept_update, one row: calibration in the large of the final
  fit over every row of the source, and the one-step intercept update
  delta = (N1 - sum p) / sum p (1 - p) that closes it (sums from the
  post-fit pass, <design>_diagnostics_cells). <design>_scored adds delta to
  every log odds when the setting recalibrate_intercept is true.

  delta is also a check of the fit: the full table's score equation for the
  intercept, at the coefficients fitted on the sample. A sound fit moves the
  intercept by about its own standard error at most, so |delta| is compared
  with intercept_std_error (intercept_delta_z, and a data test at 4).
-#}
{% macro _model_intercept_update(cfg) -%}
with sums as (
    select
        sum(n_rows) as n_rows,
        sum(n_positive) as n_positive,
        {{ negsample._exact_sum('sum_value') }} as sum_prob,
        {{ negsample._exact_sum('sum_value_variance') }} as sum_prob_variance
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
    where kind = 'final'
),

intercept as (
    select std_error as intercept_std_error
    from {{ negsample._design_ref(cfg, 'coefficients') }}
    where model = 'final' and term = 'intercept'
)

select
    cast(sums.n_rows as {{ dbt.type_bigint() }}) as n_rows,
    cast(sums.n_positive as {{ dbt.type_bigint() }}) as n_positive,
    sums.sum_prob / sums.n_rows as mean_prob,
    cast(sums.n_positive as {{ negsample._double() }}) / sums.n_rows as observed_rate,
    (sums.n_positive - sums.sum_prob) / sums.sum_prob_variance as intercept_delta,
    intercept.intercept_std_error,
    (sums.n_positive - sums.sum_prob) / sums.sum_prob_variance / intercept.intercept_std_error as intercept_delta_z,
    {{ 'true' if cfg.recalibrate_intercept else 'false' }} as is_applied
from sums
cross join intercept
{%- endmacro %}
