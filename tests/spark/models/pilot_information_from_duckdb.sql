-- The DuckDB run's inverse pilot information matrix, for the default a_optimal score.
select * from parquet.`{{ env_var('NEGSAMPLE_SPARK_EXPORTS') }}/pilot_information.parquet`
