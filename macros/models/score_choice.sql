{#-
  <design>_score_choice: which score t(x) the design samples with. For a
  fixed setting `score`, one row naming it. For score 'auto', one row per
  mode (uniform, p, l_optimal, a_optimal) with the estimated trace of the
  asymptotic variance of the log-odds corrected slopes under that mode's
  pi, at the design's rate, floor and budget, and the mode with the least
  trace chosen (is_chosen). Every later model reads the choice
  (negsample._score_mode).

  The variance (Wang, Zhang & Wang 2021): with negatives kept with
  probability pi(x) and the offset -ln pi, the corrected estimator has the
  asymptotic variance Lambda^-1, Lambda = sum over the population of
  p (1 - p) pi / (p + (1 - p) pi) x-dot x-dot^T (a positive, always kept,
  counts p (1 - p)). It is estimated on the pilot sample with the pilot's
  p~, the negatives weighted back to the population by 1/rho0; each mode's
  pi comes from the same macros as the design's (w and the exact budget's
  scale solved over the pilot's negatives, a uniform share of them), and
  with reuse_pilot it is the union's pi*. Lambda is one aggregate over the
  pilot sample per mode (the SQL fit engine's sums: its text does not grow
  with the number of terms squared); its k x k inverse is taken in Jinja.
  The trace is over the slopes on the features' own scale (the intercept
  is left out: its variance is about the positives' count under every
  mode, and the intercept update recalibrates it).

  Under a frozen design an incremental table that a build appends nothing
  to: the choice is one of the design's stored parameters.
-#}
{% macro _model_score_choice(cfg) -%}
  {%- do config(materialized=('incremental' if cfg.freeze_design else 'table')) -%}
  {%- set pilot = negsample._design_ref(cfg, 'pilot_coefficients') -%}
  {%- set sample = negsample._design_ref(cfg, 'pilot_sample') -%}
  {%- set columns = [('score', dbt.type_string()), ('variance_trace', negsample._double()),
                     ('variance_ratio', negsample._double()), ('is_chosen', dbt.type_boolean())] -%}
  {%- if is_incremental() %}
