{{ config(materialized='view') }}
{#-
  DESIGN step 3, for every row of the source: the pilot log odds
  theta~ . x-dot, p~ = sigmoid of it (or the `pilot_score_column`), and the
  score t(x) of the configured mode. pilot_logit is null when there are no
  pilot coefficients (p~ from the `pilot_score_column` alone). n_unseen_levels counts the categorical
  features whose level is NULL or was not in the pilot fit (scored as the
  reference level).
-#}
{%- set cfg = negsample._config() -%}
{%- set coefficients = ref('negsample_pilot_coefficients') -%}
{%- set design = negsample._design_terms(coefficients) -%}
{%- set is_a_optimal = cfg.score == 'a_optimal' -%}
{%- if is_a_optimal -%}
{%- set information = ref(cfg.pilot_information) if cfg.pilot_information else ref('negsample_pilot_information') -%}
{%- endif -%}

with input_rows as (
    select * from {{ ref('negsample_input') }}
),

pilot_coefficients as (
    {{ negsample._pivot_coefficients(coefficients, design.terms, 'pilot') }}
),
{%- if is_a_optimal %}

pilot_information as (
    {{ negsample._pivot_information(information, design.terms) }}
),
{%- endif %}

linear as (
    select
        input_rows.*,
        {{ negsample._linear_predictor(design.terms, 'pilot_coefficients') }} as pilot_logit,
        {%- if is_a_optimal %}
        {{ negsample._information_products(design.terms, 'pilot_information') }},
        {%- endif %}
        {{ negsample._unseen_level_count(design.levels) }} as n_unseen_levels
    from input_rows
    cross join pilot_coefficients
    {%- if is_a_optimal %}
    cross join pilot_information
    {%- endif %}
),

probabilities as (
    select
        linear.*,
        {%- if cfg.pilot_score_column %}
        negsample_pilot_score as pilot_prob
        {%- else %}
        {{ negsample.sigmoid('pilot_logit') }} as pilot_prob
        {%- endif %}
    from linear
)

select
    {{ negsample._row_columns(cfg) }}
    negsample_key,
    negsample_imputed,
    pilot_logit,
    pilot_prob,
    n_unseen_levels,
    {%- if cfg.score == 'uniform' %}
    cast(1 as {{ negsample._double() }}) as sampling_score
    {%- elif cfg.score == 'p' %}
    pilot_prob as sampling_score
    {%- elif cfg.score == 'l_optimal' %}
    pilot_prob * {{ negsample._design_norm(design.terms) }} as sampling_score
    {%- else %}
    pilot_prob * {{ negsample._information_norm(design.terms) }} as sampling_score
    {%- endif %}
from probabilities
