{{ config(materialized='table') }}
{#-
  Every row of the source counted by score and by cell of the 1/10000
  log-odds grid (negsample._score_cell): the one full pass that the
  calibration deciles (negsample_diagnostics) and the log loss and AUC
  (negsample_diagnostics_fit) share. Scores: 'pilot' (pilot_prob),
  'corrected' (corrected_prob) and 'uncorrected' (sigmoid of sample_logit).

  Each branch reads negsample_scored itself rather than a shared CTE: a CTE
  read three times would be materialized, every row of it written and read
  back, which costs more than computing the scores again.
-#}
{%- set cfg = negsample._config() -%}
{%- set label = adapter.quote(cfg.label_column) -%}
{#- (score, its SQL, whether negsample_diagnostics_fit reads its log loss and AUC ties) -#}
{%- set scores = [
  ('pilot', 'pilot_prob', true),
  ('corrected', 'corrected_prob', true),
  ('uncorrected', negsample.sigmoid('sample_logit'), false),
] -%}

{#- Probabilities are clipped to [eps, 1 - eps] before ln() so a saturated
    prediction costs a large, finite loss; one ln() per row, of the
    probability of the observed label. -#}
{%- set eps = 1e-15 -%}
{%- set clipped = 'least(1.0 - ' ~ eps ~ ', greatest(' ~ eps ~ ', predicted))' -%}

{% for score, prob, is_fitted in scores -%}
{%- if not loop.first %}
union all
{% endif -%}
select
    {{ negsample._string_literal(score) }} as score,
    cell,
    count(*) as n_rows,
    sum(label_value) as n_positive,
    sum(predicted) as sum_predicted,
    {%- if is_fitted %}
    min(predicted) < max(predicted) as has_unequal_scores,
    sum(ln(case when label_value = 1 then {{ clipped }} else 1.0 - {{ clipped }} end)) as sum_log_likelihood
    {%- else %}
    cast(null as boolean) as has_unequal_scores,
    cast(null as {{ negsample._double() }}) as sum_log_likelihood
    {%- endif %}
from (
    select
        label_value,
        predicted,
        {{ negsample._score_cell('predicted', eps) }} as cell
    from (
        select
            {{ label }} as label_value,
            {{ prob }} as predicted
        from {{ ref('negsample_scored') }}
    ) as {{ score }}_scores
) as {{ score }}_cells
group by cell
{% endfor -%}
