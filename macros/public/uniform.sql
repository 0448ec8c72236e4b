{#-
  Seeded uniform draw in [0, 1) for an integer key.

  Pure BIGINT arithmetic on 32-bit halves: the key's low and high 32 bits
  each pass, XORed with a residue of the seed and the stream, through the
  "lowbias32" integer finalizer (xor-shift, multiply, xor-shift, multiply,
  xor-shift, modulo 2^32). Every value is below 2^32 and every multiplier is
  below 2^31 in magnitude (the second one is written as its negative
  two's-complement twin), so no product leaves the BIGINT range: the bits
  are the same on every engine and in every DuckDB version, whatever the
  thread count or the partitioning. The Python twin is
  negsample.oracle.reference.uniform; the tests hold the two to the same bits.

  The steps are declared once (_uniform_steps) and rendered two ways: as
  one expression here, for any query, and as named columns in successive
  CTEs (_uniform_layers) in the models that draw every row, where each step
  is computed once and the SQL grows linearly with the steps.
-#}
{% macro uniform(key, seed, stream) -%}
  {{ return(adapter.dispatch('uniform', 'negsample')(key, seed, stream)) }}
{%- endmacro %}

{% macro default__uniform(key, seed, stream) -%}
  {{ negsample._nested_expression(negsample._uniform_steps(key, seed, stream, 'u')) }}
{%- endmacro %}

{#-
  The uniform's steps as a list of (name, SQL), in order; each step's SQL
  reads the key or the names of earlier steps (as bare columns), and the
  last step is the uniform. `prefix` names the steps (prefix_k, prefix_lo,
  ..., and `prefix` itself for the uniform), so that two streams drawn in
  one query do not share names.

  lowbias32 on a value x in [0, 2^32): x ^= x >> 16; x *= 0x7feb352d;
  x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16, every product taken modulo
  2^32. 0x846ca68b - 2^32 = -2073254261 gives the same low 32 bits and
  keeps the product inside the BIGINT range.
-#}
{% macro _uniform_steps(key, seed, stream, prefix) -%}
  {%- set mask = 4294967295 -%}
  {%- set c = negsample._uniform_constants(seed, stream) -%}
  {%- set p = prefix ~ '_' -%}
  {%- set steps = [
    (p ~ 'k', 'cast(' ~ key ~ ' as bigint)'),
    (p ~ 'lo', negsample._bitand(p ~ 'k', mask)),
    (p ~ 'hi', negsample._bitand(negsample._shiftright(p ~ 'k', 32), mask)),
    (p ~ 'a0', negsample._bitxor(p ~ 'lo', c[0])),
  ] -%}
  {%- do steps.extend(negsample._lowbias32_steps(p ~ 'a')) -%}
  {%- do steps.append((p ~ 'b0', negsample._bitxor(p ~ 'a5', negsample._bitxor(p ~ 'hi', c[1])))) -%}
  {%- do steps.extend(negsample._lowbias32_steps(p ~ 'b')) -%}
  {#- A whole number below 2^32 over 2^32: exact in a double. -#}
  {%- do steps.append((prefix, '(cast(' ~ p ~ 'b5 as ' ~ negsample._double() ~ ') / 4294967296.0)')) -%}
  {{ return(steps) }}
{%- endmacro %}

{#- The finalizer's five steps, from <name>0 to <name>5. -#}
{% macro _lowbias32_steps(name) -%}
  {%- set mask = 4294967295 -%}
  {{ return([
    (name ~ '1', negsample._bitxor(name ~ '0', negsample._shiftright(name ~ '0', 16))),
    (name ~ '2', negsample._bitand('(' ~ name ~ '1 * 2146121005)', mask)),
    (name ~ '3', negsample._bitxor(name ~ '2', negsample._shiftright(name ~ '2', 15))),
    (name ~ '4', negsample._bitand('(' ~ name ~ '3 * -2073254261)', mask)),
    (name ~ '5', negsample._bitxor(name ~ '4', negsample._shiftright(name ~ '4', 16))),
  ]) }}
{%- endmacro %}

{#-
  The steps as successive layers of named columns (see _column_layers): the
  steps of every stream in `streams` (a list of (prefix, stream)) side by
  side, one layer per step.
-#}
{% macro _uniform_layers(key, seed, streams) -%}
  {%- set per_stream = [] -%}
  {%- for prefix, stream in streams -%}
    {%- do per_stream.append(negsample._uniform_steps(key, seed, stream, prefix)) -%}
  {%- endfor -%}
  {%- set layers = [] -%}
  {%- for i in range(per_stream[0] | length) -%}
    {%- set layer = [] -%}
    {%- for steps in per_stream %}{% do layer.append(steps[i]) %}{% endfor -%}
    {%- do layers.append(layer) -%}
  {%- endfor -%}
  {{ return(layers) }}
{%- endmacro %}

{#-
  One expression from steps (name, SQL): each name is replaced by its
  step's SQL, from the last step back. Every step's SQL is atomic (a call,
  a cast or a parenthesised expression), so it needs no parentheses of its
  own; names are whole words, so a name inside another is never replaced.
-#}
{% macro _nested_expression(steps) -%}
  {%- set ns = namespace(sql=steps[-1][1]) -%}
  {%- for name, sql in (steps[:-1] | reverse) -%}
    {%- set ns.sql = modules.re.split('\\b' ~ name ~ '\\b', ns.sql) | join(sql) -%}
  {%- endfor -%}
  {{ return(ns.sql) }}
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
