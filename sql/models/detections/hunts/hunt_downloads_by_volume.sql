{%- set t = detection_rule(
    title='Downloads by volume',
    severity='info',
    kind='hunt',
    tactic='Collection',
    technique='T1530',
    technique_name='Data from Cloud Storage',
    false_positives='Users syncing folders to a new device (Box Drive, Box Sync), project leads collecting deliverables, migrations run under a person\'s account.',
    runbook='Compare each user with their usual volume and role; for an outlier, check what was downloaded (audit_file_access for the user and the period), from which addresses and devices, and whether the user is leaving; if unexplained, suspend the sessions and review the items\' sharing.',
    thresholds={'days': 7, 'min_downloads': 50, 'top_n': 25},
    references=['Sentinel: Box - Downloaded data volume per user', 'det_mass_download'],
) -%}
-- The users who downloaded the most in the `days` days up to the newest event loaded: one row per
-- user (entity: the login) with at least `min_downloads` downloads, the `top_n` by count (ties at
-- the last place all listed), with the bytes, distinct files and rank. Downloads are DOWNLOAD,
-- ITEM_DOWNLOAD and FILE_WATERMARKED_DOWNLOAD; anonymous (shared-link) downloads and the listed
-- service accounts are left out, as in the volume rules. Sentinel's version summed sizes over the
-- last day with no floor, keyed by the display name (not unique), and listed everyone.
with as_of as (
    select max(occurred_at) as as_of_at from {{ ref('stg_box__events') }}
),

per_user as (
    select
        e.actor_id,
        max(e.actor_login) as actor_login,
        count(*) as download_count,
        coalesce(sum(e.file_size_bytes), 0) as download_bytes,
        count(distinct e.item_id) as distinct_items,
        min(e.occurred_at) as first_seen_at,
        max(e.occurred_at) as last_seen_at
    from {{ ref('audit_file_access') }} as e
    cross join as_of
    where
        e.event_type in ('DOWNLOAD', 'ITEM_DOWNLOAD', 'FILE_WATERMARKED_DOWNLOAD')
        and e.actor_id is not null
        and not e.actor_is_anonymous
        and not {{ is_service_account('e.actor_login') }}
        and {{ epoch_seconds('e.occurred_at') }} > {{ epoch_seconds('as_of.as_of_at') }} - {{ t.days * 86400 }}
    group by e.actor_id
),

ranked as (
    select
        p.*,
        rank() over (order by p.download_count desc) as volume_rank
    from per_user as p
    where p.download_count >= {{ t.min_downloads }}
)

select
    coalesce(actor_login, actor_id) as entity,
    actor_id,
    actor_login,
    download_count,
    download_bytes,
    distinct_items,
    volume_rank,
    first_seen_at,
    last_seen_at,
    download_count as event_count,
    {{ label('actor_login', 'a user') }} || ' downloaded ' || {{ counted('download_count', 'file') }} || ' ('
    || cast(download_bytes as {{ text_type() }}) || ' bytes, ' || {{ counted('distinct_items', 'distinct item') }}
    || ') in {{ t.days }} days, rank ' || cast(volume_rank as {{ text_type() }}) as summary
from ranked
where volume_rank <= {{ t.top_n }}