select * from {{ this }} where 1 = 0
  {%- elif cfg.score != 'auto' or not execute -%}
{{ negsample._literal_table(columns, [[negsample._string_literal(cfg.score if cfg.score != 'auto' else 'a_optimal'), 'null', 'null', 'true']]) }}
  {%- elif negsample._frozen_state(cfg) == 'reuse' -%}
    {#- The other stores serve, but this one is missing: the pilot sample is
        not drawn again, so the choice cannot be made again either. -#}
    {{ negsample._fail("the frozen design of '" ~ cfg.design ~ "' is incomplete: " ~ cfg.design ~ "_score_choice is missing; run `dbt build --full-refresh` to estimate it again") }}
  {%- else -%}
    {%- set traces = negsample._score_variance_traces(cfg, sample, pilot) -%}
    {%- set known = traces.values() | reject('none') | list -%}
    {%- if known | length == 0 -%}
      {{ negsample._fail(cfg.design ~ "_score_choice: the estimated variance is singular under every score; the pilot sample is too small or a feature is collinear with the others") }}
    {%- endif -%}
    {%- set least = known | min -%}
    {%- set rows = [] -%}
    {%- set state = namespace(chosen=false) -%}
    {#- Ties go to the first in this order: the simpler score. -#}
    {%- for mode in negsample._score_modes() -%}
      {%- set trace = traces[mode] -%}
      {%- set is_chosen = trace is not none and trace == least and not state.chosen -%}
      {%- if is_chosen %}{% set state.chosen = true %}{% endif -%}
      {%- do rows.append([
        negsample._string_literal(mode),
        negsample._double_literal(trace),
        negsample._double_literal(trace / least if trace is not none else none),
        'true' if is_chosen else 'false',
      ]) -%}
    {%- endfor %}
{{ negsample._literal_table(columns, rows) }}
  {%- endif -%}
{%- endmacro %}

{#- The scores score 'auto' chooses among, simplest first. -#}
{% macro _score_modes() -%}
  {{ return(['uniform', 'p', 'l_optimal', 'a_optimal']) }}
{%- endmacro %}

{#-
  The score a design samples with: the setting, or for 'auto' the mode its
  <design>_score_choice chose. Before that table exists (parsing, a first
  `dbt compile`) 'auto' reads as a_optimal, the package default.
-#}
{% macro _score_mode(cfg) -%}
  {%- if cfg.score != 'auto' -%}
    {{ return(cfg.score) }}
  {%- endif -%}
  {%- set choice = negsample._design_ref(cfg, 'score_choice') -%}
  {%- if not execute -%}
    {{ return('a_optimal') }}
  {%- endif -%}
  {%- set found = adapter.get_relation(database=choice.database, schema=choice.schema, identifier=choice.identifier) -%}
  {%- if found is none -%}
    {{ return('a_optimal') }}
  {%- endif -%}
  {%- set rows = run_query('select score from ' ~ choice ~ ' where is_chosen').rows -%}
  {%- if rows | length != 1 -%}
    {{ negsample._fail(cfg.design ~ "_score_choice holds " ~ (rows | length) ~ " chosen scores, not one; rebuild it with `dbt build --full-refresh --select " ~ cfg.design ~ "_score_choice+`") }}
  {%- endif -%}
  {{ return(rows[0][0]) }}
{%- endmacro %}

{#-
  {mode: estimated trace of the corrected slopes' asymptotic variance, or
  none where the estimated Lambda is singular}, for every mode of
  _score_modes, from `sample` (a design's pilot sample) and `pilot` (its
  pilot coefficients, M~^-1 included).
-#}
{% macro _score_variance_traces(cfg, sample, pilot) -%}
  {%- set a_cfg = {} -%}
  {%- do a_cfg.update(cfg) -%}
  {%- do a_cfg.update({'score': 'a_optimal'}) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
  {%- set features = cfg.numeric_features + cfg.categorical_features -%}
  {%- set norm_terms = negsample._design_terms(cfg, pilot, 'pilot', negsample._feature_columns(cfg, 'pilot_scored')).terms -%}
  {%- set reference = negsample._pilot_reference_levels(pilot) -%}
  {%- set what = cfg.design ~ "_score_choice" -%}
  {%- set design = negsample._sql_fit_design(sample, cfg.numeric_features, cfg.categorical_features, reference, what) -%}
  {%- set k = design.terms | length -%}
  {%- set unit = {'center': [0.0] * k, 'spread': [1.0] * k} -%}
  {%- set beta = [0.0] * k -%}
  {%- set traces = {} -%}
  {%- for mode in negsample._score_modes() -%}
    {%- set rows -%}
(
with pilot_rows as (
    select * from {{ sample }}
),

{{ negsample._pilot_score_ctes(a_cfg, 'pilot_rows', pilot, negsample._feature_columns(cfg, 'pilot_rows')) }},

mode_rows as (
    select
        pilot_scored.*,
        {%- if mode == 'uniform' %}
        cast(1 as {{ negsample._double() }}) as mode_score
        {%- elif mode == 'p' %}
        pilot_scored.pilot_prob as mode_score
        {%- elif mode == 'l_optimal' %}
        pilot_scored.pilot_prob * {{ negsample._design_norm(norm_terms) }} as mode_score
        {%- else %}
        pilot_scored.sampling_score as mode_score
        {%- endif %}
    from pilot_scored
),

mode_scores as (
    select
        {{ label }} as label_value,
        mode_score as sampling_score
    from mode_rows
),

scale as (
    {{ negsample._sampling_scale('mode_scores', cfg.sampling_rate, cfg.floor, cfg.budget) }}
),

probabilities as (
    {%- set pi = negsample.sampling_probability('mode_rows.mode_score', 'scale.sampling_scale', 'scale.floor_prob') %}
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
    -- Lambda's weight: the population's rows per pilot row (1 for a
    -- positive, 1/rho0 for a negative) times the share pi / (p + (1 - p) pi)
    -- of p (1 - p) that a kept negative's likelihood carries.
    case when {{ label }} = 1 then 1.0 else
        (1.0 / pilot_rate) * mode_prob / (pilot_prob + (1.0 - pilot_prob) * mode_prob)
    end as negsample_lambda_weight
from probabilities
) as score_rows
    {%- endset -%}
    {%- set fit = {'rows': rows, 'label': cfg.label_column, 'offset': none, 'weights': 'negsample_lambda_weight',
                   'prob': 'negsample_pilot_prob', 'what': what ~ " (" ~ mode ~ ")"} -%}
    {%- set sums = negsample._sql_fit_sums(fit, design, unit, beta) -%}
    {%- set cholesky = negsample._cholesky(sums.hessian) -%}
    {%- if cholesky.ok -%}
      {%- set lower = negsample._lower_inverse(cholesky.factor) -%}
      {%- set diagonal = [] -%}
      {%- for i in range(1, k) %}{% do diagonal.append(negsample._inverse_entry(lower, i, i)) %}{% endfor -%}
      {%- do traces.update({mode: diagonal | sum}) -%}
    {%- else -%}
      {%- do traces.update({mode: none}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(traces) }}
{%- endmacro %}
