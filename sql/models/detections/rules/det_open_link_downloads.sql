{%- set t = detection_rule(
    title='Many downloads through a shared link',
    severity='medium',
    tactic='Exfiltration',
    technique='T1567',
    technique_name='Exfiltration Over Web Service',
    false_positives='A public release, a webinar deck sent to many people: expected for items meant for anyone.',
    runbook='Check the item and its link (summary); if it is not meant to be public, disable or restrict the link and find where it was posted (the downloading addresses).',
    thresholds={'downloads': 25, 'window_minutes': 60},
    references=['Panther: Box Large Number of Downloads (anonymous variant)'],
) -%}
-- One item downloaded many times by people who are not signed in (Box's anonymous user, through a
-- shared link) within a rolling window: a link that has escaped. The actor is the item's owner.
with downloads as (
    select *, coalesce(item_id, shared_link_id) as item_key
    from {{ ref('audit_file_access') }}
    where event_type in ('DOWNLOAD', 'FILE_WATERMARKED_DOWNLOAD') and actor_is_anonymous
)

{% call burst_findings(t, 'downloads', 'item_key', t.window_minutes, t.downloads, subject='max(item_name)',
                       actor_id='max(owner_id)', actor_login='max(owner_login)') -%}
    {{ label('max(item_name)', 'an item') }} || ' (owner ' || {{ label('max(owner_login)') }} || ') downloaded '
    || {{ counted('count(*)', 'time') }} || ' through a shared link from '
    || {{ counted('count(distinct ip_address)', 'address', 'addresses') }} || ', '
    || cast(max(burst_peak) as {{ text_type() }}) || ' within {{ t.window_minutes }} minutes'
{%- endcall %}
