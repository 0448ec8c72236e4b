{#-
  The design vector x-dot of a fitted model, and the SQL that reads it.

  x-dot is, in the order every model and both fit engines use: 1 (the
  intercept), the numeric features (setting order), then one indicator per
  non-reference level of each categorical feature (setting order, levels
  sorted by code point). Levels are data, not configuration: they are read
  at run time from the coefficient table the fit wrote, the way
  dbt_utils.get_column_values reads a column.
-#}

{#-
  The design of `model_name` in the coefficient table `coefficients`:
  {'terms': [{'term', 'level', 'sql'}], 'levels': {feature: every level,
  reference included}, 'reference': {feature: level}, 'exprs': exprs}.
  `sql` is the term's value in a row; `exprs` maps each feature to the SQL
  that reads it (default: its quoted name, as in <design>_input). A NULL,
  or a level the fit never saw, has no indicator: it scores as the
  reference level.
-#}
{% macro _design_terms(cfg, coefficients, model_name='pilot', exprs=none) -%}
  {{ return(negsample._design_from_levels(cfg, negsample._categorical_levels(coefficients, model_name), exprs)) }}
{%- endmacro %}

{#-
  The design from the rows of _categorical_levels (read once), with the
  features read by `exprs`: a query that reads the same design under
  other aliases builds it again from the same rows.
-#}
{% macro _design_from_levels(cfg, rows, exprs=none) -%}
  {%- set exprs = exprs or negsample._feature_columns(cfg) -%}
  {%- set terms = [{'term': 'intercept', 'level': none, 'sql': '1.0'}] -%}
  {%- for name in cfg.numeric_features -%}
    {%- do terms.append({'term': name, 'level': none, 'sql': exprs[name]}) -%}
  {%- endfor -%}
  {%- set levels, reference = {}, {} -%}
  {%- for name in cfg.categorical_features -%}
    {%- set mine = rows | selectattr('term', 'equalto', name) | list -%}
    {%- do levels.update({name: mine | map(attribute='level') | sort(case_sensitive=true) | list}) -%}
    {%- for row in mine | selectattr('is_reference') %}{% do reference.update({name: row.level}) %}{% endfor -%}
    {%- for row in mine | rejectattr('is_reference') | sort(attribute='level', case_sensitive=true) -%}
      {%- do terms.append({
        'term': name,
        'level': row.level,
        'sql': 'case when ' ~ exprs[name] ~ ' = ' ~ negsample._string_literal(row.level) ~ ' then 1.0 else 0.0 end',
      }) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return({'terms': terms, 'levels': levels, 'reference': reference, 'exprs': exprs, 'rows': rows}) }}
{%- endmacro %}

{#-
  (term, level, is_reference) of every categorical level of `model_name` in a
  coefficient table. A table without is_reference (fitted elsewhere) lists only
  non-reference levels; any level it does not list scores as the reference.
-#}
{% macro _categorical_levels(coefficients, model_name) -%}
  {%- if not execute -%}
    {{ return([]) }}
  {%- endif -%}
  {%- set found = adapter.get_relation(database=coefficients.database, schema=coefficients.schema, identifier=coefficients.identifier) -%}
  {%- if found is none -%}
    {{ return([]) }}
  {%- endif -%}
  {%- set query -%}
    select distinct term, level, {{ 'is_reference' if negsample._has_column(found, 'is_reference') else 'false' }}
    from {{ coefficients }}
    where level is not null and model = {{ negsample._string_literal(model_name) }}
  {%- endset -%}
  {%- set rows = [] -%}
  {%- for row in run_query(query).rows -%}
    {%- do rows.append({'term': row[0], 'level': row[1], 'is_reference': row[2] in [true, 1, 'true']}) -%}
  {%- endfor -%}
  {{ return(rows) }}
{%- endmacro %}

{#-
  Whether `relation` has `column` (case-insensitive). Before the relation
  exists (parsing, a first compile) the answer is true: the contract's
  columns are assumed.
-#}
{% macro _has_column(relation, column) -%}
  {%- if not execute -%}
    {{ return(true) }}
  {%- endif -%}
  {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
  {%- if found is none -%}
    {{ return(true) }}
  {%- endif -%}
  {%- set names = adapter.get_columns_in_relation(found) | map(attribute='name') | map('lower') | list -%}
  {{ return(column | lower in names) }}
{%- endmacro %}

{#-
  Each feature's SQL in a relation shaped like <design>_input: its quoted
  name, qualified by `alias` when given (and negsample_pilot_score for the
  pilot_score_column, when set).
-#}
{% macro _feature_columns(cfg, alias=none) -%}
  {%- set prefix = (alias ~ '.') if alias else '' -%}
  {%- set exprs = {} -%}
  {%- for name in cfg.numeric_features + cfg.categorical_features -%}
    {%- do exprs.update({name: prefix ~ adapter.quote(name)}) -%}
  {%- endfor -%}
  {%- if cfg.pilot_score_column -%}
    {%- do exprs.update({'negsample_pilot_score': prefix ~ 'negsample_pilot_score'}) -%}
  {%- endif -%}
  {{ return(exprs) }}
{%- endmacro %}

{#- One row holding each coefficient of `model_name` as column coef_<i>, i in term order. -#}
{% macro _pivot_coefficients(coefficients, terms, model_name) -%}
  select
  {%- for t in terms %}
    max(case when term = {{ negsample._string_literal(t.term) }} and
      {%- if t.level is none %} level is null
      {%- else %} level = {{ negsample._string_literal(t.level) }}{% endif %}
      then estimate end) as coef_{{ loop.index0 }}{{ ',' if not loop.last }}
  {%- endfor %}
  from {{ coefficients }}
  where model = {{ negsample._string_literal(model_name) }}
{%- endmacro %}

{#-
  theta . x-dot for a row, with theta the coef_<i> columns of `alias`
  (_pivot_coefficients): the intercept, each numeric term, then one CASE per
  categorical feature that picks its level's coefficient (0 for the
  reference, an unseen level or NULL), summed left to right in term order.
  A zero term adds nothing to a double, so this is the sum over every term
  of the design, bit for bit, at one comparison per level.
-#}
{% macro _linear_predictor(design, alias) -%}
  {%- set parts = [alias ~ '.coef_0'] -%}
  {%- set index = {} -%}
  {%- for t in design.terms -%}
    {%- if t.level is none and not loop.first -%}
      {%- do parts.append(alias ~ '.coef_' ~ loop.index0 ~ ' * ' ~ t.sql) -%}
    {%- elif t.level is not none -%}
      {%- do index.setdefault(t.term, []).append((t.level, loop.index0)) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- for name, known in index.items() -%}
    {%- set whens = [] -%}
    {%- for level, i in known %}{% do whens.append('when ' ~ negsample._string_literal(level) ~ ' then ' ~ alias ~ '.coef_' ~ i) %}{% endfor -%}
    {%- do parts.append('(case ' ~ design.exprs[name] ~ ' ' ~ whens | join(' ') ~ ' else 0.0 end)') -%}
  {%- endfor -%}
  {{ return(parts | join('\n        + ')) }}
{%- endmacro %}

{#-
  ||x-dot||^2, the squared Euclidean norm of the design vector, intercept
  included: 1, the numeric features squared, and 1 per categorical feature
  whose level has an indicator.
-#}
{% macro _design_norm_squared(design) -%}
  {%- set parts = ['1.0'] -%}
  {%- for t in design.terms if t.level is none and t.term != 'intercept' -%}
    {%- do parts.append(t.sql ~ ' * ' ~ t.sql) -%}
  {%- endfor -%}
  {%- for name, known in design.levels.items() -%}
    {%- set indicators = known | reject('equalto', design.reference.get(name)) | list -%}
    {%- if indicators | length > 0 -%}
      {%- do parts.append('(case when ' ~ design.exprs[name] ~ ' in (' ~ negsample._string_literals(indicators) ~ ') then 1.0 else 0.0 end)') -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(parts | join(' + ')) }}
{%- endmacro %}

{#- A comma-separated list of SQL string literals. -#}
{% macro _string_literals(values) -%}
  {%- set out = [] -%}
  {%- for v in values %}{% do out.append(negsample._string_literal(v)) %}{% endfor -%}
  {{ return(out | join(', ')) }}
{%- endmacro %}

{#- How many categorical features of a row hold a NULL or a level the fit never saw. -#}
{% macro _unseen_level_count(design) -%}
  {%- if design.levels | length == 0 -%}{{ return('0') }}{%- endif -%}
  {%- set parts = [] -%}
  {%- for name, known in design.levels.items() -%}
    {%- set test = design.exprs[name] ~ ' is null' ~ ((' or ' ~ design.exprs[name] ~ ' not in (' ~ negsample._string_literals(known) ~ ')') if known | length > 0 else '') -%}
    {%- do parts.append('(case when ' ~ test ~ ' then 1 else 0 end)') -%}
  {%- endfor -%}
  {{ return(parts | join(' + ')) }}
{%- endmacro %}
