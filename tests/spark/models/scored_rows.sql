-- The scored view with each row's pi and keep flag, materialized so the test
-- can read them after the session ends.
select
    scored.*,
    probs.sampling_prob,
    probs.is_sampled
from {{ ref('negsample_scored') }} as scored
inner join {{ ref('negsample_sampling_probs') }} as probs on scored.id = probs.id
