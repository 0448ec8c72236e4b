{#-
  Every setting of a design, read once, normalised and checked, as one dict.

  A design is either the default design, named `negsample`, whose settings
  are the flat vars `negsample:<setting>`, or a named design declared under
  the var `negsample:designs` (`{name: {setting: value}}`). A setting left
  out takes the package default (_defaults), never another design's value.
  Every model, SQL or Python, reads its design's settings here (the Python
  models read them as JSON from <design>_source_check), so a value means the
  same thing everywhere, and a bad value stops dbt at parse time, before any
  model is built or replaced, with a message that names the var.
-#}

{#- The package default of every setting. The demo source is the default only
    where this package is the root project (its own `dbt build`). -#}
{% macro _defaults(design) -%}
  {{ return({
    'source': ('demo_events' if design == 'negsample' and project_name == 'negsample' else none),
    'id_column': 'id',
    'label_column': 'label',
    'numeric_features': ['tenure_months', 'balance', 'is_mobile', 'sessions_30d'],
    'categorical_features': ['channel'],
    'passthrough_columns': [],
    'sampling_rate': 0.05,
    'pilot_ratio': 1,
    'score': 'a_optimal',
    'objective': 'scores',
    'floor': 0.1,
    'budget': 'paper',
    'seed': 42,
    'pilot_score_column': none,
    'fit_engine': 'auto',
    'freeze_design': false,
    'recalibrate_intercept': true,
    'reuse_pilot': true,
    'max_levels': 100,
    'scale_sample_size': 200000,
    'null_features': 'error',
    'pilot_coefficients': none,
    'pilot_information': none,
    'final_coefficients': none,
  }) }}
{%- endmacro %}

{#- How an error names a setting: the flat var, or the design's entry. -#}
{% macro _setting_label(design, name) -%}
  {%- if design == 'negsample' -%}
    {{ return("var 'negsample:" ~ name ~ "'") }}
  {%- endif -%}
  {{ return("setting '" ~ name ~ "' of design '" ~ design ~ "' (var 'negsample:designs')") }}
{%- endmacro %}

{#- Stop with a message that says it comes from negsample. -#}
{% macro _fail(message) -%}
  {{ exceptions.raise_compiler_error("negsample: " ~ message) }}
{%- endmacro %}

{#-
  Stop on a bad setting. dbt checks settings as it parses the project and
  names whichever model it parsed first; the message says that the setting
  is the project's, and that nothing was built.
-#}
{% macro _setting_fail(message) -%}
  {{ negsample._fail(message ~ ". This is a setting of your project (dbt names the first model it parsed with it); dbt stopped before building anything, for every design") }}
{%- endmacro %}

{#-
  The negsample: vars that name no setting: every such var given on the
  command line (--vars), and every var of the project one edit (a letter
  left out, added, changed or two swapped) from a setting's name, which is
  how a setting is misspelled. dbt lists no var by name to a package, so a
  name further off cannot be told from a var of the user's own.
-#}
{% macro _unknown_vars() -%}
  {%- set known = negsample._defaults('negsample').keys() | list + ['designs'] -%}
  {%- set unknown = [] -%}
  {%- set given = invocation_args_dict.get('vars') or {} -%}
  {%- if given is string -%}{%- set given = fromyaml(given) or {} -%}{%- endif -%}
  {%- for name in given.keys() if name is string and name.startswith('negsample:') and name[10:] not in known -%}
    {%- do unknown.append(name) -%}
  {%- endfor -%}
  {%- set letters = 'abcdefghijklmnopqrstuvwxyz_' -%}
  {%- for setting in known -%}
    {%- set near = [] -%}
    {%- for i in range(setting | length + 1) -%}
      {%- if i < setting | length -%}
        {%- do near.append(setting[:i] ~ setting[i + 1:]) -%}
        {%- if i + 1 < setting | length %}{% do near.append(setting[:i] ~ setting[i + 1] ~ setting[i] ~ setting[i + 2:]) %}{% endif -%}
      {%- endif -%}
      {%- for letter in letters -%}
        {%- do near.append(setting[:i] ~ letter ~ setting[i:]) -%}
        {%- if i < setting | length %}{% do near.append(setting[:i] ~ letter ~ setting[i + 1:]) %}{% endif -%}
      {%- endfor -%}
    {%- endfor -%}
    {%- for name in near if name not in known and var.has_var('negsample:' ~ name) and ('negsample:' ~ name) not in unknown -%}
      {%- do unknown.append('negsample:' ~ name) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(unknown | sort) }}
{%- endmacro %}

{#- Stop when a negsample: var names no setting (_unknown_vars), listing the settings. -#}
{% macro _check_var_names() -%}
  {%- set unknown = negsample._unknown_vars() -%}
  {%- if unknown -%}
    {{ negsample._setting_fail("unknown var" ~ ('s ' if unknown | length > 1 else ' ') ~ (unknown | join(', ')) ~ "; the negsample: vars are negsample:designs and negsample:<setting>, the settings being: " ~ (negsample._defaults('negsample').keys() | sort | join(', '))) }}
  {%- endif -%}
{%- endmacro %}

{#- The declared named designs, {name: settings}, checked. -#}
{% macro _declared_designs() -%}
  {%- set designs = var('negsample:designs', none) -%}
  {%- if designs is none -%}{{ return({}) }}{%- endif -%}
  {%- if designs is not mapping -%}
    {{ negsample._setting_fail("var 'negsample:designs' is " ~ designs ~ "; expected a mapping of design names to their settings") }}
  {%- endif -%}
  {%- for name, settings in designs.items() -%}
    {%- if name is not string or not modules.re.match('^[a-z_][a-z0-9_]*$', name) -%}
      {{ negsample._setting_fail("var 'negsample:designs' declares the design '" ~ name ~ "'; a design's name must be a lowercase identifier (a-z, 0-9 and _, not starting with a digit)") }}
    {%- endif -%}
    {%- if name == 'negsample' -%}
      {{ negsample._setting_fail("var 'negsample:designs' declares a design named 'negsample', the name of the default design (set by the flat vars negsample:<setting>); choose another name") }}
    {%- endif -%}
    {%- if settings is not none and settings is not mapping -%}
      {{ negsample._setting_fail("var 'negsample:designs' gives design '" ~ name ~ "' the value " ~ settings ~ "; expected a mapping of settings") }}
    {%- endif -%}
  {%- endfor -%}
  {{ return(designs) }}
{%- endmacro %}

{#- Whether a design is built: the default design when it has a source, a named design when declared. -#}
{% macro _design_declared(design) -%}
  {%- if design == 'negsample' -%}
    {{ return(var('negsample:source', negsample._defaults(design).source) is not none) }}
  {%- endif -%}
  {{ return(design in negsample._declared_designs()) }}
{%- endmacro %}

{#- The raw settings of a design before normalisation: given values over the defaults. -#}
{% macro _raw_settings(design) -%}
  {%- set defaults = negsample._defaults(design) -%}
  {%- set raw = {} -%}
  {%- if design == 'negsample' -%}
    {%- for name, default in defaults.items() -%}
      {%- do raw.update({name: var('negsample:' ~ name, default)}) -%}
    {%- endfor -%}
    {{ return(raw) }}
  {%- endif -%}
  {%- set designs = negsample._declared_designs() -%}
  {%- if design not in designs -%}
    {{ negsample._setting_fail("design '" ~ design ~ "' has models in this project (written by `negsample add-design " ~ design ~ "`) but is not declared in var 'negsample:designs'; declare it there with its settings, or delete its model files") }}
  {%- endif -%}
  {%- set given = designs[design] or {} -%}
  {%- set unknown = given.keys() | reject('in', defaults.keys()) | list -%}
  {%- if unknown -%}
    {{ negsample._setting_fail("design '" ~ design ~ "' (var 'negsample:designs') has unknown settings: " ~ (unknown | sort | join(', ')) ~ "; the settings are: " ~ (defaults.keys() | sort | join(', '))) }}
  {%- endif -%}
  {%- for name, default in defaults.items() -%}
    {%- do raw.update({name: given.get(name, default)}) -%}
  {%- endfor -%}
  {{ return(raw) }}
{%- endmacro %}

{#- A list setting: a YAML list, a single name (a one-element list), or null (empty). -#}
{% macro _as_list(design, name, value) -%}
  {%- if value is none -%}{{ return([]) }}{%- endif -%}
  {%- if value is string -%}{{ return([value]) }}{%- endif -%}
  {%- if value is mapping or value is not iterable -%}
    {{ negsample._setting_fail(negsample._setting_label(design, name) ~ " is " ~ value ~ "; expected a list of column names") }}
  {%- endif -%}
  {{ return(value | list) }}
{%- endmacro %}

{#- A number setting (not a boolean). -#}
{% macro _as_number(design, name, value) -%}
  {%- if value is not number or value is boolean -%}
    {{ negsample._setting_fail(negsample._setting_label(design, name) ~ " is '" ~ value ~ "'; expected a number") }}
  {%- endif -%}
  {{ return(value | float) }}
{%- endmacro %}

{#- A boolean setting: a YAML boolean, or the text true / false in any case. -#}
{% macro _as_boolean(design, name, value) -%}
  {%- if value is boolean -%}{{ return(value) }}{%- endif -%}
  {%- if value is string and (value | lower) in ['true', 'false'] -%}
    {{ return((value | lower) == 'true') }}
  {%- endif -%}
  {{ negsample._setting_fail(negsample._setting_label(design, name) ~ " is '" ~ value ~ "'; expected true or false") }}
{%- endmacro %}

{#- A setting that takes one of `allowed`. -#}
{% macro _as_choice(design, name, value, allowed) -%}
  {%- if value not in allowed -%}
    {{ negsample._setting_fail(negsample._setting_label(design, name) ~ " is '" ~ value ~ "'; expected one of " ~ (allowed | join(', '))) }}
  {%- endif -%}
  {{ return(value) }}
{%- endmacro %}

{#- A relation setting: null, or the name of a model or seed of the project. -#}
{% macro _as_relation_name(design, name, value) -%}
  {%- if value is none -%}{{ return(none) }}{%- endif -%}
  {%- if value is not string or not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', value) -%}
    {{ negsample._setting_fail(negsample._setting_label(design, name) ~ " is '" ~ value ~ "'; expected the name of a model or seed") }}
  {%- endif -%}
  {{ return(value) }}
{%- endmacro %}

{#-
  The source: `name` (a model or seed of the root project) or
  `source:source_name.table_name` (a dbt source), returned as
  {'kind': 'ref' | 'source', 'name': ..., 'source_name': ...}.
-#}
{% macro _as_source(design, value) -%}
  {%- set label = negsample._setting_label(design, 'source') -%}
  {%- if value is none -%}
    {{ negsample._setting_fail(label ~ " is not set; name the model or seed to sample, or a dbt source as source:<source_name>.<table_name>") }}
  {%- endif -%}
  {%- set identifier = '[A-Za-z_][A-Za-z0-9_]*' -%}
  {%- if value is string and modules.re.match('^' ~ identifier ~ '$', value) -%}
    {{ return({'kind': 'ref', 'name': value, 'source_name': none, 'text': value}) }}
  {%- endif -%}
  {%- set match = modules.re.match('^source:(' ~ identifier ~ ')\\.(' ~ identifier ~ ')$', value) if value is string else none -%}
  {%- if match -%}
    {{ return({'kind': 'source', 'name': match.group(2), 'source_name': match.group(1), 'text': value}) }}
  {%- endif -%}
  {{ negsample._setting_fail(label ~ " is '" ~ value ~ "'; expected the name of a model or seed, or source:<source_name>.<table_name> for a dbt source") }}
{%- endmacro %}

{#-
  The normalised settings of `design`, checked. For the default design
  without a source only {'design': 'negsample', 'enabled': false} comes
  back: its models are disabled. A named design must be declared (its model
  files exist, so its absence from the var is a mistake to name).
-#}
{% macro _config(design) -%}
  {#- The designs var is checked by every design's models, the default one's too. -#}
  {%- do negsample._declared_designs() -%}
  {%- if design == 'negsample' and not negsample._design_declared(design) -%}
    {{ return({'design': design, 'enabled': false}) }}
  {%- endif -%}
  {%- set raw = negsample._raw_settings(design) -%}
  {%- set label = negsample._setting_label -%}
  {%- set cfg = {
    'design': design,
    'enabled': true,
    'source': negsample._as_source(design, raw.source),
    'id_column': raw.id_column,
    'label_column': raw.label_column,
    'numeric_features': negsample._as_list(design, 'numeric_features', raw.numeric_features),
    'categorical_features': negsample._as_list(design, 'categorical_features', raw.categorical_features),
    'passthrough_columns': negsample._as_list(design, 'passthrough_columns', raw.passthrough_columns),
    'sampling_rate': negsample._as_number(design, 'sampling_rate', raw.sampling_rate),
    'pilot_ratio': negsample._as_number(design, 'pilot_ratio', raw.pilot_ratio),
    'floor': negsample._as_number(design, 'floor', raw.floor),
    'score': negsample._as_choice(design, 'score', raw.score, negsample._score_modes() + ['auto']),
    'objective': negsample._as_choice(design, 'objective', raw.objective, ['scores', 'coefficients']),
    'budget': negsample._as_choice(design, 'budget', raw.budget, ['paper', 'exact']),
    'null_features': negsample._as_choice(design, 'null_features', raw.null_features, ['error', 'impute_mean']),
    'fit_engine': negsample._fit_engine(design, negsample._as_choice(design, 'fit_engine', raw.fit_engine, ['auto', 'python', 'sql'])),
    'freeze_design': negsample._as_boolean(design, 'freeze_design', raw.freeze_design),
    'recalibrate_intercept': negsample._as_boolean(design, 'recalibrate_intercept', raw.recalibrate_intercept),
    'reuse_pilot': negsample._as_boolean(design, 'reuse_pilot', raw.reuse_pilot),
    'pilot_score_column': raw.pilot_score_column,
    'pilot_coefficients': negsample._as_relation_name(design, 'pilot_coefficients', raw.pilot_coefficients),
    'pilot_information': negsample._as_relation_name(design, 'pilot_information', raw.pilot_information),
    'final_coefficients': negsample._as_relation_name(design, 'final_coefficients', raw.final_coefficients),
  } -%}

  {%- if not (cfg.sampling_rate > 0 and cfg.sampling_rate <= 1) -%}
    {{ negsample._setting_fail(label(design, 'sampling_rate') ~ " is " ~ cfg.sampling_rate ~ "; it must be in (0, 1]") }}
  {%- endif -%}
  {%- if not (cfg.pilot_ratio > 0) -%}
    {{ negsample._setting_fail(label(design, 'pilot_ratio') ~ " is " ~ cfg.pilot_ratio ~ "; it must be > 0") }}
  {%- endif -%}
  {%- if not (cfg.floor >= 0 and cfg.floor <= 1) -%}
    {{ negsample._setting_fail(label(design, 'floor') ~ " is " ~ cfg.floor ~ "; it must be in [0, 1]") }}
  {%- endif -%}
  {%- if raw.seed is not number or raw.seed is boolean or (raw.seed | int) != raw.seed -%}
    {{ negsample._setting_fail(label(design, 'seed') ~ " is " ~ raw.seed ~ "; it must be an integer") }}
  {%- endif -%}
  {%- do cfg.update({'seed': raw.seed | int}) -%}
  {%- if raw.max_levels is not number or raw.max_levels is boolean or (raw.max_levels | int) != raw.max_levels or raw.max_levels < 2 -%}
    {{ negsample._setting_fail(label(design, 'max_levels') ~ " is " ~ raw.max_levels ~ "; it must be an integer >= 2") }}
  {%- endif -%}
  {%- do cfg.update({'max_levels': raw.max_levels | int}) -%}
  {%- if raw.scale_sample_size is not number or raw.scale_sample_size is boolean or (raw.scale_sample_size | int) != raw.scale_sample_size or raw.scale_sample_size < 1 -%}
    {{ negsample._setting_fail(label(design, 'scale_sample_size') ~ " is " ~ raw.scale_sample_size ~ "; it must be a positive integer (negatives drawn to estimate w and the scale)") }}
  {%- endif -%}
  {%- do cfg.update({'scale_sample_size': raw.scale_sample_size | int}) -%}
  {%- if (cfg.numeric_features | length) + (cfg.categorical_features | length) == 0 -%}
    {{ negsample._setting_fail(label(design, 'numeric_features') ~ " and " ~ label(design, 'categorical_features') ~ " are both empty; list at least one feature") }}
  {%- endif -%}

  {#- Every column name must be a plain identifier: it is quoted everywhere, and
      anything else (e.g. `b); drop table x; --`) is refused outright. -#}
  {%- set named = [('id_column', cfg.id_column), ('label_column', cfg.label_column)] -%}
  {%- for name in cfg.numeric_features %}{% do named.append(('numeric_features', name)) %}{% endfor -%}
  {%- for name in cfg.categorical_features %}{% do named.append(('categorical_features', name)) %}{% endfor -%}
  {%- if cfg.pilot_score_column is not none -%}
    {%- do named.append(('pilot_score_column', cfg.pilot_score_column)) -%}
  {%- endif -%}
  {%- set seen = {} -%}
  {%- for setting, column in named -%}
    {%- if column is not string or not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', column) -%}
      {{ negsample._setting_fail(label(design, setting) ~ " names the column '" ~ column ~ "', which is not a plain identifier (letters, digits and _, not starting with a digit)") }}
    {%- endif -%}
    {%- if (column | lower) in seen and setting != 'pilot_score_column' -%}
      {{ negsample._setting_fail("column '" ~ column ~ "' is named by " ~ label(design, setting) ~ " and again by " ~ label(design, seen[column | lower]) ~ "; each column may play one role once") }}
    {%- endif -%}
    {%- do seen.update({column | lower: setting}) -%}
  {%- endfor -%}
  {#- Passthrough columns are carried as they are: any column but the design's own. -#}
  {%- for column in cfg.passthrough_columns -%}
    {%- if column is not string or not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', column) -%}
      {{ negsample._setting_fail(label(design, 'passthrough_columns') ~ " names the column '" ~ column ~ "', which is not a plain identifier (letters, digits and _, not starting with a digit)") }}
    {%- endif -%}
    {%- if (column | lower) in seen -%}
      {{ negsample._setting_fail("column '" ~ column ~ "' is named by " ~ label(design, 'passthrough_columns') ~ " and again by " ~ label(design, seen[column | lower]) ~ "; a passthrough column is one the design does not already carry") }}
    {%- endif -%}
    {%- do seen.update({column | lower: 'passthrough_columns'}) -%}
  {%- endfor -%}

  {#-
    Where the pilot comes from. 'relation': coefficients the user provides.
    'python': the Python models fit it. 'none': the pilot_score_column gives
    p~ and the score needs no design vector, so there is nothing to fit.
    The Python models' `enabled` rule (their properties file) is the same.
  -#}
  {%- if cfg.pilot_coefficients -%}
    {%- do cfg.update({'pilot_source': 'relation'}) -%}
  {%- elif cfg.pilot_score_column and cfg.score in ['uniform', 'p'] -%}
    {%- do cfg.update({'pilot_source': 'none'}) -%}
  {%- else -%}
    {%- do cfg.update({'pilot_source': 'python'}) -%}
  {%- endif -%}
  {#- reuse_pilot reuses the pilot sample this design draws; with the pilot's
      coefficients or p~ given, none is drawn, and there is nothing to reuse. -#}
  {%- do cfg.update({'reuse_pilot': cfg.reuse_pilot and cfg.pilot_source == 'python'}) -%}
  {%- if cfg.score in ['a_optimal', 'logit_optimal', 'auto'] and cfg.pilot_source == 'relation' and not cfg.pilot_information -%}
    {{ negsample._setting_fail("score '" ~ cfg.score ~ "' needs the inverse pilot information matrix. With " ~ label(design, 'pilot_coefficients') ~ " set, the pilot is not fitted here: set " ~ label(design, 'pilot_information') ~ " to a model or seed with columns row_term, row_level, col_term, col_level, value") }}
  {%- endif -%}
  {{ return(cfg) }}
{%- endmacro %}

{#- The adapters whose dbt Python models run (the Python fit engine). -#}
{% macro _python_adapters() -%}
  {{ return(['duckdb', 'databricks', 'snowflake', 'bigquery']) }}
{%- endmacro %}

{#-
  The fit engine a setting resolves to on this target: 'python' (dbt Python
  models) or 'sql' (Newton steps as aggregates in the warehouse, macros/fit).
  `auto` is python where the adapter runs dbt Python models, sql elsewhere.
-#}
{% macro _fit_engine(design, setting) -%}
  {%- set runs_python = target.type in negsample._python_adapters() -%}
  {%- if setting == 'python' and not runs_python -%}
    {{ negsample._setting_fail(negsample._setting_label(design, 'fit_engine') ~ " is 'python', but this target's adapter (" ~ target.type ~ ") does not run dbt Python models (" ~ (negsample._python_adapters() | join(', ')) ~ " do); use auto or sql") }}
  {%- endif -%}
  {{ return('python' if setting == 'python' or (setting == 'auto' and runs_python) else 'sql') }}
{%- endmacro %}

{#- The settings the Python models read (as JSON, from <design>_source_check). -#}
{% macro _python_settings(cfg) -%}
  {{ return({
    'design': cfg.design,
    'id_column': cfg.id_column,
    'label_column': cfg.label_column,
    'numeric_features': cfg.numeric_features,
    'categorical_features': cfg.categorical_features,
    'score': cfg.score,
    'candidate_scores': negsample._candidate_scores(cfg),
    'freeze_design': cfg.freeze_design,
    'pilot_source': cfg.pilot_source,
    'final_source': ('relation' if cfg.final_coefficients else 'python'),
  }) }}
{%- endmacro %}

{#- A SQL string literal with its quotes doubled. -#}
{% macro _string_literal(value) -%}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
