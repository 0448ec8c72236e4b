{#-
  Seeded uniform draw in [0, 1) for an integer key.

  Pure BIGINT arithmetic on 32-bit halves: the key's low and high 32 bits
  each pass, XORed with a residue of the seed and the stream, through the
  "lowbias32" integer finalizer (xor-shift, multiply, xor-shift, multiply,
  xor-shift, modulo 2^32). Every value is below 2^32 and every multiplier is
  below 2^31 in magnitude (the second one is written as its negative
  two's-complement twin), so no product leaves the BIGINT range: the bits
  are the same on every engine and in every DuckDB version, whatever the
  thread count or the partitioning. Shifts, masks and XORs cost a cycle
  where a 64-bit division costs dozens. The Python twin is
  negsample.reference.uniform; the tests hold the two to the same bits.
-#}
{% macro uniform(key, seed, stream) -%}
  {{ return(adapter.dispatch('uniform', 'negsample')(key, seed, stream)) }}
{%- endmacro %}

{% macro default__uniform(key, seed, stream) -%}
  {%- set c = negsample._uniform_constants(seed, stream) -%}
  {%- set k = "cast(" ~ key ~ " as bigint)" -%}
  {%- set low = negsample._bitand(k, 4294967295) -%}
  {%- set high = negsample._bitand(negsample._shiftright(k, 32), 4294967295) -%}
  {%- set first = negsample._lowbias32(negsample._bitxor(low, c[0])) -%}
  {%- set mixed = negsample._lowbias32(negsample._bitxor(first, negsample._bitxor(high, c[1]))) -%}
  {#- A whole number below 2^32 over 2^32: exact in a double. #}
  (cast({{ mixed }} as {{ negsample._double() }}) / 4294967296.0)
{%- endmacro %}

{#-
  The lowbias32 finalizer on a value in [0, 2^32): x ^= x >> 16;
  x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16, every
  product taken modulo 2^32. 0x846ca68b - 2^32 = -2073254261 gives the same
  low 32 bits and keeps the product inside the BIGINT range.
-#}
{% macro _lowbias32(value) -%}
  {%- set x = negsample._xorshift(value, 16) -%}
  {%- set x = negsample._bitand("(" ~ x ~ " * 2146121005)", 4294967295) -%}
  {%- set x = negsample._xorshift(x, 15) -%}
  {%- set x = negsample._bitand("(" ~ x ~ " * -2073254261)", 4294967295) -%}
  {{ return(negsample._xorshift(x, 16)) }}
{%- endmacro %}

{#- x ^ (x >> bits) for a non-negative BIGINT x. -#}
{% macro _xorshift(value, bits) -%}
  {{ return(negsample._bitxor(value, negsample._shiftright(value, bits))) }}
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
