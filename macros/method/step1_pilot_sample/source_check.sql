{#-
  <design>_source_check, one row: the first model of a design and its first
  pass over the source (docs/method.md, Passes over the source). Compiling
  it checks the source (_validate_source), and under a frozen design the
  settings against the stored ones; a failure stops the build before any
  of the design's relations is replaced. The row keeps what that pass
  counted (class counts, the pilot's rate rho0 and the scale sample's rate,
  the means that impute NULL features, the imputed values and, under a
  frozen design, the rows new since it was estimated) so that no later
  model counts again, and the design's settings as JSON for the Python
  models.
-#}
{% macro _model_source_check(cfg) -%}
  {%- do negsample._check_var_names() -%}
  {%- set source_relation = negsample._source_relation(cfg) -%}
  {%- set frozen = negsample._frozen_parameters(cfg) -%}
  {%- set checked = negsample._validate_source(source_relation, cfg, frozen) -%}
  {%- set double = negsample._double() -%}
  {%- set bigint = dbt.type_bigint() -%}
  {#- Before run time (parsing) `checked` is none and the values are placeholders. -#}
  {#- rho0 = min(1, pilot_ratio * N1 / N0), in DOUBLE arithmetic on every engine. -#}
  {%- set rho0 -%}
    least(
        1.0,
        {{ negsample._as_double(cfg.pilot_ratio) }}
        * cast({{ (checked['n_positive'] | int) if checked else 1 }} as {{ double }})
        / cast({{ (checked['n_negative'] | int) if checked else 1 }} as {{ double }})
    )
  {%- endset -%}
select
    cast({{ (checked['n_rows'] | int) if checked else 0 }} as {{ bigint }}) as n_rows,
    cast({{ (checked['n_positive'] | int) if checked else 0 }} as {{ bigint }}) as n_positive,
    cast({{ (checked['n_negative'] | int) if checked else 0 }} as {{ bigint }}) as n_negative,
    {#- The largest integer id (null for other ids): a frozen design counts the rows above it as new. #}
    cast({{ (checked['id_max'] | int) if checked and checked.get('id_max') is not none else 'null' }} as {{ bigint }}) as id_max,
    {{ rho0 }} as pilot_rate,
    {#- rho_s = min(1, max(rho0, scale_sample_size / N0)): the pilot pass keeps
        the negatives whose 'pilot' uniform is below it, a uniform draw that
        holds the pilot's own (docs/method.md step 4). #}
    least(
        1.0,
        greatest(
            {{ rho0 }},
            cast({{ cfg.scale_sample_size }} as {{ double }})
            / cast({{ (checked['n_negative'] | int) if checked else 1 }} as {{ double }})
        )
    ) as scale_rate,
    {%- for name in cfg.numeric_features %}
    {#- The mean that fills a NULL of this feature: the frozen design's, or this build's. #}
    {%- set mean = (frozen['impute_mean_' ~ loop.index0] if frozen else (checked['mean_' ~ loop.index0] if checked else none)) %}
    {{ negsample._as_double(mean | float) if mean is not none else 'cast(null as ' ~ double ~ ')' }} as impute_mean_{{ loop.index0 }},
    {%- endfor %}
    {#- NULLs that took the mean (impute_mean), and integer ids above the
        largest one when a frozen design was estimated (null without one). #}
    cast({{ (checked['imputed_values'] | int) if checked else 0 }} as {{ bigint }}) as n_imputed_values,
    cast({{ (checked['new_rows'] | int) if checked and checked.get('new_rows') is not none else 'null' }} as {{ bigint }}) as n_new_rows,
    {{ 'true' if frozen else 'false' }} as is_frozen_design,
    {{ negsample._string_literal(tojson(negsample._python_settings(cfg))) }} as settings
{%- endmacro %}
