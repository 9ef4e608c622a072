"""Every raw event lands in exactly one category audit table, with its fields unpacked as served."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest

from box_emulator.event_types import BOX_EVENT_TYPES, UNLISTED_EVENT_TYPES
from pipelines.box_events.event_types import UNCATEGORIZED, categories, load_catalog
from transforms.project import event_type_view


def test_the_emulator_served_every_event_type_including_unlisted_ones(world):
    assert set(world.counts) == set(BOX_EVENT_TYPES) | set(UNLISTED_EVENT_TYPES)


def test_every_raw_event_is_in_exactly_one_category_table(world):
    served = [event["event_id"] for event in world.events]
    landed: Counter[str] = Counter()
    for category in categories(load_catalog()):
        landed.update(row[0] for row in world.query(f"select event_id from audit_{category}"))
    assert sum(landed.values()) == len(served)
    assert set(landed) == set(served) and max(landed.values()) == 1


def test_per_type_views_count_exactly_what_the_emulator_served(world):
    catalogued = {row.event_type for row in load_catalog()}
    for event_type, expected in world.counts.items():
        if event_type in catalogued:
            view = event_type_view(event_type)
            assert world.query(f"select count(*) from {view}") == [(expected,)], event_type
        else:
            rows = world.query(
                f"select count(*) from audit_{UNCATEGORIZED} where event_type = '{event_type}'"
            )
            assert rows == [(expected,)], event_type


def test_unlisted_types_land_in_uncategorized_and_nowhere_else(world):
    rows = world.query("select distinct event_type from audit_uncategorized")
    assert {row[0] for row in rows} == set(UNLISTED_EVENT_TYPES)


def test_staging_keeps_one_row_per_event_with_utc_times_and_the_actor(world):
    served = {event["event_id"]: event for event in world.events}
    rows = world.query(
        "select event_id, occurred_at, occurred_on, actor_id, actor_login, actor_is_anonymous, "
        "ip_address, item_name, owner_login from stg_box__events"
    )
    assert len(rows) == len(served)
    for event_id, occurred_at, occurred_on, actor_id, login, anonymous, ip, item, owner in rows:
        event = served[event_id]
        source = event.get("source") or {}
        assert occurred_at == datetime.fromisoformat(event["created_at"])
        assert occurred_on == occurred_at.astimezone(UTC).date()
        assert actor_id == event["created_by"]["id"]
        assert login == (event["created_by"]["login"] or None)
        assert anonymous == (event["created_by"]["id"] == "2")
        assert ip == (None if event["ip_address"] == "Unknown IP" else event["ip_address"])
        # Box's event source (item_*), a full object or user mini (name), or the collaboration shape
        assert item == next(
            (source[k] for k in ("item_name", "name", "folder_name", "file_name") if source.get(k)), None
        )
        assert owner == (source.get("owned_by") or {}).get("login")


def _details(*path: str) -> Callable[[dict[str, Any]], Any]:
    def get(event: dict[str, Any]) -> Any:
        value: Any = event.get("additional_details")
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return get


def _timestamp(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


UNPACKED: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
    ("audit_authentication", "failure_reason", _details("failure_reason")),
    ("audit_authentication", "device_platform", _details("platform")),
    ("audit_file_access", "file_size_bytes", _details("size")),
    ("audit_file_access", "shared_link_id", _details("shared_link_id")),
    ("audit_content_changes", "previous_name", _details("old_name")),
    ("audit_content_changes", "destination_folder_name", _details("destination_folder", "name")),
    ("audit_sharing", "shared_link_access", _details("shared_link_access")),
    (
        "audit_sharing",
        "shared_link_expires_at",
        lambda e: _timestamp(_details("shared_link_expires_at")(e)),
    ),
    ("audit_collaboration", "collaborator_login", lambda e: e["accessible_by"].get("login")),
    ("audit_collaboration", "collaborator_type", lambda e: e["accessible_by"]["type"]),
    ("audit_collaboration", "previous_role", _details("old_role")),
    ("audit_collaboration", "is_performed_by_admin", _details("is_performed_by_admin")),
    ("audit_users_and_groups", "new_admin_role", _details("new_role")),
    (
        "audit_users_and_groups",
        "group_member_login",  # Box: the member is the event's source, the group in the details
        lambda e: (
            _details("user_login")(e)
            or ((e.get("source") or {}).get("login") if e["event_type"].startswith("GROUP") else None)
        ),
    ),
    ("audit_security", "shield_risk_score", _details("shield_alert", "risk_score")),
    (
        "audit_security",
        "shield_alert_user_login",  # real alerts name the user by `email`
        lambda e: (lambda user: (user.get("email") or user.get("login") or "").lower() or None)(
            _details("shield_alert", "user")(e) or {}
        ),
    ),
    ("audit_security", "malware_name", _details("malware_name")),
    ("audit_governance", "policy_name", _details("policy_name")),
    ("audit_governance", "metadata_template", _details("metadata_template")),
    ("audit_box_sign", "signer_email", _details("signer_email")),
    ("audit_apps_and_tokens", "client_id", _details("client_id")),
    ("audit_tasks_and_comments", "message", _details("message")),
    ("audit_collections", "collection_id", _details("collection_id")),
]


@pytest.mark.parametrize(("table", "column", "expected"), UNPACKED, ids=[f"{t}.{c}" for t, c, _ in UNPACKED])
def test_audit_columns_hold_the_served_additional_details(world, table, column, expected):
    served = {event["event_id"]: event for event in world.events}
    rows = world.query(f"select event_id, {column} from {table}")
    assert any(value is not None for _, value in rows), "no values: the test would prove nothing"
    for event_id, value in rows:
        assert value == expected(served[event_id]), (event_id, served[event_id])


def test_dim_date_counts_every_served_event_on_its_utc_day_and_keeps_quiet_days(world):
    served = Counter(datetime.fromisoformat(e["created_at"]).astimezone(UTC).date() for e in world.events)
    rows = world.query("select day, events from dim_date order by day")
    days = [row[0] for row in rows]
    assert days[0] == min(served) and days[-1] == max(served)
    assert all((b - a).days == 1 for a, b in pairwise(days)), "a day is missing"
    assert {day: events for day, events in rows if events} == dict(served)
