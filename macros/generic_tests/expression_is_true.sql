{#-
  Fails with every row of `model` for which `expression` is not true: false,
  and also NULL, since a check that cannot be evaluated has not passed (a
  NULL std_error does not satisfy `std_error > 0`).

  A NaN or an infinite double counts as unknown (NULL) too: DuckDB, Spark
  and PostgreSQL all order NaN above every number, so `std_error > 0` would
  be true for a NaN. Such values never belong in the tables tested here.
  The columns are read from the warehouse when the test runs; at parse time
  the plain form is enough. The portable test for a non-finite value serves
  on every engine (DuckDB's isfinite() would not transpile, and these tables
  are small).
-#}
{% test negsample_expression_is_true(model, expression) %}
  {%- set columns = adapter.get_columns_in_relation(model) if execute else [] -%}
with checked_rows as (
    {%- if columns | length > 0 %}
    select
        {%- for column in columns %}
        {%- set name = adapter.quote(column.name) %}
        {%- if column.is_float() %}
        case when {{ negsample.default___is_not_finite(name) }} then null else {{ name }} end as {{ name }}
        {%- else %}
        {{ name }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
    {%- else %}
    select * from {{ model }}
    {%- endif %}
)

select *
from checked_rows
where not coalesce(({{ expression }}), false)
{% endtest %}
