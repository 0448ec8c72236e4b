{#-
  A frozen design whose table has drifted since it was estimated: the kept
  negatives more than `max_z` standard deviations from what the design kept
  per negative then, the base rate moved by more than `max_base_rate_change`
  (relative), or more than `max_new_share` of the rows new since the freeze.
  Returns the design's row when it drifted (an unknown figure counts as
  drifted), and logs what moved, with the remedy: the stored pilot then
  describes another table, and `dbt build --full-refresh` estimates the
  design again. For a design's table (<design>_design).
-#}
{% test negsample_design_drift(model, max_z=4, max_base_rate_change=0.25, max_new_share=0.5) %}
  {%- set drifted -%}
    not coalesce(
        abs(drift_z) <= {{ max_z }}
        and abs(base_rate / estimated_base_rate - 1) <= {{ max_base_rate_change }}
        and coalesce(new_rows, 0) <= {{ max_new_share }} * n_rows,
        false
    )
  {%- endset -%}
  {%- if execute -%}
    {%- set found = run_query("select base_rate, estimated_base_rate, new_rows, n_rows, drift_z from " ~ model ~ " where is_frozen_design and " ~ drifted) -%}
    {%- for row in found.rows -%}
      {%- set design = model.identifier | replace('_design', '') -%}
      {%- set new_share = ((row[2] / row[3]) if row[2] is not none else none) -%}
      {{ log("negsample: the frozen design '" ~ design ~ "' has drifted from the table it was estimated on: base rate "
          ~ ('%.4g' | format(row[1])) ~ " then, " ~ ('%.4g' | format(row[0])) ~ " now; "
          ~ (('%.0f%%' | format(100 * new_share)) if new_share is not none else "an unknown share") ~ " of the rows new since; kept negatives "
          ~ ('%+.1f' | format(row[4]) if row[4] is not none else 'unknown') ~ " sd from what the design kept then. "
          ~ "Run `dbt build --full-refresh` to estimate it again.", info=true) }}
    {%- endfor -%}
  {%- endif %}
select
    base_rate,
    estimated_base_rate,
    new_rows,
    n_rows,
    drift_z
from {{ model }}
where is_frozen_design and {{ drifted }}
{% endtest %}
