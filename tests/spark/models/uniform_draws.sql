-- The seeded uniform on Spark for integer keys (edge cases included) and
-- string keys, with an integer seed and with the seed as a SQL expression.
select
    int_key,
    text_key,
    seed_value,
    {{ negsample._string_key('text_key') }} as text_key_value,
    {{ negsample.uniform('int_key', 42, 'sample') }} as u_int,
    {{ negsample.uniform(negsample._string_key('text_key'), 42, 'pilot') }} as u_text,
    {{ negsample.uniform('int_key', 'seed_value', 3) }} as u_seed_expression
from parquet.`{{ env_var('NEGSAMPLE_SPARK_EXPORTS') }}/uniform_keys.parquet`
