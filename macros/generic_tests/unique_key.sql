{#-
  `column` is a key: not null and unique. Returns each NULL or repeated value
  with how often it occurs. Takes the column as an argument (not
  column_name) so that it can come from a var.
-#}
{% test negsample_unique_key(model, column) %}
select
    {{ column }} as key_value,
    count(*) as occurrences
from {{ model }}
group by {{ column }}
having count(*) > 1 or {{ column }} is null
{% endtest %}
