"""Incremental sync: late arrivals are caught by the overlap, repeats merged away, idle syncs add nothing."""

from __future__ import annotations

from datetime import timedelta

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from tests.conftest import NOW, api_for

LAG = timedelta(minutes=2)


def test_events_that_arrive_after_one_sync_are_loaded_by_the_next(warehouse, assert_exact):
    clock = ManualClock(NOW + timedelta(hours=8))  # noon in California: the busy hours
    with running_emulator(clock=clock, events_per_day=10000) as (emu, srv):
        api = api_for(srv, emu.config)
        first = jobs.sync(warehouse.pipeline(), api=api, lag=LAG, now=clock.now())
        t1, covered_start = clock.now(), first.range.start
        # exact at the time of the first sync: everything that had arrived by then
        assert_exact(warehouse, emu.oracle.event_ids(covered_start, t1 - LAG, at=t1))

        clock.advance(timedelta(hours=2, minutes=30))
        t2 = clock.now()
        late = emu.oracle.event_ids(covered_start, t1 - LAG, at=t2) - emu.oracle.event_ids(
            covered_start, t1 - LAG, at=t1
        )
        assert late, "no event arrived late: the test would prove nothing"
        jobs.sync(warehouse.pipeline(), api=api, lag=LAG, now=t2)
        assert_exact(warehouse, emu.oracle.event_ids(covered_start, t2 - LAG, at=t2))
        assert late <= set(warehouse.event_ids())


def test_a_sync_with_nothing_new_adds_no_rows(warehouse, assert_exact):
    clock = ManualClock(NOW)
    with running_emulator(clock=clock, events_per_day=1000) as (emu, srv):
        api = api_for(srv, emu.config)
        jobs.backfill(warehouse.pipeline(), start=NOW - timedelta(days=2), api=api, now=NOW)
        jobs.sync(warehouse.pipeline(), api=api, lag=LAG, now=NOW)
        before = sorted(warehouse.event_ids())
        again = jobs.sync(warehouse.pipeline(), api=api, lag=LAG, now=NOW)
        assert again.windows_loaded >= 1, "the overlap should have been re-read"
        assert sorted(warehouse.event_ids()) == before
        assert_exact(warehouse, emu.oracle.event_ids(NOW - timedelta(days=2), NOW - LAG, at=NOW))


def test_sync_continues_from_the_backfill_high_water_mark(warehouse, assert_exact):
    clock = ManualClock(NOW)
    with running_emulator(clock=clock, events_per_day=1000) as (emu, srv):
        api = api_for(srv, emu.config)
        jobs.backfill(
            warehouse.pipeline(), start=NOW - timedelta(days=3), end=NOW - timedelta(days=1), api=api, now=NOW
        )
        report = jobs.sync(warehouse.pipeline(), api=api, lag=LAG, overlap=timedelta(hours=3), now=NOW)
        assert report.range.start == NOW - timedelta(days=1, hours=3)
        assert_exact(warehouse, emu.oracle.event_ids(NOW - timedelta(days=3), NOW - LAG, at=NOW))
    status = jobs.status(warehouse.pipeline(), now=NOW)
    assert status.gaps == [] and status.last_sync is not None
