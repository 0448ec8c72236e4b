-- The DuckDB run's final fits without is_reference and without reference
-- rows, as coefficients fitted elsewhere may come: the reference is the level left out.
select * from parquet.`{{ env_var('NEGSAMPLE_SPARK_EXPORTS') }}/final_coefficients.parquet`
