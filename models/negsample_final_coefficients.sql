{{ config(materialized='view') }}
{#-
  The final coefficients ('final', and 'ipw' when present) that
  negsample_scored and negsample_coefficients read: the Python final fit, or
  the relation named by `negsample:final_coefficients` (fitted elsewhere, e.g.
  with negsample.fit on an export of negsample_sample).
-#}
{%- set cfg = negsample._config() -%}

{%- if cfg.final_coefficients %}
{{ negsample._coefficient_rows(ref(cfg.final_coefficients), ['final', 'ipw']) }}
{%- else %}
{{ negsample._coefficient_rows(ref('negsample_final_model'), ['final', 'ipw']) }}
{%- endif %}
