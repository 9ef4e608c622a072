{%- set t = detection_rule(
    title='Large number of downloads',
    severity='high',
    tactic='Exfiltration',
    technique='T1530',
    technique_name='Data from Cloud Storage',
    false_positives='A user syncing a large folder to a new laptop; a migration or backup tool running as a person rather than as a listed service account.',
    runbook='Check what was downloaded (event_ids) and from where; ask the user; if unexplained, suspend the user, revoke their sessions and review sharing of the downloaded items.',
    thresholds={'downloads': 100, 'window_minutes': 60},
    references=['Panther: Box Large Number of Downloads', 'Sentinel: Box - Downloads by volume'],
) -%}
-- Large number of downloads (Panther's "Box Large Number of Downloads", with a rolling window).
with downloads as (
    select *
    from {{ ref('audit_file_access') }}
    where
        event_type in ('DOWNLOAD', 'FILE_WATERMARKED_DOWNLOAD')
        and not actor_is_anonymous
        and not {{ is_service_account('actor_login') }}
)

{% call burst_findings(t, 'downloads', 'actor_id', t.window_minutes, t.downloads,
                       subject=counted('count(distinct item_id)', 'distinct item')) -%}
    {{ label('max(actor_login)', 'a user') }} || ' downloaded ' || {{ counted('count(*)', 'file') }}
    || ', ' || cast(max(burst_peak) as {{ text_type() }}) || ' within {{ t.window_minutes }} minutes'
{%- endcall %}
