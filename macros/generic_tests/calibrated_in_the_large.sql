{#-
  Calibration in the large: the mean of `prob_column` over all rows is within
  `tolerance` (relative) of the observed rate of `label_column`. Returns one
  row describing the gap when it is not.
-#}
{% test negsample_calibrated_in_the_large(model, prob_column, label_column, tolerance=0.05) %}
with totals as (
    select
        avg({{ prob_column }}) as mean_predicted,
        avg(cast({{ label_column }} as {{ negsample._double() }})) as observed_rate
    from {{ model }}
)

select
    mean_predicted,
    observed_rate,
    mean_predicted / observed_rate - 1.0 as relative_gap
from totals
where abs(mean_predicted / observed_rate - 1.0) > {{ tolerance }}
{% endtest %}
