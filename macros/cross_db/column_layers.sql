{#-
  Per-row work as named columns in successive CTEs: each layer is a list of
  (name, SQL) whose SQL reads the columns of the layer before (bare names),
  and each layer is one CTE that adds its columns to all of the previous
  ones. The last CTE is named `output`, the others `output`__1, ...; the
  first reads `input`. Every value is computed once, and the SQL grows
  linearly with the steps (the same steps written as one expression grow
  exponentially where a value is read twice). Write a comma after.
-#}
{% macro _column_layers(input, layers, output) -%}
  {%- for layer in layers %}
    {%- set name = output if loop.last else output ~ '__' ~ loop.index %}
    {%- set previous = input if loop.first else output ~ '__' ~ (loop.index - 1) %}
{{ name }} as (
    select
        {{ previous }}.*
        {%- for column, sql in layer %},
        {{ sql }} as {{ column }}
        {%- endfor %}
    from {{ previous }}
){{ ',' if not loop.last }}
  {%- endfor %}
{%- endmacro %}
