-- Tasks, task assignments, comments and annotations on files.
-- materialized: incremental
select
    e.*,
    e.additional_details ->> '$.task_id' as task_id,
    e.additional_details ->> '$.comment_id' as comment_id,
    e.additional_details ->> '$.message' as message
from stg_box__events as e
where e.category = 'tasks_and_comments'
