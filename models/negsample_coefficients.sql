{{ config(materialized='table') }}
{#-
  Pilot and final coefficients in one table (DESIGN section 4), on the
  population scale. model: 'pilot', 'final' (log-odds corrected) or 'ipw'
  (the weighted fit kept for comparison). A reference level is a row with
  is_reference true and estimate 0; coefficients fitted elsewhere may leave
  the reference level out.
-#}
select
    model,
    term,
    level,
    is_reference,
    estimate,
    std_error,
    estimate / std_error as z_value
from {{ ref('negsample_pilot_coefficients') }}
union all
select
    model,
    term,
    level,
    is_reference,
    estimate,
    std_error,
    estimate / std_error as z_value
from {{ ref('negsample_final_coefficients') }}
