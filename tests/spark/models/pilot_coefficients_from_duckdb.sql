-- The DuckDB run's pilot fit, in the full coefficient contract (is_reference included).
select * from parquet.`{{ env_var('NEGSAMPLE_SPARK_EXPORTS') }}/pilot_coefficients.parquet`
