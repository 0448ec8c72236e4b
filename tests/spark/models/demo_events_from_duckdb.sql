-- The demo rows as DuckDB loaded them (the package's seed), bit for bit.
select * from parquet.`{{ env_var('NEGSAMPLE_SPARK_EXPORTS') }}/demo_events.parquet`
