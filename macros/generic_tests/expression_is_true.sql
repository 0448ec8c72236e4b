{#- Fails with every row of `model` for which `expression` is not true. -#}
{% test negsample_expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
