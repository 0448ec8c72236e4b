{#- SQL built from a list of design terms (see _design_terms). -#}

{#- One row holding each coefficient of `model_name` as column coef_<i>. -#}
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

{#- theta . x-dot, summed left to right in term order (same bits on every engine). -#}
{% macro _linear_predictor(terms, alias) -%}
  {%- for t in terms -%}
    {%- if loop.first %}{{ alias }}.coef_0{% else %} + {{ alias }}.coef_{{ loop.index0 }} * ({{ t.sql }}){% endif -%}
  {%- endfor -%}
{%- endmacro %}

{#- ||x-dot||, the Euclidean norm of the design vector, intercept included. -#}
{% macro _design_norm(terms) -%}
  sqrt({% for t in terms %}{% if loop.first %}1.0{% else %} + ({{ t.sql }}) * ({{ t.sql }}){% endif %}{% endfor %})
{%- endmacro %}

{#- The columns negsample_m_<i> = (M^-1 x-dot)_i, M^-1 pivoted in `alias` (A-optimal score). -#}
{% macro _information_products(terms, alias) -%}
  {%- for r in terms %}{% set i = loop.index0 %}
    {%- for c in terms -%}
      {%- if loop.first %}{{ alias }}.a_{{ i }}_0{% else %} + {{ alias }}.a_{{ i }}_{{ loop.index0 }} * ({{ c.sql }}){% endif -%}
    {%- endfor %} as negsample_m_{{ i }}{{ ',' if not loop.last }}
  {% endfor %}
{%- endmacro %}

{#- sqrt(sum of negsample_m_<i>^2) over the columns written by _information_products. -#}
{% macro _information_norm(terms) -%}
  sqrt({% for t in terms %}{{ ' + ' if not loop.first }}negsample_m_{{ loop.index0 }} * negsample_m_{{ loop.index0 }}{% endfor %})
{%- endmacro %}

{#- How many categorical features of a row hold a NULL or a level the fit never saw. -#}
{% macro _unseen_level_count(levels, exprs) -%}
  {%- if levels | length == 0 -%}0{%- else -%}
  {%- for name, known in levels.items() -%}
    {{ ' + ' if not loop.first }}(case when {{ exprs[name] }} is null
    {%- if known | length > 0 %} or {{ exprs[name] }} not in ({% for l in known %}{{ negsample._string_literal(l) }}{{ ', ' if not loop.last }}{% endfor %}){% endif %} then 1 else 0 end)
  {%- endfor -%}
  {%- endif -%}
{%- endmacro %}
