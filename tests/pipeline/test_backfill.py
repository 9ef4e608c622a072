"""Backfills against the emulator's oracle: exact id sets, every field as served, resumable, idempotent."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from tests.conftest import MIDNIGHT, NOW, api_for

DAY = timedelta(days=1)


def test_hostile_30_day_backfill_is_exact_and_every_field_is_as_served(warehouse, assert_exact):
    start, end = MIDNIGHT - 30 * DAY, MIDNIGHT
    with running_emulator(clock=ManualClock(NOW), profile="hostile", seed=7) as (emu, srv):
        report = jobs.backfill(
            warehouse.pipeline(),
            start=start,
            end=end,
            api=api_for(srv, emu.config, "client_credentials", concurrency=4),
            now=NOW,
        )
        served = {event["event_id"]: event for event in emu.oracle.events(start, end)}
        stats = emu.stats_dict()
    assert_exact(warehouse, set(served))
    assert report.windows_loaded == 30 and report.events == len(served)
    assert stats["throttled_429"] > 0 and stats["errors_5xx"] > 0, "the hostile profile should have bitten"

    rows = warehouse.query(
        "SELECT event_id, event_type, created_at, created_by_id, created_by_login, ip_address, "
        "session_id, source, additional_details, action_by, accessible_by, created_by, extra "
        "FROM box_events.admin_logs"
    )
    for event_id, event_type, created_at, actor_id, actor_login, ip, session, *json_cols in rows:
        event = served[event_id]
        assert event_type == event["event_type"]
        assert created_at == datetime.fromisoformat(event["created_at"])
        assert (actor_id, actor_login) == (event["created_by"]["id"], event["created_by"]["login"])
        assert (ip, session) == (event.get("ip_address"), event.get("session_id"))
        source, details, action_by, accessible_by, created_by, extra = (
            json.loads(v) if v is not None else None for v in json_cols
        )
        assert source == event.get("source")
        assert details == event.get("additional_details")
        assert action_by == event.get("action_by")
        assert accessible_by == event.get("accessible_by")
        assert created_by == event["created_by"]
        known = {
            "type",
            "event_id",
            "event_type",
            "created_at",
            "created_by",
            "source",
            "additional_details",
            "action_by",
            "accessible_by",
            "ip_address",
            "session_id",
        }
        assert (extra or {}) == {k: v for k, v in event.items() if k not in known}


@pytest.mark.parametrize(
    ("after_inclusive", "before_inclusive"), [(True, False), (False, False), (True, True), (False, True)]
)
def test_windows_are_exact_whichever_way_box_treats_the_boundaries(
    warehouse, assert_exact, after_inclusive, before_inclusive
):
    start, end = NOW - 4 * DAY, NOW - DAY
    with running_emulator(
        clock=ManualClock(NOW),
        created_after_inclusive=after_inclusive,
        created_before_inclusive=before_inclusive,
        events_per_day=800,
    ) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(),
            start=start,
            end=end,
            api=api_for(srv, emu.config),
            now=NOW,
            window_size=timedelta(hours=6),
        )
        assert_exact(warehouse, emu.oracle.event_ids(start, end))


def test_event_type_filter_loads_exactly_those_types_and_records_the_filter(warehouse, assert_exact):
    start, end = NOW - 5 * DAY, NOW - DAY
    types = ["FAILED_LOGIN", "LOGIN", "SHIELD_ALERT"]
    with running_emulator(clock=ManualClock(NOW)) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(),
            start=start,
            end=end,
            event_types="login,failed_login,SHIELD_ALERT",
            api=api_for(srv, emu.config),
            now=NOW,
        )
        assert_exact(warehouse, emu.oracle.event_ids(start, end, event_types=types))
    assert {row[2] for row in warehouse.ledger()} == {"FAILED_LOGIN,LOGIN,SHIELD_ALERT"}


def test_a_second_identical_backfill_reads_nothing_and_adds_nothing(warehouse, assert_exact):
    start, end = MIDNIGHT - 5 * DAY, MIDNIGHT
    with running_emulator(clock=ManualClock(NOW)) as (emu, srv):
        api = api_for(srv, emu.config)
        first = jobs.backfill(warehouse.pipeline(), start=start, end=end, api=api, now=NOW)
        requests_after_first = emu.stats_dict()["events_requests"]
        second = jobs.backfill(warehouse.pipeline(), start=start, end=end, api=api, now=NOW)
        assert emu.stats_dict()["events_requests"] == requests_after_first, "the second run asked Box again"
        assert_exact(warehouse, emu.oracle.event_ids(start, end))
    assert first.windows_loaded == 5 and second.windows_loaded == 0 and second.windows_skipped == 5
    status = jobs.status(warehouse.pipeline(), now=NOW)
    assert [(w.start, w.end) for w in status.covered] == [(start, end)]
    assert status.gaps == []
    assert status.total_rows == len(warehouse.event_ids())


def test_a_start_beyond_retention_is_clamped_and_a_future_end_to_now(warehouse, caplog):
    with running_emulator(clock=ManualClock(NOW), events_per_day=20) as (emu, srv):
        report = jobs.backfill(
            warehouse.pipeline(),
            start="400d",
            end=NOW + 10 * DAY,
            api=api_for(srv, emu.config, concurrency=8),
            now=NOW,
        )
        assert_range = report.range
        assert assert_range.end == NOW
        assert NOW - timedelta(days=365) < assert_range.start < NOW - timedelta(days=364)
        assert set(warehouse.event_ids()) == emu.oracle.event_ids(assert_range.start, assert_range.end)
    assert "older than Box keeps admin_logs" in caplog.text


def test_status_reports_gaps_between_covered_ranges(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=200) as (emu, srv):
        api = api_for(srv, emu.config)
        jobs.backfill(
            warehouse.pipeline(), start=MIDNIGHT - 10 * DAY, end=MIDNIGHT - 8 * DAY, api=api, now=NOW
        )
        jobs.backfill(
            warehouse.pipeline(), start=MIDNIGHT - 5 * DAY, end=MIDNIGHT - 4 * DAY, api=api, now=NOW
        )
    status = jobs.status(warehouse.pipeline(), now=NOW)
    assert [(g.start, g.end) for g in status.gaps] == [(MIDNIGHT - 8 * DAY, MIDNIGHT - 5 * DAY)]
    assert status.last_run is not None and status.last_run.kind == "backfill"
    assert "gaps (run `boxevents backfill` over them):" in status.lines()


def test_checkpoints_close_by_expected_events_and_stay_exact(warehouse, assert_exact):
    start, end = MIDNIGHT - 12 * DAY, MIDNIGHT
    with running_emulator(clock=ManualClock(NOW), events_per_day=1000) as (emu, srv):
        report = jobs.backfill(
            warehouse.pipeline(),
            start=start,
            end=end,
            api=api_for(srv, emu.config, concurrency=2),
            now=NOW,
            events_per_run=1500,
        )
        assert_exact(warehouse, emu.oracle.event_ids(start, end))
    # about two days of events per checkpoint: many more runs than the 30-window cap would make
    assert 4 <= report.runs <= 12
    per_run = warehouse.query("SELECT events FROM box_events.sync_runs")
    assert sum(n for (n,) in per_run) == report.events and len(per_run) == report.runs
    windows = [row[:2] for row in warehouse.ledger()]
    assert len(windows) == len(set(windows)) == 12
