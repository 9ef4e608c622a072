{%- set t = detection_rule(
    title='Uploads by volume',
    severity='info',
    kind='hunt',
    tactic='Collection',
    technique='T1074.002',
    technique_name='Data Staged: Remote Data Staging',
    false_positives='Migrations and bulk imports run under a person\'s account, users syncing a large local folder for the first time (Box Drive), scanners and media teams.',
    runbook='Check what was uploaded and where (audit_content_changes for the user and the period): data gathered from many places into one folder and then shared or downloaded elsewhere is staging; a burst of new versions of existing files (new_version_count) from one device can be ransomware encrypting a synced folder (T1486): stop the sync, and restore the previous versions.',
    thresholds={'days': 7, 'min_uploads': 50, 'top_n': 25},
    references=['Sentinel: Box - Uploaded data volume per user', 'hunt_downloads_by_volume'],
) -%}
-- The users who uploaded the most in the `days` days up to the newest event loaded: one row per user
-- (entity: the login) with at least `min_uploads` uploads, the `top_n` by count (ties at the last
-- place all listed), with the bytes, new files and new versions, distinct items and rank. Uploads
-- are UPLOAD and ITEM_UPLOAD (new files) and EDIT (a new version uploaded); anonymous uploads (file
-- requests) and the listed service accounts are left out, as in the volume rules. Sentinel's version
-- summed sizes over the last day with no floor, keyed by the display name, and counted new files only.
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

per_user as (
    select
        e.actor_id,
        max(e.actor_login) as actor_login,
        count(*) as upload_count,
        sum(case when e.event_type = 'EDIT' then 1 else 0 end) as new_version_count,
        coalesce(sum(e.file_size_bytes), 0) as upload_bytes,
        count(distinct e.item_id) as distinct_items,
        min(e.occurred_at) as first_seen_at,
        max(e.occurred_at) as last_seen_at
    from {{ ref('audit_content_changes') }} as e
    cross join as_of
    where
        e.event_type in ('UPLOAD', 'ITEM_UPLOAD', 'EDIT')
        and e.actor_id is not null
        and not e.actor_is_anonymous
        and not {{ is_service_account('e.actor_login') }}
        and {{ epoch_seconds('e.occurred_at') }} > {{ epoch_seconds('as_of.as_of_at') }} - {{ t.days * 86400 }}
    group by e.actor_id
),

ranked as (
    select
        p.*,
        rank() over (order by p.upload_count desc) as volume_rank
    from per_user as p
    where p.upload_count >= {{ t.min_uploads }}
)

select
    coalesce(actor_login, actor_id) as entity,
    actor_id,
    actor_login,
    upload_count,
    upload_count - new_version_count as new_file_count,
    new_version_count,
    upload_bytes,
    distinct_items,
    volume_rank,
    first_seen_at,
    last_seen_at,
    upload_count as event_count,
    {{ label('actor_login', 'a user') }} || ' uploaded ' || {{ counted('upload_count', 'file') }} || ' ('
    || cast(new_version_count as {{ text_type() }}) || ' of them new versions, '
    || cast(upload_bytes as {{ text_type() }}) || ' bytes, ' || {{ counted('distinct_items', 'distinct item') }}
    || ') in {{ t.days }} days, rank ' || cast(volume_rank as {{ text_type() }}) as summary
from ranked
where volume_rank <= {{ t.top_n }}
