{#-
  Every row of `source_model` with label 1 has its id in `model`.
  Returns the ids of the positives that are missing.
-#}
{% test negsample_contains_all_positives(model, id_column, source_model, label_column) %}
select source_rows.{{ id_column }}
from {{ source_model }} as source_rows
left join {{ model }} as kept
    on source_rows.{{ id_column }} = kept.{{ id_column }}
where source_rows.{{ label_column }} = 1
    and kept.{{ id_column }} is null
{% endtest %}
