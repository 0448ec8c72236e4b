{#-
  How many non-NULL rows of `relation` share their id with another row, as
  one number (count of ids minus count of distinct ids). The source check
  runs it after its first pass, which gives the non-NULL id count and, for
  integer ids, their range.

  An exact distinct count is a hash aggregate over every id: the dearest
  part of the check on a large table. Dispatched per adapter: DuckDB counts
  integer ids whose range is at most 64 times their number (and 2^30) with
  a bitmap over the range instead (bitstring_agg, one bit per possible id,
  8x faster on 30M ids, at most 128 MB per thread); every other case, and every
  other engine, uses count(distinct).
-#}
{% macro _duplicate_ids(relation, id_column, is_integer, n_ids, id_min, id_max) -%}
  {{ return(adapter.dispatch('_duplicate_ids', 'negsample')(relation, id_column, is_integer, n_ids, id_min, id_max)) }}
{%- endmacro %}

{% macro default___duplicate_ids(relation, id_column, is_integer, n_ids, id_min, id_max) -%}
  {%- set id = adapter.quote(id_column) -%}
  {%- set query -%}
    select count({{ id }}) - count(distinct {{ id }}) as duplicate_ids from {{ relation }}
  {%- endset -%}
  {{ return(run_query(query).rows[0][0] | int) }}
{%- endmacro %}

{% macro duckdb___duplicate_ids(relation, id_column, is_integer, n_ids, id_min, id_max) -%}
  {%- set dense = is_integer and n_ids > 0 and id_min is not none -%}
  {%- set span = ((id_max | int) - (id_min | int) + 1) if dense else 0 -%}
  {%- if not dense or span > 64 * n_ids or span > 1073741824 -%}
    {{ return(negsample.default___duplicate_ids(relation, id_column, is_integer, n_ids, id_min, id_max)) }}
  {%- endif -%}
  {%- set id = "cast(" ~ adapter.quote(id_column) ~ " as bigint)" -%}
  {%- set query -%}
    select bit_count(bitstring_agg({{ id }}, {{ id_min | int }}, {{ id_max | int }})) as distinct_ids
    from {{ relation }}
    where {{ adapter.quote(id_column) }} is not null
  {%- endset -%}
  {{ return(n_ids - (run_query(query).rows[0][0] | int)) }}
{%- endmacro %}
