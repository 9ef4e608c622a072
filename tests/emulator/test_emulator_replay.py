"""Replay: the emulator serves exactly the Box events it is given, through the normal API."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from box_emulator import Emulator, EmulatorConfig, ManualClock
from box_emulator.testing import page_admin_logs

SAMPLES = Path(__file__).parents[1] / "fixtures" / "box_samples"
SECOND = timedelta(seconds=1)


def _fixture_events() -> list[dict[str, Any]]:
    files = sorted(SAMPLES.glob("[0-9][0-9]_*.json"))
    assert len(files) == 55
    return [json.loads(path.read_text())["event"] for path in files]


def _created(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["created_at"])


@pytest.fixture
def samples() -> list[dict[str, Any]]:
    return _fixture_events()


def _range(events: list[dict[str, Any]]) -> tuple[datetime, datetime]:
    times = [_created(e) for e in events]
    return min(times), max(times) + SECOND


@pytest.mark.parametrize("profile", ["clean", "hostile"])
def test_paging_admin_logs_returns_exactly_the_replayed_samples(emulator_server, http, samples, profile):
    given = copy.deepcopy(samples)
    start, end = _range(samples)
    emu, srv = emulator_server(replay_events=given, profile=profile, now=end + timedelta(days=1))
    client = http(srv, emu.config.developer_token)
    result = page_admin_logs(client, created_after=start, created_before=end, limit=7)
    by_id = {e["event_id"]: e for e in samples}
    assert len(result.event_ids) == len(set(result.event_ids)) == len(samples)
    assert set(result.event_ids) == set(by_id) == emu.oracle.event_ids(start, end)
    for served in result.entries:  # every field as given: ids, types, nesting, absent keys
        assert served == by_id[served["event_id"]]
        assert list(served) == list(by_id[served["event_id"]]), "key order is kept too"
    times = [_created(e) for e in result.entries]
    assert times == sorted(times)
    assert result.entries == emu.oracle.events(start, end)
    assert given == samples, "replay must not touch the caller's events"
    assert emu.planted() == []


def test_windows_cut_replayed_events_by_created_at(emulator_server, http, samples):
    start, end = _range(samples)
    emu, srv = emulator_server(replay_events=samples, now=end + timedelta(days=1))
    client = http(srv, emu.config.developer_token)
    cut = datetime(2026, 3, 15, tzinfo=UTC)
    expected = {e["event_id"] for e in samples if _created(e) < cut}
    assert 0 < len(expected) < len(samples)
    early = page_admin_logs(client, created_after=start, created_before=cut)
    late = page_admin_logs(client, created_after=cut, created_before=end)
    assert set(early.event_ids) == expected == emu.oracle.event_ids(start, cut)
    assert set(late.event_ids) == {e["event_id"] for e in samples} - expected
    shield = page_admin_logs(client, created_after=start, created_before=end, event_types=["SHIELD_ALERT"])
    assert len(shield.entries) == 7 == emu.oracle.counts_by_type(start, end)["SHIELD_ALERT"]
    # nothing is generated around them
    assert page_admin_logs(client, created_after=end, created_before=end + timedelta(days=1)).entries == []


def test_a_replayed_event_is_served_once_the_clock_reaches_it(samples):
    start, end = _range(samples)
    latest = max(samples, key=_created)
    clock = ManualClock(_created(latest) - SECOND)
    emu = Emulator(EmulatorConfig(replay_events=samples), clock=clock)
    assert latest["event_id"] not in emu.oracle.event_ids(start, end)
    clock.set(end + timedelta(days=1))
    assert latest["event_id"] in emu.oracle.event_ids(start, end)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"event_id": None}, "replay_events[1] has no string event_id"),
        ({"event_id": 512093377}, "replay_events[1] has no string event_id"),
        ({"event_id": "e0"}, "event_id 'e0' occurs more than once"),
        ({"created_at": "yesterday at noon"}, "replay_events[1] (event_id 'e1'): created_at 'yesterday"),
        ({"created_at": "2026-03-07T08:10:18"}, "(event_id 'e1'): created_at '2026-03-07T08:10:18' is not"),
        ({"created_at": None}, "(event_id 'e1'): created_at None"),
    ],
)
def test_replay_events_are_checked_when_the_config_is_made(broken, message):
    events = [
        {"type": "event", "event_id": f"e{i}", "created_at": "2026-03-07T08:10:18-08:00"} for i in range(3)
    ]
    events[1].update(broken)
    with pytest.raises(ValueError) as info:
        EmulatorConfig(replay_events=events)
    assert message in str(info.value)


def test_replay_plants_nothing():
    event = {"type": "event", "event_id": "e0", "created_at": "2026-03-07T08:10:18-08:00"}
    with pytest.raises(ValueError, match="scenarios cannot be planted"):
        EmulatorConfig(replay_events=[event], scenarios=["shield_anomalous_download@2026-03-07"])
