-- Every finding with its triage state. The newest decision on a finding gives its status; a
-- suppression covers the finding's rule and entity (the same user, address or item) until it
-- expires, so a suppressed burst by a user does not come back tomorrow as a new finding; an expired
-- suppression leaves the finding new again, and the newest suppression of a rule and entity wins.
{{ config(materialized='view') }}
with decisions as (
    select
        t.*,
        row_number() over (partition by t.detection_id order by t.changed_at desc) as newest
    from {{ source('box_audit_state', 'detection_triage') }} as t
),

-- the newest suppression of a rule and entity is the one in force (so a suppression can be cut short)
suppressions as (
    select rule_id, entity, suppressed_until
    from (
        select
            t.rule_id,
            t.entity,
            t.suppressed_until,
            row_number() over (partition by t.rule_id, t.entity order by t.changed_at desc) as newest
        from {{ source('box_audit_state', 'detection_triage') }} as t
        where t.status = 'suppressed'
    ) as latest
    where newest = 1 and suppressed_until > {{ now_utc() }}
)

select
    f.*,
    case
        when s.suppressed_until is not null then 'suppressed'
        when d.status is null or d.status = 'suppressed' then 'new'
        else d.status
    end as status,
    d.note,
    d.changed_at as status_changed_at,
    d.changed_by as status_changed_by,
    s.suppressed_until
from {{ ref('detections') }} as f
left join decisions as d on d.detection_id = f.detection_id and d.newest = 1
left join suppressions as s on s.rule_id = f.rule_id and s.entity = f.entity
