-- Every finding of every enabled rule, in one table for alerting and triage (`boxevents
-- detections`; with its triage state in `detection_findings`). One row per finding, the rule's
-- metadata beside what it found. `detection_id` is a digest of the rule, the day and the entity the
-- finding is about, so it stays the same when late events join the finding or the table is rebuilt.
-- Hunts (hunt_*) are lists to browse, not findings: they are not here.
-- Days are rebuilt from the day before the first touched one (a rolling window that starts before
-- midnight belongs to the day it started on) through the newest: a finding compares with the days
-- before it (`rebuilt_days`, macros/incremental.sql).
{{ config(**day_local_incremental(rebuilds="history")) }}
{%- set rules = [] -%}
{%- for name in detection_models() if name.startswith('det_') -%}
  {%- set meta = detection_meta(name) -%}
  {%- if meta.per_event_type or not rule_is_disabled(meta.rule_id) -%}
    {%- do rules.append((ref(name), meta)) -%}
  {%- endif -%}
{%- endfor %}

with findings as (
{%- for relation, meta in rules %}
    {% if not loop.first %}union all{% endif %}
    select
        {% if meta.per_event_type -%}
        f.rule_id,
        f.rule_title,
        {%- else -%}
        '{{ meta.rule_id }}' as rule_id,
        {{ sql_text(meta.title) }} as rule_title,
        {%- endif %}
        f.severity,
        '{{ meta.tactic }}' as tactic,
        '{{ meta.technique }}' as technique,
        f.occurred_on,
        f.first_seen_at,
        f.last_seen_at,
        cast(f.entity as {{ text_type() }}) as entity,
        f.actor_id,
        f.actor_login,
        f.subject,
        f.event_count,
        f.event_ids,
        f.summary,
        f._dlt_load_id
    from {{ relation }} as f
{%- endfor %}
)

select
    {{ digest("rule_id || ':' || cast(occurred_on as " ~ text_type() ~ ") || ':' || coalesce(entity, '')") }}
        as detection_id,
    findings.*
from findings
where true {{- only_touched_days(days=rebuilt_days()) }}
