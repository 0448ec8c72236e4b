-- The clicks table as the project's staging model: a design (and the
-- default design) may sample a model of the root project.
select * from {{ ref('click_events_raw') }}
