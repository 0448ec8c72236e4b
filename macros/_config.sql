{#-
  The package's vars, read once and checked, as one dict. Every model reads
  its settings here so that a var means the same thing everywhere, and a bad
  var stops dbt at parse time, before any model is built or replaced.
-#}
{% macro _config() -%}
  {%- set score = var('negsample:score') -%}
  {%- set budget = var('negsample:budget') -%}
  {%- set numeric = negsample._list_var('negsample:numeric_features') -%}
  {%- set categorical = negsample._list_var('negsample:categorical_features') -%}
  {%- set id_column = var('negsample:id_column') -%}
  {%- set label_column = var('negsample:label_column') -%}
  {%- set rate = negsample._number_var('negsample:sampling_rate') -%}
  {%- set floor = negsample._number_var('negsample:floor') -%}
  {%- set pilot_ratio = negsample._number_var('negsample:pilot_ratio') -%}
  {%- set seed = var('negsample:seed') -%}
  {%- set max_levels = var('negsample:max_levels') -%}
  {%- set null_policy = var('negsample:null_features') -%}

  {%- if not (rate > 0 and rate <= 1) -%}
    {{ negsample._fail("var 'negsample:sampling_rate' is " ~ rate ~ "; it must be in (0, 1]") }}
  {%- endif -%}
  {%- if not (pilot_ratio > 0) -%}
    {{ negsample._fail("var 'negsample:pilot_ratio' is " ~ pilot_ratio ~ "; it must be > 0") }}
  {%- endif -%}
  {%- if not (floor >= 0 and floor <= 1) -%}
    {{ negsample._fail("var 'negsample:floor' is " ~ floor ~ "; it must be in [0, 1]") }}
  {%- endif -%}
  {%- if score not in ['uniform', 'p', 'l_optimal', 'a_optimal'] -%}
    {{ negsample._fail("var 'negsample:score' is '" ~ score ~ "'; expected one of uniform, p, l_optimal, a_optimal") }}
  {%- endif -%}
  {%- if budget not in ['paper', 'exact'] -%}
    {{ negsample._fail("var 'negsample:budget' is '" ~ budget ~ "'; expected paper or exact") }}
  {%- endif -%}
  {%- if seed is not number or seed is boolean or (seed | int) != seed -%}
    {{ negsample._fail("var 'negsample:seed' is " ~ seed ~ "; it must be an integer") }}
  {%- endif -%}
  {%- if max_levels is not number or (max_levels | int) != max_levels or max_levels < 2 -%}
    {{ negsample._fail("var 'negsample:max_levels' is " ~ max_levels ~ "; it must be an integer >= 2") }}
  {%- endif -%}
  {%- if null_policy not in ['error', 'impute_mean'] -%}
    {{ negsample._fail("var 'negsample:null_features' is '" ~ null_policy ~ "'; expected error or impute_mean") }}
  {%- endif -%}
  {%- if (numeric | length) + (categorical | length) == 0 -%}
    {{ negsample._fail("vars 'negsample:numeric_features' and 'negsample:categorical_features' are both empty; list at least one feature") }}
  {%- endif -%}

  {#- Every column name must be a plain identifier: it is quoted everywhere, and
      anything else (e.g. `b); drop table x; --`) is refused outright. -#}
  {%- set named = [('negsample:id_column', id_column), ('negsample:label_column', label_column)] -%}
  {%- for name in numeric %}{% do named.append(('negsample:numeric_features', name)) %}{% endfor -%}
  {%- for name in categorical %}{% do named.append(('negsample:categorical_features', name)) %}{% endfor -%}
  {%- if var('negsample:pilot_score_column') -%}
    {%- do named.append(('negsample:pilot_score_column', var('negsample:pilot_score_column'))) -%}
  {%- endif -%}
  {%- set seen = {} -%}
  {%- for var_name, column in named -%}
    {%- if column is not string or not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', column) -%}
      {{ negsample._fail("var '" ~ var_name ~ "' names the column '" ~ column ~ "', which is not a plain identifier (letters, digits and _, not starting with a digit)") }}
    {%- endif -%}
    {%- if (column | lower) in seen and var_name != 'negsample:pilot_score_column' -%}
      {{ negsample._fail("column '" ~ column ~ "' is named by var '" ~ var_name ~ "' and again by var '" ~ seen[column | lower] ~ "'; each column may play one role once") }}
    {%- endif -%}
    {%- do seen.update({column | lower: var_name}) -%}
  {%- endfor -%}

  {%- set pilot_coefficients = var('negsample:pilot_coefficients', none) -%}
  {%- set pilot_information = var('negsample:pilot_information', none) -%}
  {%- set pilot_score_column = var('negsample:pilot_score_column', none) -%}
  {#-
    Where the pilot comes from. 'relation': coefficients the user provides.
    'python': the Python models fit it. 'none': the pilot_score_column gives
    p~ and the score needs no design vector, so there is nothing to fit.
    python_models/schema.yml enables the Python pilot models by the same rule.
  -#}
  {%- if pilot_coefficients -%}
    {%- set pilot_source = 'relation' -%}
  {%- elif pilot_score_column and score in ['uniform', 'p'] -%}
    {%- set pilot_source = 'none' -%}
  {%- else -%}
    {%- set pilot_source = 'python' -%}
  {%- endif -%}
  {%- if score == 'a_optimal' and pilot_source == 'relation' and not pilot_information -%}
    {{ negsample._fail("score 'a_optimal' needs the inverse pilot information matrix. With 'negsample:pilot_coefficients' set, the Python model negsample_pilot_information does not run: set 'negsample:pilot_information' to a model or seed with columns row_term, row_level, col_term, col_level, value") }}
  {%- endif -%}
  {{ return({
    'source': var('negsample:source'),
    'id_column': id_column,
    'label_column': label_column,
    'numeric_features': numeric,
    'categorical_features': categorical,
    'sampling_rate': rate,
    'pilot_ratio': pilot_ratio,
    'score': score,
    'floor': floor,
    'budget': budget,
    'seed': seed | int,
    'pilot_score_column': pilot_score_column,
    'recalibrate_intercept': var('negsample:recalibrate_intercept') in [true, 'true', 'True', 1],
    'max_levels': max_levels | int,
    'null_features': null_policy,
    'freeze_design': var('negsample:freeze_design') in [true, 'true', 'True', 1],
    'pilot_coefficients': pilot_coefficients,
    'pilot_information': pilot_information,
    'final_coefficients': var('negsample:final_coefficients', none),
    'pilot_source': pilot_source,
  }) }}
{%- endmacro %}

{#- Stop with a message that says it comes from negsample. -#}
{% macro _fail(message) -%}
  {{ exceptions.raise_compiler_error("negsample: " ~ message) }}
{%- endmacro %}

{#- A var that must be a list (a YAML list, or a single name). -#}
{% macro _list_var(name) -%}
  {%- set value = var(name) -%}
  {%- if value is none -%}{{ return([]) }}{%- endif -%}
  {%- if value is string -%}{{ return([value]) }}{%- endif -%}
  {%- if value is not iterable or value is mapping -%}
    {{ negsample._fail("var '" ~ name ~ "' is " ~ value ~ "; expected a list of column names") }}
  {%- endif -%}
  {{ return(value | list) }}
{%- endmacro %}

{#- A var that must be a number. -#}
{% macro _number_var(name) -%}
  {%- set value = var(name) -%}
  {%- if value is not number or value is boolean -%}
    {{ negsample._fail("var '" ~ name ~ "' is '" ~ value ~ "'; expected a number") }}
  {%- endif -%}
  {{ return(value | float) }}
{%- endmacro %}

{#- A SQL string literal with its quotes doubled. -#}
{% macro _string_literal(value) -%}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#-
  The vars that define a sampling design, as "name=value; ..." text. A frozen
  design (negsample:freeze_design) stores it, and a later run with other
  values stops and asks for a full refresh.
-#}
{% macro _design_key(cfg) -%}
  {%- set parts = [] -%}
  {%- for name in ['source', 'id_column', 'label_column', 'numeric_features', 'categorical_features',
                   'sampling_rate', 'pilot_ratio', 'score', 'floor', 'budget', 'seed',
                   'pilot_score_column', 'null_features'] -%}
    {%- set value = cfg[name] -%}
    {%- do parts.append(name ~ '=' ~ (value | join(',') if value is iterable and value is not string else value)) -%}
  {%- endfor -%}
  {{ return(parts | join('; ')) }}
{%- endmacro %}

{#-
  Under a frozen design, stop before anything is rebuilt when the vars no
  longer match the stored design (unless this is a full refresh).
-#}
{% macro _check_frozen_design(cfg) -%}
  {%- if not execute or not cfg.freeze_design or flags.FULL_REFRESH -%}{{ return(none) }}{%- endif -%}
  {%- set stored = adapter.get_relation(database=this.database, schema=this.schema, identifier='negsample_sampling_scale') -%}
  {%- if stored is none -%}{{ return(none) }}{%- endif -%}
  {%- set names = adapter.get_columns_in_relation(stored) | map(attribute='name') | map('lower') | list -%}
  {%- if 'design_key' not in names -%}{{ return(none) }}{%- endif -%}
  {%- set old_key = run_query('select max(design_key) from ' ~ stored).rows[0][0] -%}
  {%- set new_key = negsample._design_key(cfg) -%}
  {%- if old_key != new_key -%}
    {%- set old_parts = old_key.split('; ') -%}
    {%- set changed = [] -%}
    {%- for part in new_key.split('; ') if part not in old_parts -%}
      {%- set name = part.split('=')[0] -%}
      {%- set before = [] -%}
      {%- for old in old_parts if old.startswith(name ~ '=') -%}{%- do before.append(old) -%}{%- endfor -%}
      {%- do changed.append(name ~ ': ' ~ ((before[0].split('=', 1)[1]) if before else '?') ~ ' -> ' ~ part.split('=', 1)[1]) -%}
    {%- endfor -%}
    {{ negsample._fail("the design was frozen (var 'negsample:freeze_design') with other vars (" ~ changed | join('; ') ~ "); run `dbt build --full-refresh` to re-estimate it, or set the vars back") }}
  {%- endif -%}
{%- endmacro %}
