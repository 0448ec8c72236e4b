{#-
  <design>_intercept_update, one row: calibration in the large of the final
  fit over every row of the source, and the one-step intercept update
  delta = (N1 - sum p) / sum p (1 - p) that closes it (sums from the
  post-fit pass, <design>_diagnostics_cells). <design>_scored adds delta to
  every log odds when the setting recalibrate_intercept is true.

  delta is also a check of the fit: it is the full table's score equation
  for the intercept at the coefficients fitted on the sample, and to first
  order delta = -a' (theta^ - theta_N), with theta_N the full table's fit
  and a = sum p (1 - p) x-dot / sum p (1 - p) the table's average design
  vector weighted by p (1 - p). Its standard deviation is therefore
  sqrt(a' V a), V the final fit's covariance (a slight overestimate: V also
  holds the table's own sampling noise). a is estimated on the scale sample
  (kind 'final_term' of the cells); V is the fit's whole covariance. A sound
  fit moves the intercept by about that much; the data test allows 4 of
  them (intercept_delta_z). With the final fit's coefficients given by a
  relation there is no covariance, and delta is compared with the
  intercept's standard error instead (delta_sd_source says which).
-#}
{% macro _model_intercept_update(cfg) -%}
  {%- set fitted = negsample._final_fit_relation(cfg) -%}
with sums as (
    select
        sum(n_rows) as n_rows,
        sum(n_positive) as n_positive,
        {{ negsample._exact_sum('sum_value') }} as sum_prob,
        {{ negsample._exact_sum('sum_value_variance') }} as sum_prob_variance
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
    where kind = 'final'
),

term_sums as (
    select term, level, sum_value
    from {{ negsample._design_ref(cfg, 'diagnostics_cells') }}
    where kind = 'final_term'
),

average_design as (
    -- a: each term's sum over the intercept's (the sum of p (1 - p)).
    select
        term_sums.term,
        term_sums.level,
        term_sums.sum_value / intercept_sum.sum_value as a
    from term_sums
    cross join (select sum_value from term_sums where term = 'intercept') as intercept_sum
),

{%- if fitted is not none %}

covariance as (
    select term, level, col_term, col_level, estimate
    from {{ fitted }}
    where model = 'final_covariance'
),

delta_variance as (
    select sum(row_a.a * covariance.estimate * col_a.a) as variance
    from covariance
    inner join average_design as row_a
        on covariance.term = row_a.term and coalesce(covariance.level, '') = coalesce(row_a.level, '')
    inner join average_design as col_a
        on covariance.col_term = col_a.term and coalesce(covariance.col_level, '') = coalesce(col_a.level, '')
),
{%- else %}

delta_variance as (
    select cast(null as {{ negsample._double() }}) as variance
),
{%- endif %}

intercept as (
    select std_error as intercept_std_error
    from {{ negsample._design_ref(cfg, 'coefficients') }}
    where model = 'final' and term = 'intercept'
),

update_row as (
    select
        sums.*,
        (sums.n_positive - sums.sum_prob) / sums.sum_prob_variance as intercept_delta,
        intercept.intercept_std_error,
        coalesce(sqrt(delta_variance.variance), intercept.intercept_std_error) as intercept_delta_sd,
        case when delta_variance.variance is null then 'intercept_std_error' else 'covariance' end as delta_sd_source
    from sums
    cross join intercept
    cross join delta_variance
)

select
    cast(n_rows as {{ dbt.type_bigint() }}) as n_rows,
    cast(n_positive as {{ dbt.type_bigint() }}) as n_positive,
    sum_prob / n_rows as mean_prob,
    cast(n_positive as {{ negsample._double() }}) / n_rows as observed_rate,
    intercept_delta,
    intercept_std_error,
    intercept_delta_sd,
    delta_sd_source,
    intercept_delta / intercept_delta_sd as intercept_delta_z,
    {{ 'true' if cfg.recalibrate_intercept else 'false' }} as is_applied
from update_row
{%- endmacro %}

{#- The relation the final fit wrote (its coefficients and covariance), or none when a relation of the user's gives them. -#}
{% macro _final_fit_relation(cfg) -%}
  {%- if cfg.final_coefficients -%}{{ return(none) }}{%- endif -%}
  {{ return(negsample._design_ref(cfg, 'final_model' if cfg.fit_engine == 'python' else 'final_model_sql')) }}
{%- endmacro %}
