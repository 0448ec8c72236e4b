-- The scored view, materialized so the test can read it after the session ends.
select * from {{ ref('negsample_scored') }}
