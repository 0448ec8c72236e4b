-- The label and the score t(x) of every row, materialized for exact_budget_scale.
select
    label as label_value,
    sampling_score
from {{ ref('negsample_sampling_probs') }}
