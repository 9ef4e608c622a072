-- Every detection in one table, for alerting and triage. One row per finding, with a stable
-- `detection_id` (a hash of the rule and the events it is built on).
{{ config(**day_local_incremental()) }}
with findings as (
    select * from {{ ref('detect_mass_download') }}
    union all
    select * from {{ ref('detect_failed_login_burst') }}
    union all
    select * from {{ ref('detect_login_many_ips') }}
    union all
    select * from {{ ref('detect_new_admin') }}
    union all
    select * from {{ ref('detect_external_collab_invite') }}
    union all
    select * from {{ ref('detect_malicious_file') }}
    union all
    select * from {{ ref('detect_shield_alert') }}
    union all
    select * from {{ ref('detect_open_shared_link') }}
)

select
    {{ digest("detection || ':' || event_ids") }} as detection_id,
    findings.*
from findings
where true {{- only_touched_days() }}
