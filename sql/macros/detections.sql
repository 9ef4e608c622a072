{#-
  The detection library's conventions (models/detections/README.md says how to write a rule).

  A rule is one model, `det_<rule id>` (a hunt: `hunt_<id>`), whose file starts with
  `detection_rule(...)`: its metadata (title, severity, ATT&CK, false positives, runbook) and its
  default thresholds, next to the SQL that finds it; its description and its test cases are in the
  `.yml` beside it. The metadata lands in the
  model's `meta`, from where `detection_rules` lists it and `detections` labels the findings.

  Every rule selects the same columns, one row per finding:
    occurred_on, first_seen_at, last_seen_at, severity, entity, actor_id, actor_login, subject,
    event_count, event_ids, summary, _dlt_load_id
  `entity` is what the finding is about (a user id, an IP address, an item, an event id): with the
  rule id and the day it makes the finding's stable `detection_id`, so a late event or a rebuild
  keeps the id (and the triage state on it).

  Tuning without editing SQL (dbt vars, or `[transforms.detections]` in .dlt/config.toml):
    rule_thresholds:   {rule_id: {threshold: value}}   overrides a rule's default thresholds
    disabled_rules:    [rule_id, ...]                   rules that produce no findings
    partner_domains:   [domain, ...]                    external, but trusted collaborators
    service_accounts:  [login, ...]                     automation exempt from volume rules
    trusted_ip_ranges: [CIDR, ...]                      office / VPN egress: not "new", not spraying
-#}


{#- Declare the model a rule (or hunt) and return its effective thresholds: the defaults given
    here, overridden by var `rule_thresholds` (plus `rule`: its id, title and severity). An override of a threshold the rule does not have
    fails the build with a message naming the ones it has. -#}
{% macro detection_rule(title, severity, tactic, technique, technique_name, false_positives, runbook,
                        thresholds={}, references=[], covers=[], kind='rule', per_event_type=false, description=none,
                        history=false) %}
  {%- set rule_id = model.name.split('_', 1)[1] -%}
  {%- for name in var('rule_thresholds', {}).get(rule_id, {}) if name not in thresholds -%}
    {{ exceptions.raise_compiler_error("rule_thresholds: rule " ~ rule_id ~ " has no threshold '" ~ name
       ~ "'; it has: " ~ (thresholds.keys() | list | join(', ') or 'none')) }}
  {%- endfor -%}
  {%- set effective = effective_thresholds({'rule_id': rule_id, 'thresholds': thresholds}) -%}
  {#- A rule that reads beyond the day of its finding (`history=true`: a login compared with every
      earlier one of the user, a window reaching into the day before) is a table rebuilt for its
      days (`rebuilt_days`: from the first touched one through the newest), like `detections`,
      reading the past only as far or as summarised as it needs
      (`since_touched`, `before_touched`): as a view, a filter on the day cannot reach through its
      joins and window functions, so every sync computed it over the whole history. Every other
      rule is a view over its audit table. -#}
  {%- set materialization = day_local_incremental(rebuilds='history') if history else {'materialized': 'view'} -%}
  {%- set meta = materialization.pop('meta', {}) -%}
  {%- do meta.update({'detection': {
      'rule_id': rule_id, 'kind': kind, 'title': title, 'severity': severity, 'tactic': tactic,
      'technique': technique, 'technique_name': technique_name,
      'false_positives': false_positives, 'runbook': runbook, 'thresholds': thresholds,
      'references': references, 'covers': covers, 'per_event_type': per_event_type}}) -%}
  {{ config(tags=['detection', kind] + (['history'] if history else []), meta=meta, **materialization) }}
  {%- do effective.update({'rule': {'id': rule_id, 'severity': severity, 'title': title}}) -%}
  {{ return(effective) }}
{% endmacro %}

{#- A rule's metadata (from its `detection_rule` call, via dbt's graph). While dbt parses, the graph
    is not there yet: a stand-in with the rule id keeps the SQL renderable. -#}
{% macro detection_meta(model_name) %}
  {%- if execute -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}
      {{ exceptions.raise_compiler_error("detection_models() names " ~ model_name ~ ", which is not a model") }}
    {%- endif -%}
    {#- the description is the model's own (its .yml), where dbt's docs show it too -#}
    {%- set meta = {} -%}
    {%- do meta.update(node.config.meta.detection) -%}
    {%- do meta.update({'description': node.description}) -%}
    {{ return(meta) }}
  {%- endif -%}
  {{ return({'rule_id': model_name.split('_', 1)[1], 'title': '', 'tactic': '', 'technique': '', 'per_event_type': false}) }}
{% endmacro %}

{#- Findings are rebuilt from this many days before the first touched day (on through the newest: a
    finding compares with the days before it): a rolling window that starts before midnight belongs
    to the day it started on. -#}
{% macro findings_lookback_days() %}{{ return(1) }}{% endmacro %}

{#- A rule switched off by var `disabled_rules`. -#}
{% macro rule_is_disabled(rule_id) %}{{ return(rule_id in var('disabled_rules', [])) }}{% endmacro %}

{#- `expression in (values)` for a compile-time list of text values; false for an empty list. -#}
{% macro in_list(expression, values) -%}
  {%- if values | length == 0 -%}false{%- else -%}
  coalesce(lower({{ expression }}) in ({% for v in values %}{{ sql_text(v | lower) }}{% if not loop.last %}, {% endif %}{% endfor %}), false)
  {%- endif -%}
{%- endmacro %}

{#- A login of a partner domain (var `partner_domains`): external, but expected. -#}
{% macro is_partner_domain(domain) %}{{ in_list(domain, var('partner_domains', [])) }}{% endmacro %}

{#- A service account (var `service_accounts`): automation, exempt from volume rules. -#}
{% macro is_service_account(login) %}{{ in_list(login, var('service_accounts', [])) }}{% endmacro %}

{#- An IPv4 address as a number (NULL for anything else), for range checks. -#}
{% macro ipv4_number(ip) -%}
  (case when {{ ip }} like '%.%.%.%' and {{ ip }} not like '%:%' then
    {{ safe_cast(text_part(ip, '.', 1), 'bigint') }} * 16777216 + {{ safe_cast(text_part(ip, '.', 2), 'bigint') }} * 65536
    + {{ safe_cast(text_part(ip, '.', 3), 'bigint') }} * 256 + {{ safe_cast(text_part(ip, '.', 4), 'bigint') }}
  end)
{%- endmacro %}

{#- An address inside var `trusted_ip_ranges` (CIDR: IPv4 any prefix length, IPv6 a prefix length
    that is a multiple of 16, e.g. 2001:db8::/32). The ranges become number bounds at compile time. -#}
{% macro is_trusted_ip(ip) -%}
  {%- set ranges = var('trusted_ip_ranges', []) -%}
  {%- if ranges | length == 0 -%}false{%- else -%}
  coalesce(
  {%- for cidr in ranges -%}
    {%- set address, bits = (cidr ~ ('/128' if ':' in cidr else '/32')).split('/')[:2] -%}
    {%- set bits = bits | int -%}
    {%- if ':' in address -%}
      {%- if bits % 16 != 0 -%}
        {{ exceptions.raise_compiler_error("trusted_ip_ranges: " ~ cidr ~ " - an IPv6 prefix length must be a multiple of 16 (e.g. /32, /48)") }}
      {%- endif -%}
      {%- set groups = address.split('::')[0].split(':') -%}
      {%- set prefix = (groups[:bits // 16] | join(':')) | lower -%}
      lower({{ ip }}) like '{{ prefix }}:%'
    {%- else -%}
      {%- set octets = address.split('.') -%}
      {%- if octets | length != 4 -%}
        {{ exceptions.raise_compiler_error("trusted_ip_ranges: " ~ cidr ~ " is not an IPv4 or IPv6 range such as 203.0.113.0/24") }}
      {%- endif -%}
      {%- set base = (octets[0] | int) * 16777216 + (octets[1] | int) * 65536 + (octets[2] | int) * 256 + (octets[3] | int) -%}
      {%- set size = 2 ** (32 - bits) -%}
      {%- set low = (base // size) * size -%}
      {{ ipv4_number(ip) }} between {{ low }} and {{ low + size - 1 }}
    {%- endif -%}
    {%- if not loop.last %} or {% endif -%}
  {%- endfor -%}
  , false)
  {%- endif -%}
{%- endmacro %}

{#- The network an address belongs to: its IPv4 /16 or IPv6 /32 (a provider's or a site's block,
    stable for a mobile user whose address changes inside it). -#}
{% macro ip_network(ip) -%}
  (case
    when {{ ip }} like '%:%' then lower({{ text_part(ip, ':', 1) }} || ':' || {{ text_part(ip, ':', 2) }}) || '::/32'
    when {{ ip }} like '%.%.%.%' then {{ text_part(ip, '.', 1) }} || '.' || {{ text_part(ip, '.', 2) }} || '.0.0/16'
  end)
{%- endmacro %}

{#- The events of `relation` that fall inside a burst: a window of `window_seconds` (rolling, not
    clock hours) in which one `key` has at least `min_events` of them. A burst belongs to the UTC day
    it starts on (`window_day`) and keeps its events after midnight (windows of up to a day: each
    event is also offered to the windows of the day before). Adds `burst_peak`, the most events of
    the key in one window that day. Everything is a window function partitioned by key and day, so
    it scales with the events, and a filter on the day reaches the scan (the incremental build reads
    only the days it rebuilds, not the whole history): each event meets its two window days through
    one join with the calendar (`dim_date`), so `relation` is read once and the days the filter
    keeps bound the events read (DuckDB passes the join's day range to the scan, which skips the
    other days' blocks); two reads of it (a union) made DuckDB compute it whole first. -#}
{% macro burst_events(relation, key, window_seconds, min_events) -%}
  {%- if window_seconds > 86400 -%}
    {{ exceptions.raise_compiler_error("a burst window is at most a day (" ~ window_seconds ~ " s given)") }}
  {%- endif -%}
  select m.*
  from (
    select
      c.*,
      max(case when c.in_window >= {{ min_events }} and c.occurred_on = c.window_day then c.at_second end) over (
        partition by c.{{ key }}, c.window_day order by c.at_second range between unbounded preceding and current row
      ) as burst_start,
      max(case when c.occurred_on = c.window_day then c.in_window end) over (
        partition by c.{{ key }}, c.window_day
      ) as burst_peak
    from (
      select
        b.*,
        count(*) over (
          partition by b.{{ key }}, b.window_day order by b.at_second
          range between current row and cast({{ window_seconds - 1 }} as bigint) following
        ) as in_window
      from (
        select r.*, w.window_day, {{ epoch_seconds('r.occurred_at') }} as at_second
        from {{ relation }} as r
        join (
          select day as occurred_on, day as window_day from {{ ref('dim_date') }}
          union all
          select day as occurred_on, {{ days_before('day', 1) }} as window_day from {{ ref('dim_date') }}
        ) as w on w.occurred_on = r.occurred_on
      ) as b
    ) as c
  ) as m
  where m.burst_start is not null and m.at_second < m.burst_start + {{ window_seconds }}
{%- endmacro %}

{#- A Shield risk score (0-100) as a finding's severity. -#}
{% macro severity_by_score(score, high, medium) -%}
  (case when {{ score }} >= {{ high }} then 'high' when {{ score }} >= {{ medium }} then 'medium' else 'low' end)
{%- endmacro %}

{#- Text of a value for a summary, never NULL. -#}
{% macro label(expression, fallback='?') -%}
  coalesce(cast({{ expression }} as {{ text_type() }}), '{{ fallback }}')
{%- endmacro %}

{#- "1 file" / "3 files": a count and its noun, for summaries. -#}
{% macro counted(expression, singular, plural=none) -%}
  (cast({{ expression }} as {{ text_type() }}) || case when {{ expression }} = 1 then ' {{ singular }}' else ' {{ plural or singular ~ "s" }}' end)
{%- endmacro %}

{#- The thresholds a rule runs with: its defaults, overridden by var `rule_thresholds`. -#}
{% macro effective_thresholds(meta) %}
  {%- set effective = {} -%}
  {%- do effective.update(meta.thresholds or {}) -%}
  {%- do effective.update(var('rule_thresholds', {}).get(meta.rule_id, {})) -%}
  {{ return(effective) }}
{% endmacro %}

{#- The event types the catalog marks high or critical that a dedicated rule covers (`covers=`):
    the catalog rule leaves those to it. -#}
{% macro covered_event_types() %}
  {%- set covered = [] -%}
  {%- for name in detection_models() -%}
    {%- do covered.extend(detection_meta(name).covers or []) -%}
  {%- endfor -%}
  {{ return(covered | unique | sort | list) }}
{% endmacro %}

{#- The triage table: what analysts decided about findings (`boxevents detections ack|suppress|
    resolve`), one row per decision, newest last. It is not a model, so no rebuild (not even
    `--full-refresh`) drops it; this hook only creates it when it is missing. -#}
{% macro create_triage_table() %}
  create table if not exists {{ target.schema }}.detection_triage (
      detection_id {{ text_type() }} not null,
      rule_id {{ text_type() }},
      entity {{ text_type() }},
      status {{ text_type() }} not null,
      note {{ text_type() }},
      suppressed_until {{ timestamp_tz_type() }},
      changed_at {{ timestamp_tz_type() }} not null,
      changed_by {{ text_type() }}
  )
{% endmacro %}

{#- The columns of a finding made of one event (the row's own event), with the summary given as the
    call block's body:
        select
        {%- call event_finding(t, subject='target_user_login') %}
            {{ label('actor_login') }} || ' made ' || ...
        {%- endcall %}
        from {{ ref('audit_users_and_groups') }} where ...
    `severity` (SQL) defaults to the rule's; `actor_id` / `actor_login` (SQL) to the event's actor;
    `entity` (SQL) to the event itself. -#}
{% macro event_finding(t, subject, severity=none, actor_id='actor_id', actor_login='actor_login', summary=none, entity='event_id') -%}
    occurred_on,
    occurred_at as first_seen_at,
    occurred_at as last_seen_at,
    {{ severity or sql_text(t.rule.severity) }} as severity,
    {{ entity }} as entity,
    {{ actor_id }} as actor_id,
    {{ actor_login }} as actor_login,
    {{ subject }} as subject,
    1 as event_count,
    event_id as event_ids,
    {{ summary or caller() }} as summary,
    _dlt_load_id
{%- endmacro %}

{#- The columns of a finding made of a group of events (the rule groups by `occurred_on` and what
    `entity` names), summary as the call block's body; every argument is SQL over the group. -#}
{% macro grouped_finding(t, entity, subject, severity=none, actor_id='max(actor_id)', actor_login='max(actor_login)', summary=none, day='occurred_on') -%}
    {{ day }} as occurred_on,
    min(occurred_at) as first_seen_at,
    max(occurred_at) as last_seen_at,
    {{ severity or sql_text(t.rule.severity) }} as severity,
    {{ entity }} as entity,
    {{ actor_id }} as actor_id,
    {{ actor_login }} as actor_login,
    {{ subject }} as subject,
    count(*) as event_count,
    {{ id_list('event_id') }} as event_ids,
    {{ summary or caller() }} as summary,
    max(_dlt_load_id) as _dlt_load_id
{%- endmacro %}

{#- One finding per `key` and UTC day a burst of `relation`'s events starts on (`burst_events`:
    `min_events` within any `window_minutes`, the burst's events after midnight included);
    `burst_peak` is there for the summary. -#}
{% macro burst_findings(t, relation, key, window_minutes, min_events, subject, actor_id='max(actor_id)', actor_login='max(actor_login)') -%}
select
{{ grouped_finding(t, key, subject, actor_id=actor_id, actor_login=actor_login, summary=caller(), day='window_day') }}
from ({{ burst_events(relation, key, window_minutes * 60, min_events) }}) as burst
group by window_day, {{ key }}
{%- endmacro %}

{#- Which of `extensions` (a list, any case, a leading dot allowed) a file name ends in: the end of
    the name after its last dot, in any case (`setup.EXE` is `exe`; `setup.exe.txt` is not); NULL for
    none, or when the list is empty. -#}
{% macro file_extension(name, extensions) -%}
  {%- set wanted = extensions | map('lower') | map('trim', '.') | reject('equalto', '') | list -%}
  {%- if wanted -%}
  (case
    {%- for ext in wanted %}
    when right(lower({{ name }}), {{ ext | length + 1 }}) = {{ sql_text('.' ~ ext) }} then {{ sql_text(ext) }}
    {%- endfor %}
  end)
  {%- else -%}
  cast(null as {{ text_type() }})
  {%- endif -%}
{%- endmacro %}

{#- An event (its epoch second) at least `days` after the first event the warehouse holds: a rule
    that calls something "new" speaks only once there is that much history to compare with. The
    minimum of the column itself: one read of it, not an expression computed for every row. -#}
{% macro after_history_of(at_second, days) -%}
  {{ at_second }} >= {{ epoch_seconds("(select min(occurred_at) from " ~ ref('stg_box__events') ~ ")") }} + {{ days * 86400 }}
{%- endmacro %}

{#- Events only an admin or co-admin can perform: who performs one is an admin (the admin hunts'
    default `admin_event_types`). -#}
{% macro admin_only_event_types() %}
  {{ return([
    'ADMIN_LOGIN', 'CHANGE_ADMIN_ROLE', 'NEW_USER', 'DELETE_USER',
    'LEGAL_HOLD_POLICY_CREATE', 'LEGAL_HOLD_POLICY_UPDATE', 'LEGAL_HOLD_POLICY_DELETE',
    'LEGAL_HOLD_ASSIGNMENT_CREATE', 'LEGAL_HOLD_ASSIGNMENT_DELETE',
    'DATA_RETENTION_CREATE_RETENTION', 'DATA_RETENTION_REMOVE_RETENTION', 'RETENTION_POLICY_ASSIGNMENT_ADD',
    'SHIELD_ACCESS_POLICY_CREATED', 'SHIELD_ACCESS_POLICY_UPDATED', 'SHIELD_ACCESS_POLICY_DELETED',
    'SHIELD_INFORMATION_BARRIER_ENABLED', 'SHIELD_INFORMATION_BARRIER_DISABLED',
    'EXTERNAL_COLLAB_SECURITY_SETTINGS', 'ENTERPRISE_APP_AUTHORIZATION_UPDATE',
  ]) }}
{% endmacro %}
