{#-
  Seeded uniform draw in [0, 1) for an integer key.

  Pure BIGINT arithmetic modulo the prime 2^31 - 1: every product of two
  residues stays below 2^62, so the bits are the same on every engine and
  in every DuckDB version, whatever the thread count or the partitioning.
  Two squarings make the map non-linear (an affine map alone leaves a
  lattice between neighbouring keys and between streams). The Python twin
  is negsample.reference.uniform; the tests hold the two to the same bits.
-#}
{% macro uniform(key, seed, stream) -%}
  {{ return(adapter.dispatch('uniform', 'negsample')(key, seed, stream)) }}
{%- endmacro %}

{% macro default__uniform(key, seed, stream) -%}
  {%- set m = 2147483647 -%}
  {%- set c = negsample._uniform_constants(seed, stream) -%}
  {%- set k = "cast(" ~ key ~ " as bigint)" -%}
  {%- set low = negsample._residue(k) -%}
  {%- set high = negsample._residue(negsample._exact_div(k ~ " - " ~ low, m)) -%}
  {%- set x1 = negsample._mod(negsample._mod(low ~ " * 1103515245", m) ~ " + " ~ negsample._mod(high ~ " * 1664525", m) ~ " + " ~ c[0], m) -%}
  {%- set x2 = negsample._mod(x1 ~ " * " ~ x1 ~ " + " ~ c[1], m) -%}
  {%- set x3 = negsample._mod(x2 ~ " * 48271 + " ~ c[0], m) -%}
  {%- set x4 = negsample._mod(x3 ~ " * " ~ x3 ~ " + " ~ c[1], m) -%}
  {#- Both sides are whole numbers below 2^31, exact in a double: one correctly rounded division. #}
  (cast({{ negsample._mod(x4 ~ " * 69621", m) }} as {{ negsample._double() }}) / cast({{ m }} as {{ negsample._double() }}))
{%- endmacro %}

{#- x mod (2^31 - 1) in [0, 2^31 - 1) for any BIGINT x (SQL's remainder keeps the sign of x). -#}
{% macro _residue(value) -%}
  {%- set m = 2147483647 -%}
  {{ negsample._mod(negsample._mod(value, m) ~ " + " ~ m, m) }}
{%- endmacro %}

{#-
  The residues the seed and the stream add to the mixer. An integer seed is
  folded at compile time; a SQL expression (e.g. a replicate's seed column,
  to draw many samples in one query) is folded in SQL, to the same values.
-#}
{% macro _uniform_constants(seed, stream) -%}
  {%- set m = 2147483647 -%}
  {%- set sid = negsample._stream_id(stream) -%}
  {%- if seed is number -%}
    {%- set s = seed | int -%}
    {{ return([((s % m) * 40692 + sid * 69621 + 12345) % m, ((s % m) * 48271 + sid * 16807 + 67890) % m]) }}
  {%- endif -%}
  {%- set s = negsample._residue("cast(" ~ seed ~ " as bigint)") -%}
  {{ return([
    negsample._mod(s ~ " * 40692 + " ~ (sid * 69621 + 12345), m),
    negsample._mod(s ~ " * 48271 + " ~ (sid * 16807 + 67890), m),
  ]) }}
{%- endmacro %}

{#- Named streams keep the pilot draw and the final draw independent. -#}
{% macro _stream_id(stream) -%}
  {%- set named = {'pilot': 1, 'sample': 2} -%}
  {%- if stream is string -%}
    {%- if stream not in named -%}
      {{ exceptions.raise_compiler_error("negsample.uniform: unknown stream '" ~ stream ~ "'; use an integer or one of " ~ (named.keys() | list | join(', '))) }}
    {%- endif -%}
    {{ return(named[stream]) }}
  {%- endif -%}
  {{ return(stream | int) }}
{%- endmacro %}
