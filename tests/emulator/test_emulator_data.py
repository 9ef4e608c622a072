"""The generated history: determinism, coverage of event types, shapes, mixes, incidents."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import orjson

from box_emulator import Emulator, EmulatorConfig, ManualClock, Scenario
from box_emulator.config import SCENARIO_KINDS
from box_emulator.event_types import (
    BENIGN_EVENT_TYPES,
    BOX_EVENT_TYPES,
    EVENT_TYPE_SPECS,
    UNLISTED_EVENT_TYPES,
)
from box_emulator.testing import DEFAULT_TEST_NOW

NOW = DEFAULT_TEST_NOW


def _emu(**kwargs) -> Emulator:
    return Emulator(EmulatorConfig(**kwargs), clock=ManualClock(NOW))


def test_days_are_deterministic_and_independent_of_order():
    a, b = _emu(seed=3), _emu(seed=3)
    ordinal = date(2026, 11, 10).toordinal()
    b.store.day(ordinal + 1)  # different generation order
    assert a.store.day(ordinal).blobs == b.store.day(ordinal).blobs
    assert a.store.day(ordinal).blobs != _emu(seed=4).store.day(ordinal).blobs


def test_catalog_covers_box_lists():
    assert len(BOX_EVENT_TYPES) >= 120
    for name in (
        "ANNOTATIONV2_CREATE",
        "COLLECTION_ITEM_CREATE",
        "CONTENT_ACCESS",
        "SHIELD_DOWNLOAD_BLOCKED",
        "SHIELD_EXTERNAL_COLLAB_INVITE_JUSTIFIED",
        "SIGN_DOCUMENT_VIEWED_BY_SIGNER",
        "SIGN_DOCUMENT_VIEWED_BY_SIGNED",
    ):
        assert name in BOX_EVENT_TYPES
    assert not set(UNLISTED_EVENT_TYPES) & set(BOX_EVENT_TYPES)


def test_every_official_type_occurs_within_30_days_and_unknown_ones_too():
    emu = _emu()
    counts = emu.oracle.counts_by_type(NOW - timedelta(days=30), NOW)
    assert set(BOX_EVENT_TYPES) <= set(counts), set(BOX_EVENT_TYPES) - set(counts)
    unlisted = sum(counts.get(t, 0) for t in UNLISTED_EVENT_TYPES)
    total = sum(counts.values())
    assert 0.003 < unlisted / total < 0.03
    top = [t for t, _ in Counter(counts).most_common(8)]
    assert {"PREVIEW", "DOWNLOAD", "LOGIN"} <= set(top)
    assert counts["SHIELD_ALERT"] < counts["DOWNLOAD"] / 100


def test_event_shapes_per_family():
    emu = _emu()
    events = emu.oracle.events(NOW - timedelta(days=11), NOW)  # ten whole days: every type
    by_type: dict[str, dict] = {}
    extra_fields = 0
    offsets = set()
    absent: set[str] = set()
    for e in events:
        by_type.setdefault(e["event_type"], e)
        assert e["type"] == "event" and len(e["event_id"]) == 36
        # action_by, session_id and additional_details may be absent rather than null, as in Box's
        assert {"created_by", "ip_address", "source"} <= set(e)
        absent.update(k for k in ("action_by", "session_id", "additional_details") if k not in e)
        assert e["created_by"]["type"] == "user"
        offsets.add(e["created_at"][-6:])
        known = {
            "type",
            "event_id",
            "event_type",
            "created_at",
            "created_by",
            "session_id",
            "ip_address",
            "action_by",
            "source",
            "additional_details",
            "accessible_by",
        }
        extra_fields += bool(set(e) - known)
    assert offsets <= {"-08:00", "-07:00"}
    assert absent == {"action_by", "session_id", "additional_details"}
    assert all("additional_details" in e for e in events if e["event_type"] == "DOWNLOAD")
    assert extra_fields > 0
    d = by_type["DOWNLOAD"]
    assert d["source"]["item_type"] in ("file", "folder")
    assert {"item_id", "item_name", "parent", "owned_by"} <= set(d["source"])
    assert {"size", "service_id", "service_name"} <= set(d["additional_details"])
    share = by_type["SHARE"]["additional_details"]
    assert {"shared_link_id", "shared_link_access", "shared_link_expires_at"} <= set(share)
    collab = by_type["COLLABORATION_INVITE"]
    assert collab["accessible_by"]["type"] in ("user", "group")
    assert {"type", "collab_id", "role", "is_performed_by_admin"} <= set(collab["additional_details"])
    assert "old_role" in by_type["COLLABORATION_ROLE_CHANGE"]["additional_details"]
    assert by_type["LOGIN"].get("additional_details") is None
    assert "failure_reason" in by_type["FAILED_LOGIN"]["additional_details"]
    assert set(by_type["CHANGE_ADMIN_ROLE"]["additional_details"]) == {"old_role", "new_role"}
    assert by_type["GROUP_ADD_USER"]["source"]["type"] == "user"
    assert {"group_id", "group_name"} == set(by_type["GROUP_ADD_USER"]["additional_details"])
    assert by_type["GROUP_CREATION"]["source"]["type"] == "group"
    alert = by_type["SHIELD_ALERT"]["additional_details"]["shield_alert"]
    assert {
        "rule_category",
        "rule_id",
        "rule_name",
        "risk_score",
        "alert_id",
        "priority",
        "user",
        "alert_summary",
        "link",
        "created_at",
    } <= set(alert)
    assert {"malware_name", "size"} == set(by_type["FILE_MARKED_MALICIOUS"]["additional_details"])
    assert {"sign_request_id", "signer_email"} <= set(
        by_type["SIGN_DOCUMENT_COMPLETED"]["additional_details"]
    )
    assert "policy_id" in by_type["LEGAL_HOLD_POLICY_CREATE"]["additional_details"]
    anonymous = [e for e in events if e["created_by"]["id"] == "2"]
    assert anonymous and all(e["created_by"]["login"] == "" for e in anonymous)
    assert any(e["ip_address"] == "Unknown IP" for e in events)
    # both Pacific offsets occur across the year
    summer = _emu().oracle.events(datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 7, 2, tzinfo=UTC))
    assert summer[0]["created_at"].endswith("-07:00")
    assert events[-1]["created_at"].endswith("-08:00")


def test_logins_are_company_domain_and_ids_numeric():
    emu = _emu(company_domain="acme.test")
    events = emu.oracle.events(NOW - timedelta(days=1), NOW)
    internal = [e["created_by"] for e in events if e["event_type"] == "LOGIN"]
    assert internal and all(u["login"].endswith("@acme.test") for u in internal)
    assert all(u["id"].isdigit() for u in internal)


def test_benign_mix_has_no_signal():
    emu = _emu(mix="benign")
    assert emu.planted() == []
    start = NOW - timedelta(days=3)
    events = emu.oracle.events(start, NOW)
    assert {e["event_type"] for e in events} <= set(BENIGN_EVENT_TYPES)
    downloads: Counter = Counter()
    failed: Counter = Counter()
    ips: dict[str, set] = defaultdict(set)
    for e in events:
        user = e["created_by"]
        assert user["id"] != "2" and user["login"].endswith("@example.com")
        assert e.get("action_by") is None
        hour = e["created_at"][:13]
        if e["event_type"] == "DOWNLOAD":
            downloads[(user["id"], hour)] += 1
        if e["event_type"] == "FAILED_LOGIN":
            failed[(user["id"], e["created_at"][:10])] += 1
        ips[user["id"]].add(e["ip_address"])
        details = e.get("additional_details") or {}
        assert details.get("shared_link_access") != "open"
        if e.get("accessible_by", {}).get("type") == "user":
            assert e["accessible_by"]["login"].endswith("@example.com")
    assert max(downloads.values()) <= 30
    assert max(failed.values(), default=0) <= 2
    assert max(len(v) for v in ips.values()) <= 2


def test_planted_scenarios_are_reported_with_their_event_ids():
    # what each kind looks like is tested in test_emulator_realistic.py
    day = date(2026, 11, 20)
    emu = _emu(mix="benign", scenarios=[Scenario(kind, day) for kind in SCENARIO_KINDS])
    planted = {p.kind: p for p in emu.planted()}
    assert set(planted) == set(SCENARIO_KINDS)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    served = emu.oracle.event_ids(start, start + timedelta(days=1), at=NOW + timedelta(days=1))
    for p in planted.values():
        assert p.day == day and p.event_ids and set(p.event_ids) <= served
        assert p.actor_login


def test_default_config_plants_a_rotating_incident_every_ten_days():
    emu = _emu()
    days = 10 * len(SCENARIO_KINDS)
    planted = emu.planted(NOW.date() - timedelta(days=days - 1), NOW.date())
    assert len(planted) == len(SCENARIO_KINDS)
    assert {p.kind for p in planted} == set(SCENARIO_KINDS)


def test_day_cache_is_bounded():
    emu = _emu(cache_days=4)
    for k in range(20):
        start = NOW - timedelta(days=k + 1)
        emu.oracle.event_ids(start, start + timedelta(days=1))
    assert emu.store.cached_days() <= 4
    assert emu.store.days_generated >= 20
    size = sum(len(b) for d in emu.store._days.values() for b in d.blobs)
    assert size < 4 * 2200 * 1500


def test_oracle_events_are_the_served_bytes_in_order():
    emu = _emu()
    start = NOW - timedelta(hours=12)
    events = emu.oracle.events(start, NOW)
    day = emu.store.day(date(2026, 11, 23).toordinal())
    assert orjson.loads(day.blobs[0]) in events
    times = [datetime.fromisoformat(e["created_at"]) for e in events]
    assert times == sorted(times)
    assert {e["event_id"] for e in events} == emu.oracle.event_ids(start, NOW)
    assert EVENT_TYPE_SPECS["PREVIEW"].weight > EVENT_TYPE_SPECS["SHIELD_ALERT"].weight
