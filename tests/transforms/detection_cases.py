"""The detection rules' own test cases, turned into Box events.

Each rule's `.yml` beside its SQL (sql/models/detections/rules/, hunts/) lists cases under
`config.meta.cases`: a planted positive and near-miss negatives, written as a few lines of event
specs. This module expands them into events in the shapes Box sends (tests/fixtures/box_samples/),
so the cases travel the whole chain: emulator replay over HTTP -> pipeline -> warehouse -> dbt.

A case::

    - name: 100 downloads within 50 minutes
      expect: finding            # finding | none (hunts: row | none)
      severity: high             # optional: the finding's severity
      entity: burst              # hunts: the user (or `ip:` an address) the row is about
      events:
        - {type: DOWNLOAD, actor: burst, count: 100, every: 30s}

An event spec: `type`; `actor` (a name: `name` is name@acme.example, `name@domain` keeps the
domain; every name is made unique to its case by a prefix, unless it starts with `=`);
`anonymous: true` (Box's anonymous user, id 2); names may hold `{i}` (the repeat's number);
`at` (offset from the world's anchor day at 12:00 UTC: `-20d`, `+3h`, `-2d+30m`); `count` and
`every` (repeats); `ip` (text, `{i}` is the repeat's number); `item` / `folder` (names, `{i}`
too) and `classification`; `owner`; `collaborator` (accessible_by) and `role`, `old_role`;
`target` (the user an admin event is about); `group`; `app` (an application name); `shield`
({category, risk, priority, country}); `details` (merged into additional_details); `baseline: true`
(history: a positive's finding need not contain it, and a near-miss may raise findings on it; only
the other events are the near-miss's probe).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import NOW

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
RULE_DIRS = (SQL_DIR / "models" / "detections" / "rules", SQL_DIR / "models" / "detections" / "hunts")
ANCHOR = (NOW - timedelta(days=5)).replace(hour=12, minute=0, second=0)
"""12:00 UTC on the day the cases happen (offsets in `at` count from here)."""
COMPANY = "acme.example"
PARTNER = "partner.example"
SERVICE_ACCOUNT = "svc-backup@acme.example"
TRUSTED_RANGE = "198.51.100.0/24"
SETTINGS = {
    "company_domains": [COMPANY],
    "partner_domains": [PARTNER],
    "service_accounts": [SERVICE_ACCOUNT],
    "trusted_ip_ranges": [TRUSTED_RANGE],
}
"""The tuning the cases are written against: an allow-listed partner, a service account and an
office range, so near-misses can prove that each allow-list works."""

_DURATION = re.compile(r"([+-]?)(\d+)([dhms])")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
FAMILY_OF_PREFIX = (
    ("COLLABORATION_", "collaboration"),
    ("CHANGE_FOLDER_PERMISSION", "collaboration"),
    ("UPDATE_COLLABORATION", "collaboration"),
    ("GROUP_ADD_USER", "membership"),
    ("GROUP_REMOVE_USER", "membership"),
    ("GROUP_", "group"),
    ("SHIELD_ALERT", "shield_alert"),
    ("LOGIN", "login"),
    ("FAILED_LOGIN", "login"),
    ("ADMIN_LOGIN", "login"),
    ("ADD_LOGIN_ACTIVITY_DEVICE", "device"),
    ("REMOVE_LOGIN_ACTIVITY_DEVICE", "device"),
    ("DEVICE_TRUST_CHECK_FAILED", "device"),
    ("NEW_USER", "user"),
    ("EDIT_USER", "user"),
    ("DELETE_USER", "user"),
    ("CHANGE_ADMIN_ROLE", "user"),
    ("ACCESS_GRANTED", "user"),
    ("ACCESS_REVOKED", "user"),
    ("APPLICATION_", "app"),
    ("OAUTH2_", "app"),
    ("USER_AUTHENTICATE_OAUTH2", "app"),
    ("ENTERPRISE_APP_", "app"),
    ("LEGAL_HOLD_", "policy"),
    ("RETENTION_", "policy"),
    ("DATA_RETENTION_", "policy"),
    ("DISABLE_MULTI_FACTOR_AUTH", "none"),
)


@dataclass
class Case:
    """One case of one rule, expanded."""

    rule_id: str
    model: str
    name: str
    expect: str
    severity: str | None
    entity: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    finding_ids: set[str] = field(default_factory=set)
    """Events the finding must carry (all but the baseline)."""

    @property
    def all_ids(self) -> set[str]:
        return {e["event_id"] for e in self.events}

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.name}"


def offset(text: str | int | None) -> timedelta:
    """`-20d`, `+3h`, `-2d+30m`, `0` as a timedelta."""
    if text in (None, 0, "0"):
        return timedelta()
    seconds, matched = 0, ""
    for sign, number, unit in _DURATION.findall(str(text)):
        seconds += (-1 if sign == "-" else 1) * int(number) * _UNITS[unit]
        matched += f"{sign}{number}{unit}"
    if matched != str(text).replace(" ", ""):
        raise ValueError(f"{text!r}: an offset is like -20d, +3h or -2d+30m")
    return timedelta(seconds=seconds)


def numeric_id(text: str, digits: int = 11) -> str:
    """A stable numeric id (Box's ids are numeric strings)."""
    return str(int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10 ** (digits - 1) + 10 ** (digits - 1))


class _Names:
    """A case's people, made unique to it."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def login(self, name: str) -> str:
        if name.startswith("="):
            return name[1:]
        local, _, domain = name.partition("@")
        return f"{self.prefix}-{local}@{domain or COMPANY}"

    def user(self, name: str) -> dict[str, Any]:
        login = self.login(name)
        return {"type": "user", "id": numeric_id(login), "name": login.split("@")[0].title(), "login": login}


ANONYMOUS = {"type": "user", "id": "2", "name": "Anonymous User", "login": ""}


def load_cases() -> list[Case]:
    """Every case of every rule and hunt, in file order."""
    cases: list[Case] = []
    for directory in RULE_DIRS:
        for path in sorted(directory.glob("*.yml")):
            for model in yaml.safe_load(path.read_text())["models"]:
                specs = ((model.get("config") or {}).get("meta") or {}).get("cases") or []
                for number, spec in enumerate(specs):
                    cases.append(_expand(model["name"], number, spec))
    return cases


def _expand(model: str, number: int, spec: dict[str, Any]) -> Case:
    rule_id = model.split("_", 1)[1]
    prefix = f"{rule_id.replace('_', '')[:10]}{number}"
    names = _Names(prefix)
    case = Case(
        rule_id=rule_id,
        model=model,
        name=spec["name"],
        expect=spec["expect"],
        severity=spec.get("severity"),
        entity=spec.get("entity"),
    )
    if case.entity and not case.entity.startswith("ip:"):
        case.entity = names.login(case.entity)
    serial = 0
    for event_spec in spec["events"]:
        every = offset(event_spec.get("every", "1m"))
        for i in range(int(event_spec.get("count", 1))):
            event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{model}/{number}/{serial}"))
            serial += 1
            moment = ANCHOR + offset(event_spec.get("at")) + i * every
            event = _event(event_id, moment, event_spec, names, i)
            case.events.append(event)
            if not event_spec.get("baseline"):
                case.finding_ids.add(event_id)
    return case


def events_from_specs(name: str, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Box-shaped events from event specs in the cases' syntax (above), for tests that plant a small
    history of their own; `name` keeps their ids and names apart from the rules' cases."""
    return _expand(f"test_{name}", 0, {"name": name, "expect": "none", "events": specs}).events


def _family(event_type: str) -> str:
    for prefix, family in FAMILY_OF_PREFIX:
        if event_type.startswith(prefix):
            return family
    return "item"


def _fill(value: Any, i: int) -> Any:
    return value.replace("{i}", str(i)) if isinstance(value, str) else value


def _event(event_id: str, moment: datetime, spec: dict[str, Any], names: _Names, i: int) -> dict[str, Any]:
    """One Box event of `spec` (its `i`-th repeat)."""
    event_type = spec["type"]
    actor = ANONYMOUS if spec.get("anonymous") else names.user(_fill(spec.get("actor", "someone"), i))
    ip = _fill(spec.get("ip"), i) or f"203.0.113.{int(numeric_id(actor['login'] or event_id)) % 250 + 1}"
    family = _family(event_type)
    owner = names.user(_fill(spec.get("owner", spec.get("actor", "owner")), i))
    details: dict[str, Any] | None = None
    source: Any = None
    event: dict[str, Any] = {}
    if family == "item":
        name = _fill(spec.get("item", "file-{i}.pdf"), i)
        is_folder = "folder" in spec and "item" not in spec
        if is_folder:
            name = _fill(spec["folder"], i)
        source = {
            "item_type": "folder" if is_folder else "file",
            "item_id": numeric_id(f"{names.prefix}/item/{name}"),
            "item_name": name,
            "parent": {"type": "folder", "id": numeric_id(f"{names.prefix}/folder"), "name": "Projects"},
            "owned_by": owner,
        }
        if spec.get("classification"):
            source["classification"] = {"name": spec["classification"]}
        details = {"size": 1024 * (i + 1), "service_id": "11443", "service_name": "Box Web App"}
    elif family == "collaboration":
        folder = _fill(spec.get("folder", "Deals"), i)
        collaborator = names.user(_fill(spec.get("collaborator", "guest@outside.example"), i))
        source = {
            "folder_id": numeric_id(f"{names.prefix}/folder/{folder}"),
            "folder_name": folder,
            "user_id": collaborator["id"],
            "user_name": collaborator["name"],
            "parent": {"id": "0", "name": "All Files", "type": "folder"},
            "owned_by": owner,
        }
        details = {
            "type": "box://event/additional_details/collaboration",
            "collab_id": numeric_id(f"{event_id}/collab"),
            "is_performed_by_admin": False,
            "role": spec.get("role", "Viewer"),
        }
        if spec.get("old_role"):
            details["old_role"] = spec["old_role"]
        event["accessible_by"] = collaborator
    elif family in ("login", "device"):
        source = actor
        if event_type == "FAILED_LOGIN":
            details = {"failure_reason": "Invalid password"}
        elif family == "device":
            details = {
                "device_id": numeric_id(f"{event_id}/device"),
                "device_name": "Pixel 9",
                "platform": "Android",
            }
    elif family == "user":
        source = names.user(_fill(spec.get("target", spec.get("actor", "someone")), i))
    elif family == "membership":
        group = spec.get("group", "Finance")
        source = names.user(_fill(spec.get("target", "member"), i))
        details = {"group_id": numeric_id(f"{names.prefix}/group/{group}"), "group_name": group}
    elif family == "group":
        group = spec.get("group", "Finance")
        source = {"type": "group", "id": numeric_id(f"{names.prefix}/group/{group}"), "name": group}
    elif family == "app":
        app = spec.get("app", "Expense Sync")
        app_id = numeric_id(f"app/{app}", 6)
        source = {"type": "app", "id": app_id, "name": app}
        details = {"service_id": app_id, "service_name": app, "client_id": f"client{app_id}"}
    elif family == "policy":
        details = {"policy_id": numeric_id(f"{event_id}/policy", 6), "policy_name": "Litigation hold 2026"}
    elif family == "shield_alert":
        details, ip = _shield(spec.get("shield") or {}, actor, moment, ip), ip
        actor = ANONYMOUS
    details = _merge(details, spec.get("details"))
    created = moment.astimezone(NOW.tzinfo).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return {
        "type": "event",
        "event_id": event_id,
        "event_type": event_type,
        "created_at": created,
        "created_by": actor,
        "session_id": None,
        "ip_address": ip,
        "action_by": None,
        "source": source,
        "additional_details": details,
        **event,
    }


def _merge(details: dict[str, Any] | None, extra: dict[str, Any] | None) -> dict[str, Any] | None:
    if not extra:
        return details
    return {**(details or {}), **extra}


def _shield(spec: dict[str, Any], user: dict[str, Any], moment: datetime, ip: str) -> dict[str, Any]:
    """A SHIELD_ALERT's details about `user`, in the layout Box documents per category."""
    category = spec.get("category", "Suspicious Locations")
    ip_info = {
        "ip": ip,
        "latitude": "52.52",
        "longitude": "13.40",
        "country_code": spec.get("country", "DE"),
        "city_name": "Berlin",
        "region_name": "Berlin",
    }
    activity = {"occurred_at": moment.isoformat(), "event_type": "Download", "item_name": "plan.pdf",
                "item_type": "file", "item_id": "1234567", "item_path": "Projects", "ip_info": ip_info,
                "service_name": "Box Web App"}  # fmt: skip
    if category == "Anomalous Download":
        summary: dict[str, Any] = {
            "description": "Significant increase in download content week over week",
            "download_delta_size": "250 Mb",
            "download_delta_percent": 900,
            "download_ips": [{"ip": ip}],
        }
    elif category == "Suspicious Sessions":
        summary = {"description": "Session from an unusual place", "sessions": [
            {"session_type": "suspicious", "activities": [activity]}]}  # fmt: skip
    elif category == "Malicious Content":
        summary = {"upload_activity": activity, "malware_info": {"threat_info": {"threat_name": "Emotet"}}}
    else:
        summary = {"alert_activities": [activity]}
    return {
        "shield_alert": {
            "rule_category": category,
            "rule_id": 424242,
            "rule_name": f"{category} rule",
            "risk_score": spec.get("risk", 90),
            "alert_summary": summary,
            "alert_id": int(numeric_id(f"{user['login']}/{moment.isoformat()}", 6)),
            "priority": spec.get("priority", "high"),
            "user": {"id": int(user["id"]), "name": user["name"], "email": user["login"]},
            "link": "https://acme.app.box.com/master/shield/alerts/1",
            "created_at": moment.isoformat(),
        }
    }


def replay_events(cases: list[Case]) -> list[dict[str, Any]]:
    """Every case's events, for `EmulatorConfig(replay_events=...)`."""
    return [event for case in cases for event in case.events]
