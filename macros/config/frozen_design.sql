{#-
  A frozen design (setting freeze_design) keeps the parameters of the draw
  between builds: the pilot coefficients and M~^-1 (<design>_pilot_coefficients),
  the scale, w, the imputation means and the design key
  (<design>_sampling_scale). Nothing per row is stored: every build recomputes
  every current row's pi and keep flag from these parameters and the seeded
  uniform. `dbt build --full-refresh` estimates them again.
-#}

{#-
  The settings that define a sampling design, as "name=value; ..." text. A
  frozen design stores it, and a later build with other values stops and
  asks for a full refresh. The relations of a pilot fitted elsewhere
  (pilot_coefficients, pilot_information) enter it only when set, so the key
  of a design that fits its own pilot does not name them.
-#}
{% macro _design_key(cfg) -%}
  {%- set parts = [] -%}
  {%- set only_when_set = ['pilot_coefficients', 'pilot_information'] -%}
  {%- for name in ['source', 'id_column', 'label_column', 'numeric_features', 'categorical_features',
                   'sampling_rate', 'pilot_ratio', 'score', 'objective', 'floor', 'budget', 'seed',
                   'pilot_score_column', 'null_features', 'reuse_pilot', 'scale_sample_size',
                   'recalibrate_intercept'] + only_when_set -%}
    {%- set value = cfg[name].text if name == 'source' else cfg[name] -%}
    {%- if value is not none or name not in only_when_set -%}
      {%- do parts.append(name ~ '=' ~ (value | join(',') if value is iterable and value is not string else value)) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(parts | join('; ')) }}
{%- endmacro %}

{#-
  'estimate' when this build estimates the design's parameters, 'reuse' when
  a frozen design's stored parameters serve instead. Only at run time; a
  half-stored design (one of its two tables missing) stops the build at its
  source check, the first model, which sees the stores as the last build
  left them. A later model sees what this build has written so far: an
  estimating build writes the pilot store before the score choice and the
  scale, so there the scale store, written last, decides.
-#}
{% macro _frozen_state(cfg) -%}
  {%- if not execute or not cfg.freeze_design or flags.FULL_REFRESH -%}{{ return('estimate') }}{%- endif -%}
  {%- set pilot = negsample._stored_relation(cfg, 'pilot_coefficients') -%}
  {%- set scale = negsample._stored_relation(cfg, 'sampling_scale') -%}
  {%- if pilot is none and scale is none -%}{{ return('estimate') }}{%- endif -%}
  {%- if scale is none and model.name != cfg.design ~ '_source_check' -%}{{ return('estimate') }}{%- endif -%}
  {%- if pilot is none or scale is none -%}
    {{ negsample._fail("the frozen design of '" ~ cfg.design ~ "' is incomplete: " ~ cfg.design ~ "_" ~ ('pilot_coefficients' if pilot is none else 'sampling_scale') ~ " is missing; run `dbt build --full-refresh` to estimate it again") }}
  {%- endif -%}
  {{ return('reuse') }}
{%- endmacro %}

{#-
  The stored parameters of a frozen design that the source check needs
  (design key, imputation means), as a dict, or none when this build
  estimates them. Stops the build when the settings no longer match the
  stored design, naming each changed setting with its old and new value.
-#}
{% macro _frozen_parameters(cfg) -%}
  {%- if negsample._frozen_state(cfg) != 'reuse' -%}{{ return(none) }}{%- endif -%}
  {%- set scale = negsample._stored_relation(cfg, 'sampling_scale') -%}
  {%- set rows = run_query('select * from ' ~ scale).rows -%}
  {#- Tables a build without freeze_design wrote are not a stored design:
      they are replaced only by a full refresh, which estimates one. -#}
  {%- if rows | length != 1 or 'is_frozen_store' not in rows[0].keys() or not rows[0]['is_frozen_store'] -%}
    {{ negsample._fail("design '" ~ cfg.design ~ "' has the setting freeze_design (" ~ negsample._setting_label(cfg.design, 'freeze_design') ~ ") but its tables were built without it, so no design is stored yet; run `dbt build --full-refresh` once to estimate and store it (later builds then reuse it)") }}
  {%- endif -%}
  {%- set row = rows[0] -%}
  {%- set old_key = row['design_key'] -%}
  {%- set new_key = negsample._design_key(cfg) -%}
  {%- if old_key != new_key -%}
    {#- Each setting whose value differs, a setting absent from one key (unset) included. -#}
    {%- set old_values, new_values, names = {}, {}, [] -%}
    {%- for key, values in [(new_key, new_values), (old_key, old_values)] -%}
      {%- for part in key.split('; ') -%}
        {%- set name = part.split('=', 1)[0] -%}
        {%- do values.update({name: part.split('=', 1)[1]}) -%}
        {%- if name not in names -%}{%- do names.append(name) -%}{%- endif -%}
      {%- endfor -%}
    {%- endfor -%}
    {%- set changed = [] -%}
    {%- for name in names if old_values.get(name) != new_values.get(name) -%}
      {%- do changed.append(name ~ ': ' ~ old_values.get(name, 'none') ~ ' -> ' ~ new_values.get(name, 'none')) -%}
    {%- endfor -%}
    {{ negsample._fail("the design '" ~ cfg.design ~ "' was frozen (" ~ negsample._setting_label(cfg.design, 'freeze_design') ~ ") with other settings (" ~ changed | join('; ') ~ "); run `dbt build --full-refresh` to estimate it again, or set them back") }}
  {%- endif -%}
  {{ return(row) }}
{%- endmacro %}
