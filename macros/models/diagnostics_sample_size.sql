{#-
  <design>_diagnostics_sample_size, one row of sample-size checks. The kept count of negatives is a sum of
  independent Bernoulli(pi) draws, so it should land within
  expected_negatives +- 1.96 sd about 95% of the time; a |z| beyond 4 means
  the draw and the design disagree. Kish's effective sample size
  (sum w)^2 / sum w^2 of the IPW weights says how many equally weighted rows
  the weighted fit is worth: the cost of weighting that the offset fit avoids.
-#}
{% macro _model_diagnostics_sample_size(cfg) -%}
{%- set z = 1.959963984540054 -%}

with design as (
    select * from {{ negsample._design_ref(cfg, 'design') }}
),

weights as (
    select
        count(*) as kept_rows,
        sum(ipw_weight) as ipw_weight_sum,
        sum(ipw_weight * ipw_weight) as ipw_weight_sum_of_squares
    from {{ negsample._design_ref(cfg, 'sample') }}
),

kish as (
    select
        kept_rows,
        ipw_weight_sum,
        ipw_weight_sum * ipw_weight_sum / ipw_weight_sum_of_squares as ipw_effective_sample_size
    from weights
)

select
    design.n_rows,
    design.n_positive,
    design.n_negative,
    design.sampling_rate,
    design.floor_prob,
    design.expected_negatives,
    sqrt(design.kept_negatives_variance) as kept_negatives_sd,
    design.expected_negatives - {{ z }} * sqrt(design.kept_negatives_variance) as expected_negatives_lower,
    design.expected_negatives + {{ z }} * sqrt(design.kept_negatives_variance) as expected_negatives_upper,
    design.kept_negatives,
    design.kept_negatives_z,
    kish.kept_rows,
    design.n_capped,
    design.n_floored,
    kish.ipw_weight_sum,
    kish.ipw_effective_sample_size,
    kish.ipw_effective_sample_size / kish.kept_rows as ipw_effective_fraction
from design
cross join kish
{%- endmacro %}
