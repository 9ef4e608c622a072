"""Settled coverage: a window read soon after its end is provisional; `sync` reads it again once it
is a settle age old, loads what arrived late (counted), and from then on the window is settled."""

from __future__ import annotations

from datetime import timedelta

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.box_events import ledger
from pipelines.status import status
from tests.conftest import NOW, api_for

HOUR = timedelta(hours=1)


def test_events_later_than_the_overlap_are_recovered_by_the_settle_sweep_and_counted(warehouse, assert_exact):
    with running_emulator(clock=ManualClock(NOW), events_per_day=3000) as (emu, srv):
        api = api_for(srv, emu.config)
        pipeline = warehouse.pipeline()
        start = NOW - timedelta(days=2)
        jobs.backfill(pipeline, start=start, end=NOW - timedelta(minutes=2), api=api, now=NOW)
        for _ in range(3):  # hourly syncs with a short overlap: Box's late events slip past it
            emu.clock.advance(HOUR)
            jobs.sync(pipeline, api=api, overlap=timedelta(minutes=5), now=emu.clock.now())
        report = status(pipeline, now=emu.clock.now())
        # each sync read again what had just turned 24 h old: provisional starts a day back
        assert report.provisional[0].start == emu.clock.now() - timedelta(hours=24)

        emu.clock.advance(timedelta(hours=25))
        final = emu.clock.now()
        swept = jobs.sync(pipeline, api=api, overlap=timedelta(minutes=5), now=final)
        assert swept.windows_settled >= 2
        expected = emu.oracle.event_ids(start, final - timedelta(minutes=2))
        assert_exact(warehouse, expected)
        high_water = NOW + 3 * HOUR - timedelta(minutes=2)
        # between the last 12 hours the backfill read and the last high-water mark, every reading but
        # the sweep's came within hours: an event first seen a day or more after it happened came in
        # through the sweep
        late = warehouse.query(
            "SELECT COUNT(*) FROM box_events.admin_logs WHERE first_seen_at >= created_at + INTERVAL 24 HOUR "
            f"AND created_at >= '{(NOW - 12 * HOUR).isoformat()}' "
            f"AND created_at < '{(high_water - timedelta(minutes=5)).isoformat()}'"
        )[0][0]
        assert late > 0, "with a 5-minute overlap some events must have arrived late"
        ((counted, new),) = warehouse.query(
            "SELECT SUM(late_events), SUM(events_new) FROM box_events.sync_runs"
        )
        assert new == len(expected), "every event is counted new exactly once"
        settle_new = warehouse.query(
            "SELECT SUM(events_new) FROM box_events.window_ledger WHERE kind = 'settle'"
        )
        assert counted == settle_new[0][0] and counted >= late
        kinds = {row[0] for row in warehouse.query("SELECT DISTINCT kind FROM box_events.window_ledger")}
        assert "settle" in kinds

        settled = ledger.settlement_of(ledger.readings(pipeline), (), timedelta(hours=24))
        assert settled.settled and settled.settled[0].start == start
        assert all(w.start >= high_water - timedelta(minutes=5) for w in settled.provisional)
        after = status(pipeline, now=final)
        assert "sweep:" in "\n".join(after.lines())
        assert after.settled == settled.settled
        assert after.as_dict()["settled"][0]["start"] == start.isoformat()


def test_status_counts_api_calls_per_lane_and_warns_near_the_monthly_budget(warehouse, monkeypatch):
    with running_emulator(clock=ManualClock(NOW), events_per_day=500) as (emu, srv):
        api = api_for(srv, emu.config)
        pipeline = warehouse.pipeline()
        jobs.backfill(pipeline, start=NOW - timedelta(days=2), end=NOW, api=api, now=NOW)
        served = emu.stats_dict()["events_requests"]
        calls = {c.lane: c for c in ledger.api_calls(pipeline, NOW)}
        assert calls["admin_logs"].month == calls["admin_logs"].today == served
        monkeypatch.setenv("SOURCES__BOX_EVENTS__MONTHLY_CALL_BUDGET", str(served + 1))
        report = status(pipeline, now=NOW)
        assert report.budget_share is not None and report.budget_share > 0.8
        assert "WARNING: over 80%" in "\n".join(report.lines())
        assert report.as_dict()["api_calls"] == {"admin_logs": {"today": served, "month": served}}
