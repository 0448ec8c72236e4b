{#-
  <design>_diagnostics_cells: every whole-table figure of a build, in one
  small table. The intercept update, the design's figures and every
  diagnostic read it, never the source.

  Two parts:
  - The post-fit pass (docs/method.md, Passes over the source), the last
    of a build's passes over the source and a light one: per row only the
    pilot's and the final fit's linear predictors, their probabilities and
    log likelihoods, counted by cell of each (kinds 'pilot' and 'final';
    one aggregate by kind and cell). Exact counts and sums.
  - The scale sample (<design>_pilot_sample: every positive, and a uniform
    rho_s share of the negatives), scored with the design's parameters:
    what the build would otherwise need a pass over every negative for is
    estimated there, each negative weighted by N0 / n (N0 the table's
    negatives, n the sample's), each positive by 1 (weighted_rows and the
    sums are those estimates; n_rows counts the sample's rows):
      'uncorrected'    cells of the sample-scale logit theta^ . x-dot - ln pi~,
                       the score a model fitted without the offset reports
      'sampling_prob'  the negatives' pi~ histogram (30 bins equally wide in
                       ln pi~ from the sample's least pi~ to 1), with sum_value =
                       the sum of pi~, sum_value_variance = of pi~ (1 - pi~),
                       sum_value_squared = of pi~^2, and n_floored
      'final_term'     per design term (term, level), the sum of
                       p (1 - p) x-dot_term at the final fit's p: the average
                       design vector that the intercept update's check weighs
                       the fit's covariance by
  Sums are exact (_exact_sum): the same bits in any order of the rows.
-#}
{% macro _model_diagnostics_cells(cfg) -%}
  {%- set label = adapter.quote(cfg.label_column) -%}
  {%- set pilot = negsample._design_ref(cfg, 'pilot_coefficients') -%}
  {%- set coefficients = negsample._design_ref(cfg, 'coefficients') -%}
  {%- set pilot_levels = negsample._categorical_levels(pilot, 'pilot') -%}
  {%- set final_levels = negsample._categorical_levels(coefficients, 'final') -%}
  {%- set bigint, double = dbt.type_bigint(), negsample._double() -%}
  {%- set exact = negsample._exact_sum -%}
  {%- set bounded = negsample._exact_bounded_sum -%}
  {%- set rows_design = negsample._design_from_levels(cfg, pilot_levels, negsample._feature_columns(cfg, 'input_rows')) -%}
  {%- set final_design = negsample._design_from_levels(cfg, final_levels, negsample._feature_columns(cfg, 'input_rows')) -%}
  {%- set sample_final = negsample._design_from_levels(cfg, final_levels, negsample._feature_columns(cfg, 'scored_sample')) -%}
with input_rows as (
    select * from {{ negsample._design_ref(cfg, 'input') }}
),

pilot_row as (
    {{ negsample._pivot_coefficients(pilot, rows_design.terms, 'pilot') }}
),

final_row as (
    {{ negsample._pivot_coefficients(coefficients, final_design.terms, 'final') }}
),

-- The post-fit pass: two linear predictors per row, nothing else heavy.
linear_rows as (
    select
        input_rows.{{ label }} as label_value,
        {%- if cfg.pilot_score_column %}
        input_rows.negsample_pilot_score as pilot_prob,
        {{ negsample._clipped_logit('input_rows.negsample_pilot_score') }} as pilot_logit,
        {%- else %}
        {{ negsample._linear_predictor(rows_design, 'pilot_row') }} as pilot_logit,
        {%- endif %}
        {{ negsample._linear_predictor(final_design, 'final_row') }} as final_logit,
        {{ negsample._unseen_level_count(final_design) }} as n_unseen_levels
    from input_rows
    cross join pilot_row
    cross join final_row
),

prob_rows as (
    select
        linear_rows.*,
        {%- if not cfg.pilot_score_column %}
        {{ negsample.sigmoid('pilot_logit') }} as pilot_prob,
        {%- endif %}
        {{ negsample.sigmoid('final_logit') }} as final_prob
    from linear_rows
),

cell_rows as (
    select
        prob_rows.*,
        {{ negsample._logit_cell('pilot_logit') }} as pilot_cell,
        {{ negsample._logit_cell('final_logit') }} as final_cell,
        {{ negsample._log_likelihood('label_value', 'pilot_prob') }} as pilot_log_likelihood,
        {{ negsample._log_likelihood('label_value', 'final_prob') }} as final_log_likelihood,
        final_prob * (1.0 - final_prob) as final_variance,
        case when n_unseen_levels > 0 then 1 else 0 end as has_unseen_level
    from prob_rows
),

-- Each row counted once per kind (0: the pilot, 1: the final fit), in one
-- aggregate by (kind, cell): every aggregate is the kind's own value,
-- where grouping sets would compute every aggregate for each set.
stacked_rows as (
    select
        kinds.kind_index,
        case when kinds.kind_index = 0 then cell_rows.pilot_cell else cell_rows.final_cell end as cell,
        cell_rows.label_value,
        case when kinds.kind_index = 0 then cell_rows.pilot_prob else cell_rows.final_prob end as prob,
        case when kinds.kind_index = 0 then cell_rows.pilot_logit else cell_rows.final_logit end as logit,
        case when kinds.kind_index = 0 then cell_rows.pilot_log_likelihood else cell_rows.final_log_likelihood end
        as log_likelihood,
        case when kinds.kind_index = 0 then 0.0 else cell_rows.final_variance end as variance,
        case when kinds.kind_index = 0 then 0 else cell_rows.has_unseen_level end as has_unseen_level
    from cell_rows
    cross join ({{ negsample._literal_table([('kind_index', 'integer')], [['0'], ['1']]) }}) as kinds
),

table_cells as (
    select
        case when kind_index = 0 then 'pilot' else 'final' end as kind,
        cast(cell as {{ bigint }}) as cell,
        cast(null as {{ dbt.type_string() }}) as term,
        cast(null as {{ dbt.type_string() }}) as level,
        cast(count(*) as {{ bigint }}) as n_rows,
        cast(sum(label_value) as {{ bigint }}) as n_positive,
        cast(count(*) as {{ double }}) as weighted_rows,
        cast(sum(label_value) as {{ double }}) as weighted_positives,
        {{ bounded('prob') }} as sum_value,
        case when kind_index = 0 then cast(null as {{ double }}) else {{ bounded('variance') }} end as sum_value_variance,
        cast(null as {{ double }}) as sum_value_squared,
        min(logit) as min_value,
        max(logit) as max_value,
        {{ bounded('log_likelihood') }} as sum_log_likelihood,
        cast(0 as {{ bigint }}) as n_floored,
        cast(sum(has_unseen_level) as {{ bigint }}) as n_unseen_level_rows
    from stacked_rows
    group by kind_index, cell
),

-- The scale sample, scored as the design samples: its estimates.
sample_rows as (
    select * from {{ negsample._design_ref(cfg, 'pilot_sample') }}
),

source_check as (
    select * from {{ negsample._design_ref(cfg, 'source_check') }}
),

scale_row as (
    select * from {{ negsample._design_ref(cfg, 'sampling_scale') }}
),

{{ negsample._pilot_score_ctes(cfg, 'sample_rows', pilot, negsample._score_mode(cfg), 'scored_sample', pilot_levels) }},

sample_weights as (
    -- N0 / n: the table's negatives per negative of the sample.
    select
        cast(source_check.n_negative as {{ double }})
        / nullif(sum(case when scored_sample.{{ label }} = 0 then 1 else 0 end), 0) as negative_weight
    from scored_sample
    cross join source_check
    group by source_check.n_negative
),

weighted_sample as (
    {%- set pi = negsample.sampling_probability('scored_sample.sampling_score', 'scale_row.sampling_scale', 'scale_row.floor_prob') %}
    select
        scored_sample.*,
        scored_sample.{{ label }} as label_value,
        case when scored_sample.{{ label }} = 1 then 1.0 else sample_weights.negative_weight end as row_weight,
        {{ negsample.union_inclusion_probability(pi, 'scale_row.pilot_rate') if cfg.reuse_pilot else pi }} as prob,
        case when scale_row.sampling_scale * scored_sample.sampling_score < scale_row.floor_prob then 1 else 0 end as is_floored,
        {{ negsample._linear_predictor(sample_final, 'final_row') }} as final_logit
    from scored_sample
    cross join scale_row
    cross join sample_weights
    cross join final_row
),

sample_values as (
    select
        weighted_sample.*,
        final_logit - ln(prob) as uncorrected_logit,
        {{ negsample.sigmoid('final_logit - ln(prob)') }} as uncorrected_prob,
        {{ negsample.sigmoid('final_logit') }} as final_prob
    from weighted_sample
),

bounds as (
    select ln(min(prob)) as ln_lowest from sample_values where label_value = 0
),

uncorrected_cells as (
    select
        'uncorrected' as kind,
        cast({{ negsample._logit_cell('uncorrected_logit') }} as {{ bigint }}) as cell,
        cast(null as {{ dbt.type_string() }}) as term,
        cast(null as {{ dbt.type_string() }}) as level,
        cast(count(*) as {{ bigint }}) as n_rows,
        cast(sum(label_value) as {{ bigint }}) as n_positive,
        {{ exact('row_weight') }} as weighted_rows,
        {{ exact('row_weight * label_value') }} as weighted_positives,
        {{ exact('row_weight * uncorrected_prob') }} as sum_value,
        cast(null as {{ double }}) as sum_value_variance,
        cast(null as {{ double }}) as sum_value_squared,
        min(uncorrected_logit) as min_value,
        max(uncorrected_logit) as max_value,
        cast(null as {{ double }}) as sum_log_likelihood,
        cast(0 as {{ bigint }}) as n_floored,
        cast(0 as {{ bigint }}) as n_unseen_level_rows
    from sample_values
    group by {{ negsample._logit_cell('uncorrected_logit') }}
),

histogram_rows as (
    select
        sample_values.*,
        {{ negsample._sampling_prob_bin('prob', 'bounds.ln_lowest') }} as sampling_prob_bin
    from sample_values
    cross join bounds
    where label_value = 0
),

histogram_cells as (
    select
        'sampling_prob' as kind,
        cast(sampling_prob_bin as {{ bigint }}) as cell,
        cast(null as {{ dbt.type_string() }}) as term,
        cast(null as {{ dbt.type_string() }}) as level,
        cast(count(*) as {{ bigint }}) as n_rows,
        cast(0 as {{ bigint }}) as n_positive,
        {{ exact('row_weight') }} as weighted_rows,
        cast(0 as {{ double }}) as weighted_positives,
        {{ exact('row_weight * prob') }} as sum_value,
        {{ exact('row_weight * prob * (1.0 - prob)') }} as sum_value_variance,
        {{ exact('row_weight * prob * prob') }} as sum_value_squared,
        min(prob) as min_value,
        max(prob) as max_value,
        cast(null as {{ double }}) as sum_log_likelihood,
        cast(sum(is_floored) as {{ bigint }}) as n_floored,
        cast(0 as {{ bigint }}) as n_unseen_level_rows
    from histogram_rows
    group by sampling_prob_bin
),

term_cells as (
    {#- The sum of w p (1 - p) x-dot_j at the final fit's p, per term: the
        intercept (1), each numeric feature, each level of each categorical
        feature (a level without a term of the final fit comes out too, and
        is not read). #}
    {%- set h = 'row_weight * final_prob * (1.0 - final_prob)' %}
    {%- set parts = [] %}
    {%- for t in sample_final.terms if t.level is none %}
      {%- do parts.append((negsample._string_literal(t.term), 'cast(null as ' ~ dbt.type_string() ~ ')', h ~ ' * ' ~ t.sql | replace('scored_sample.', 'sample_values.'), none)) %}
    {%- endfor %}
    {%- for name in cfg.categorical_features %}
      {%- set level = sample_final.exprs[name] | replace('scored_sample.', 'sample_values.') %}
      {%- do parts.append((negsample._string_literal(name), level, h, level)) %}
    {%- endfor %}
    {%- for term, level, value, by in parts %}
    select
        'final_term' as kind,
        cast(null as {{ bigint }}) as cell,
        {{ term }} as term,
        {{ level }} as level,
        cast(count(*) as {{ bigint }}) as n_rows,
        cast(0 as {{ bigint }}) as n_positive,
        cast(null as {{ double }}) as weighted_rows,
        cast(null as {{ double }}) as weighted_positives,
        {{ exact(value) }} as sum_value,
        cast(null as {{ double }}) as sum_value_variance,
        cast(null as {{ double }}) as sum_value_squared,
        cast(null as {{ double }}) as min_value,
        cast(null as {{ double }}) as max_value,
        cast(null as {{ double }}) as sum_log_likelihood,
        cast(0 as {{ bigint }}) as n_floored,
        cast(0 as {{ bigint }}) as n_unseen_level_rows
    from sample_values
    {%- if by %}
    group by {{ by }}
    {%- endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from table_cells
union all
select * from uncorrected_cells
union all
select * from histogram_cells
union all
select * from term_cells
{%- endmacro %}
