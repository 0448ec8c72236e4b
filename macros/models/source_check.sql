{#-
  <design>_source_check, one row: the first model of a design and its first
  pass over the source. Compiling it checks the source (_validate_source),
  and under a frozen design the settings against the stored ones; a failure
  stops the build before any of the design's relations is replaced. The row
  keeps what that pass counted (class counts, the pilot's rate rho0, the
  means that impute NULL features) so that no later model counts again, and
  the design's settings as JSON for the Python models.
-#}
{% macro _model_source_check(cfg) -%}
  {%- set source_relation = negsample._source_relation(cfg) -%}
  {%- set checked = negsample._validate_source(source_relation, cfg) -%}
  {%- set frozen = negsample._frozen_parameters(cfg) -%}
  {%- set double = negsample._double() -%}
  {%- set bigint = dbt.type_bigint() -%}
  {#- Before run time (parsing) `checked` is none and the values are placeholders. -#}
select
    cast({{ (checked['n_rows'] | int) if checked else 0 }} as {{ bigint }}) as n_rows,
    cast({{ (checked['n_positive'] | int) if checked else 0 }} as {{ bigint }}) as n_positive,
    cast({{ (checked['n_negative'] | int) if checked else 0 }} as {{ bigint }}) as n_negative,
    {#- The largest integer id (null for other ids): a frozen design counts the rows above it as new. #}
    cast({{ (checked['id_max'] | int) if checked and checked.get('id_max') is not none else 'null' }} as {{ bigint }}) as id_max,
    {#- rho0 = min(1, pilot_ratio * N1 / N0), in DOUBLE arithmetic on every engine. #}
    least(
        1.0,
        {{ negsample._as_double(cfg.pilot_ratio) }}
        * cast({{ (checked['n_positive'] | int) if checked else 1 }} as {{ double }})
        / cast({{ (checked['n_negative'] | int) if checked else 1 }} as {{ double }})
    ) as pilot_rate,
    {%- for name in cfg.numeric_features %}
    {#- The mean that fills a NULL of this feature: the frozen design's, or this build's. #}
    {%- set mean = (frozen['impute_mean_' ~ loop.index0] if frozen else (checked['mean_' ~ loop.index0] if checked else none)) %}
    {{ negsample._as_double(mean | float) if mean is not none else 'cast(null as ' ~ double ~ ')' }} as impute_mean_{{ loop.index0 }},
    {%- endfor %}
    {{ 'true' if frozen else 'false' }} as is_frozen_design,
    {{ negsample._string_literal(tojson(negsample._python_settings(cfg))) }} as settings
{%- endmacro %}
