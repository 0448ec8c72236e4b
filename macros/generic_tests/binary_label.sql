{#- Every value of `column` is 0 or 1 (no NULL). Returns the other values with their counts. -#}
{% test negsample_binary_label(model, column) %}
select
    {{ column }} as label_value,
    count(*) as occurrences
from {{ model }}
where {{ column }} is null or {{ column }} not in (0, 1)
group by {{ column }}
{% endtest %}
