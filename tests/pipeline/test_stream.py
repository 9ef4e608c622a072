"""The live lane (admin_logs_streaming): exact through duplicates and disorder, resumable from an exact
position, swept by `sync` for what it missed, and refusing to skip a gap silently."""

from __future__ import annotations

from datetime import timedelta

import pytest

from box_emulator import ManualClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.stream import StreamGap, stream
from tests.conftest import NOW, api_for

DAY = timedelta(days=1)


def _streamed(emu, start, end):
    return emu.oracle.streaming_event_ids(start, end)


def test_a_catch_up_through_the_hostile_profile_is_exact_and_resumes_from_its_position(
    warehouse, assert_exact
):
    with running_emulator(
        clock=ManualClock(NOW), profile="hostile", events_per_day=1500, streaming_duplicate_rate=0.05
    ) as (emu, srv):
        api = api_for(srv, emu.config)
        pipeline = warehouse.pipeline()
        report = stream(pipeline, api=api, start_from="3d", clock=emu.clock.now, events_per_run=1000)
        expected = _streamed(emu, NOW - 3 * DAY, NOW + timedelta(seconds=1))
        assert_exact(warehouse, expected)
        assert report.loads > 1 and report.events_read > report.events_new  # duplicates were dropped
        emu.clock.advance(timedelta(hours=6))
        stream(pipeline, api=api, clock=emu.clock.now)
        assert_exact(warehouse, _streamed(emu, NOW - 3 * DAY, emu.clock.now() + timedelta(seconds=1)))
        lanes = warehouse.query("SELECT DISTINCT first_lane FROM box_events.admin_logs")
        assert lanes == [("admin_logs_streaming",)]


def test_events_withheld_from_the_live_lane_are_recovered_by_sync_and_counted(warehouse, assert_exact):
    with running_emulator(clock=ManualClock(NOW), events_per_day=1500, streaming_withheld_share=0.05) as (
        emu,
        srv,
    ):
        api = api_for(srv, emu.config)
        pipeline = warehouse.pipeline()
        stream(pipeline, api=api, start_from="now", clock=emu.clock.now)
        watch_from = emu.clock.now()
        for _ in range(4):  # the live lane follows for 8 hours
            emu.clock.advance(timedelta(hours=2))
            stream(pipeline, api=api, clock=emu.clock.now)
        watched_to = emu.clock.now()
        withheld = emu.oracle.withheld_from_streaming(watch_from, watched_to)
        assert withheld and not withheld & set(warehouse.event_ids())
        emu.clock.advance(DAY + timedelta(hours=3))
        report = jobs.sync(pipeline, api=api, now=emu.clock.now())
        assert report.windows_settled >= 1
        watched_end = watched_to - timedelta(seconds=12)  # Box's streaming buffer
        loaded = warehouse.query(
            "SELECT event_id FROM box_events.admin_logs "
            f"WHERE created_at >= '{watch_from.isoformat()}' AND created_at < '{watched_end.isoformat()}'"
        )
        assert_exact_set = {row[0] for row in loaded}
        assert assert_exact_set == emu.oracle.event_ids(watch_from, watched_end)
        assert withheld <= set(warehouse.event_ids())
        missed = warehouse.query(
            "SELECT SUM(live_missed) FROM box_events.sync_runs WHERE lane = 'admin_logs'"
        )
        assert missed == [(len(withheld),)]
        first = dict(
            warehouse.query(
                "SELECT first_lane, COUNT(*) FROM box_events.admin_logs "
                f"WHERE event_id IN ({','.join(repr(i) for i in withheld)}) GROUP BY 1"
            )
        )
        assert first == {"admin_logs": len(withheld)}


def test_a_position_older_than_the_retention_is_a_gap_that_stops_the_lane(warehouse):
    with running_emulator(clock=ManualClock(NOW), events_per_day=300) as (emu, srv):
        api = api_for(srv, emu.config)
        pipeline = warehouse.pipeline()
        stream(pipeline, api=api, clock=emu.clock.now)
        emu.clock.advance(timedelta(days=15))
        with pytest.raises(
            StreamGap, match=r"restart it with `boxevents stream --from now`.*backfill --start"
        ):
            stream(pipeline, api=api, clock=emu.clock.now)
        report = stream(pipeline, api=api, start_from="now", clock=emu.clock.now)
        assert report.loads == 1
