{#-
  <design>_score_choice: which score t(x) the design samples with. For a
  fixed setting `score`, one row naming it. For score 'auto', one row per
  mode (_score_modes) with the estimated criterion of the setting
  `objective` under that mode's pi, at the design's rate, floor and budget,
  and the mode with the least criterion chosen (is_chosen). Every later
  model reads the choice (negsample._score_mode).

  The variance (Wang, Zhang & Wang 2021): with negatives kept with
  probability pi(x) and the offset -ln pi, the corrected estimator has the
  asymptotic variance V = Lambda^-1, Lambda = sum over the population of
  p (1 - p) s(x) x-dot x-dot' with s = 1 on a positive (always kept) and
  pi / (p + (1 - p) pi) on a negative. The criteria:
    objective 'scores'        tr(Sigma~ V): the mean squared error of the
                              corrected logit over the table's rows (Sigma~
                              as the logit_optimal score weighs it, model
                              'second_moment' of <design>_pilot_coefficients)
    objective 'coefficients'  the trace of V over the slopes
  Lambda is estimated on the pilot sample with the pilot's p~, a negative
  standing for 1/rho_s of the table's; each mode's pi comes from the same
  macros as the design's (w and the exact budget's scale from the sample's
  negatives), with reuse_pilot the union's pi*. Each Lambda is one
  aggregate over the pilot sample (the SQL fit engine's sums: its text does
  not grow with the number of terms squared); its k x k inverse is taken
  by the engine's algebra (macros/fit_engine/linear_algebra.sql).

  Under a frozen design an incremental table that a build appends nothing
  to: the choice is one of the design's stored parameters.
