{#-
  One Newton step on the intercept alone, over every row of the full table:
  delta = (N1 - sum p) / sum p (1 - p), with p = sigmoid(logit). Adding delta
  to the intercept makes the mean predicted probability match the observed
  rate (to second order), at the cost of one aggregate pass.

  rows: relation or subquery with the label, the logit and the partition
  columns (none in the package's models; one per replicate in the benchmark).
-#}
{% macro _intercept_update(rows, logit, label, partition_by=[]) -%}
  {%- set by = partition_by | join(', ') -%}
with probabilities as (
    select
        {{ (by ~ ',') if by }}
        {{ label }} as label_value,
        {{ negsample.sigmoid(logit) }} as prob
    from {{ rows }}
),

sums as (
    select
        {{ (by ~ ',') if by }}
        count(*) as n_rows,
        sum(label_value) as n_positive,
        sum(prob) as sum_prob,
        sum(prob * (1.0 - prob)) as sum_prob_variance
    from probabilities
    {% if by %}group by {{ by }}{% endif %}
)

select
    {{ (by ~ ',') if by }}
    n_rows,
    n_positive,
    sum_prob / n_rows as mean_prob,
    (n_positive - sum_prob) / sum_prob_variance as intercept_delta
from sums
{%- endmacro %}
