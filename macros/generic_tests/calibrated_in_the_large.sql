{#-
  Calibration in the large: the mean of `prob_column` over all rows is within
  `tolerance` (relative) of the observed rate of `label_column`. Returns one
  row describing the gap when it is not, and also when the gap cannot be
  computed (a NULL or NaN mean, no positives): an unknown gap has not passed.
-#}
{% test negsample_calibrated_in_the_large(model, prob_column, label_column, tolerance=0.05) %}
with totals as (
    select
        avg({{ prob_column }}) as mean_predicted,
        avg(cast({{ label_column }} as {{ negsample._double() }})) as observed_rate
    from {{ model }}
),

gaps as (
    select
        mean_predicted,
        observed_rate,
        case
            when observed_rate > 0 then mean_predicted / observed_rate - 1.0
        end as relative_gap
    from totals
)

select
    mean_predicted,
    observed_rate,
    relative_gap
from gaps
where not coalesce(
    abs(relative_gap) <= {{ tolerance }} and not {{ negsample.default___is_not_finite('relative_gap') }},
    false
)
{% endtest %}