-#}
{% macro _model_score_choice(cfg) -%}
  {%- set columns = [('score', dbt.type_string()), ('criterion', negsample._double()),
                     ('criterion_ratio', negsample._double()), ('objective', dbt.type_string()),
                     ('is_chosen', dbt.type_boolean())] -%}
  {%- set objective = negsample._string_literal(cfg.objective) -%}
  {#- The choice is made after the pilot, from it and its sample (dbt records
      a model's refs as it parses, so they are named whatever the setting). -#}
  {%- do negsample._design_ref(cfg, 'pilot_coefficients') -%}
  {%- do negsample._design_ref(cfg, 'pilot_sample') -%}
  {%- if is_incremental() %}
select * from {{ this }} where 1 = 0
  {%- elif cfg.score != 'auto' or not execute -%}
{{ negsample._literal_table(columns, [[negsample._string_literal(cfg.score if cfg.score != 'auto' else negsample._defaults(cfg.design).score), 'null', 'null', objective, 'true']]) }}
  {%- else -%}
    {%- set criteria = negsample._score_criteria(cfg) -%}
    {%- set known = criteria.values() | reject('none') | list -%}
    {%- if known | length == 0 -%}
      {{ negsample._fail(cfg.design ~ "_score_choice: the estimated variance is singular under every score; the pilot sample is too small or a feature is collinear with the others") }}
    {%- endif -%}
    {%- set least = known | min -%}
    {%- set rows = [] -%}
    {%- set state = namespace(chosen=false) -%}
    {#- Ties go to the first in this order: the simpler score. -#}
    {%- for mode in negsample._score_modes() -%}
      {%- set value = criteria[mode] -%}
      {%- set is_chosen = value is not none and value == least and not state.chosen -%}
      {%- if is_chosen %}{% set state.chosen = true %}{% endif -%}
      {%- do rows.append([
        negsample._string_literal(mode),
        negsample._double_literal(value),
        negsample._double_literal(value / least if value is not none else none),
        objective,
        'true' if is_chosen else 'false',
      ]) -%}
    {%- endfor %}
{{ negsample._literal_table(columns, rows) }}
  {%- endif -%}
{%- endmacro %}

{#-
  The score a design samples with: the setting, or for 'auto' the mode its
  <design>_score_choice chose. Before that table exists (parsing, a first
  `dbt compile`) 'auto' reads as the package's default score.
-#}
{% macro _score_mode(cfg) -%}
  {%- if cfg.score != 'auto' -%}
    {{ return(cfg.score) }}
  {%- endif -%}
  {%- set choice = negsample._design_ref(cfg, 'score_choice') -%}
  {%- set fallback = negsample._defaults(cfg.design).score -%}
  {%- if not execute -%}
    {{ return(fallback) }}
  {%- endif -%}
  {%- set found = adapter.get_relation(database=choice.database, schema=choice.schema, identifier=choice.identifier) -%}
  {%- if found is none -%}
    {{ return(fallback) }}
  {%- endif -%}
  {%- set rows = run_query('select score from ' ~ choice ~ ' where is_chosen').rows -%}
  {%- if rows | length != 1 -%}
    {{ negsample._fail(cfg.design ~ "_score_choice holds " ~ (rows | length) ~ " chosen scores, not one; rebuild it with `dbt build --full-refresh --select " ~ cfg.design ~ "_score_choice+`") }}
  {%- endif -%}
  {{ return(rows[0][0]) }}
{%- endmacro %}

{#-
  {mode: the estimated criterion of the design's objective, or none where
  the estimated Lambda is singular}, for every mode of _score_modes, from
  the design's pilot sample and pilot coefficients (Sigma~ and the matrix
  scores' forms included).
-#}
{% macro _score_criteria(cfg) -%}
  {%- set pilot = negsample._design_ref(cfg, 'pilot_coefficients') -%}
  {%- set sample = negsample._design_ref(cfg, 'pilot_sample') -%}
  {%- set levels = negsample._categorical_levels(pilot, 'pilot') -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
  {%- set features = cfg.numeric_features + cfg.categorical_features -%}
  {%- set what = cfg.design ~ "_score_choice" -%}
  {%- set design = negsample._fit_design_of(cfg, levels) -%}
  {%- set k = design.terms | length -%}
  {%- set unit = {'center': [0.0] * k, 'spread': [1.0] * k} -%}
  {%- set weight = negsample._stored_matrix(pilot, 'second_moment', design.terms) if cfg.objective == 'scores' else none -%}
  {%- set criteria = {} -%}
  {%- for mode in negsample._score_modes() -%}
    {%- set rows -%}
(
with sample_rows as (
    select * from {{ sample }}
),

{{ negsample._pilot_score_ctes(cfg, 'sample_rows', pilot, mode, 'mode_rows', levels) }},

mode_scores as (
    select
        {{ label }} as label_value,
        sampling_score
    from mode_rows
),

scale as (
    {{ negsample._sampling_scale('mode_scores', cfg.sampling_rate, cfg.floor, cfg.budget) }}
),

probabilities as (
    {%- set pi = negsample.sampling_probability('mode_rows.sampling_score', 'scale.sampling_scale', 'scale.floor_prob') %}
    select
        mode_rows.*,
        {{ negsample.union_inclusion_probability(pi, 'mode_rows.pilot_rate') if cfg.reuse_pilot else pi }} as mode_prob
    from mode_rows
    cross join scale
)

select
    {%- for name in features %}
    {{ adapter.quote(name) }},
    {%- endfor %}
    {{ label }},
    pilot_prob as negsample_pilot_prob,
    -- Lambda's weight: the table's rows per sample row (1 for a positive,
    -- 1/rho_s for a negative) times the share pi / (p + (1 - p) pi) of
    -- p (1 - p) that a kept negative's likelihood carries.
    case when {{ label }} = 1 then 1.0 else
        (1.0 / scale_rate) * mode_prob / (pilot_prob + (1.0 - pilot_prob) * mode_prob)
    end as negsample_lambda_weight
from probabilities
) as score_rows
    {%- endset -%}
    {%- set fit = {'rows': rows, 'label': cfg.label_column, 'offset': none, 'weights': 'negsample_lambda_weight',
                   'prob': 'negsample_pilot_prob', 'what': what ~ " (" ~ mode ~ ")"} -%}
    {%- set sums = negsample._sql_fit_sums(fit, design, unit, [0.0] * k, exact=true) -%}
    {%- set inverse = negsample._symmetric_inverse(sums.hessian) -%}
    {%- if inverse is none -%}
      {%- do criteria.update({mode: none}) -%}
    {%- elif weight is not none -%}
      {%- do criteria.update({mode: negsample._trace_of_product(weight, inverse)}) -%}
    {%- else -%}
      {%- set diagonal = [] -%}
      {%- for i in range(1, k) %}{% do diagonal.append(inverse[i][i]) %}{% endfor -%}
      {%- do criteria.update({mode: diagonal | sum}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(criteria) }}
{%- endmacro %}

{#-
  A stored symmetric matrix (rows of model `model_name` in a long table such
  as <design>_pilot_coefficients) as a list of rows in the order of `terms`
  ((term, level) pairs); an entry the table does not hold is 0.
-#}
{% macro _stored_matrix(relation, model_name, terms) -%}
  {%- set entries = {} -%}
  {%- set query -%}
    select term, level, col_term, col_level, estimate from {{ relation }} where model = {{ negsample._string_literal(model_name) }}
  {%- endset -%}
  {%- for row in run_query(query).rows -%}
    {%- do entries.update({((row[0], row[1]), (row[2], row[3])): row[4] | float}) -%}
  {%- endfor -%}
  {%- set matrix = [] -%}
  {%- for row_term in terms -%}
    {%- set row = [] -%}
    {%- for col_term in terms %}{% do row.append(entries.get((row_term, col_term), 0.0)) %}{% endfor -%}
    {%- do matrix.append(row) -%}
  {%- endfor -%}
  {{ return(matrix) }}
{%- endmacro %}
