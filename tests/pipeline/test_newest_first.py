"""Newest first: a backfill reads the most recent windows first, its first checkpoint only the newest
day, and the transforms run right after it; exact against the oracle in either order, resumable."""

from __future__ import annotations

import signal
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import typer
from typer.testing import CliRunner

from box_emulator import ManualClock, SystemClock
from box_emulator.testing import running_emulator
from pipelines import cli, jobs
from pipelines.box_events import ledger
from pipelines.box_events.client import open_client
from pipelines.box_events.fetch import WindowDone, WindowFetcher
from pipelines.box_events.stopping import StopRequested
from pipelines.box_events.windows import Window
from tests.conftest import MIDNIGHT, NOW, api_for

DAY = timedelta(days=1)


def _checkpoints(warehouse) -> list[list[datetime]]:
    """The ledger's window starts, one list per load (checkpoint), in the order they committed."""
    loads: dict[str, list[datetime]] = defaultdict(list)
    for start, _end, _types, _read, load_id in warehouse.ledger():
        loads[load_id].append(ledger.as_utc(start))
    return [sorted(loads[load_id]) for load_id in sorted(loads)]


def _stop(report: jobs.JobReport) -> None:
    raise StopRequested(signal.SIGTERM)


@pytest.mark.parametrize("order", ["newest-first", "oldest-first"])
def test_windows_load_in_the_chosen_order_and_the_result_is_exact(warehouse, assert_exact, order):
    start, end = MIDNIGHT - 7 * DAY, MIDNIGHT
    seen: list[Window] = []
    with running_emulator(clock=ManualClock(NOW), events_per_day=300) as (emu, srv):
        jobs.backfill(
            warehouse.pipeline(),
            start=start,
            end=end,
            api=api_for(srv, emu.config, concurrency=1),
            now=NOW,
            windows_per_run=2,
            order=order,
            on_window=lambda done: seen.append(done.window),
        )
        assert_exact(warehouse, emu.oracle.event_ids(start, end))
    starts = [w.start for w in seen]
    checkpoints = _checkpoints(warehouse)
    if order == "newest-first":
        assert starts == sorted(starts, reverse=True)
        assert checkpoints[0] == [end - DAY], "the first checkpoint is the newest day alone"
        assert all(max(later) < min(earlier) for earlier, later in pairwise(checkpoints))
    else:
        assert starts == sorted(starts)
        assert checkpoints[0] == [start, start + DAY]
        assert all(max(earlier) < min(later) for earlier, later in pairwise(checkpoints))
    assert sorted(s for c in checkpoints for s in c) == [start + i * DAY for i in range(7)]


def test_a_newest_first_backfill_stopped_after_its_first_checkpoint_holds_the_last_day_and_resumes(
    warehouse, assert_exact
):
    start = MIDNIGHT - 6 * DAY  # to NOW, midday: the newest window is half a day
    with running_emulator(clock=ManualClock(NOW), events_per_day=300) as (emu, srv):
        api = api_for(srv, emu.config, concurrency=3)
        with pytest.raises(jobs.JobInterrupted) as stopped:
            jobs.backfill(warehouse.pipeline(), start=start, api=api, now=NOW, after_first_checkpoint=_stop)
        # the first checkpoint covers a whole day back from the end: two windows, nothing more
        assert stopped.value.report.windows_loaded == 2 and stopped.value.exit_code == 143
        assert_exact(warehouse, emu.oracle.event_ids(MIDNIGHT - DAY, NOW))
        assert emu.oracle.event_ids(NOW - DAY, NOW) <= set(warehouse.event_ids())

        resumed = jobs.backfill(warehouse.pipeline(), start=start, api=api, now=NOW)
        assert_exact(warehouse, emu.oracle.event_ids(start, NOW))
    assert (resumed.windows_skipped, resumed.windows_loaded) == (2, 5)
    windows = [row[:2] for row in warehouse.ledger()]
    assert len(windows) == len(set(windows)) == 7, "a completed window was read twice"


def test_sync_after_an_interrupted_newest_first_backfill_leaves_the_hole_to_status_and_backfill(
    warehouse, assert_exact
):
    """sync reads on from the newest covered moment, so the older part a stopped newest-first
    backfill left is not sync's: status names it as a gap, and the same backfill fills it."""
    start = MIDNIGHT - 10 * DAY
    hole = Window(MIDNIGHT - 8 * DAY, MIDNIGHT - DAY)
    with running_emulator(clock=ManualClock(NOW), events_per_day=300) as (emu, srv):
        api = api_for(srv, emu.config, concurrency=3)
        pipeline = warehouse.pipeline()
        jobs.backfill(pipeline, start=start, end=hole.start, api=api, now=NOW)  # older history
        with pytest.raises(jobs.JobInterrupted):
            jobs.backfill(pipeline, start=start, api=api, now=NOW, after_first_checkpoint=_stop)
        synced = jobs.sync(pipeline, api=api, now=NOW)
        assert synced.range is not None and synced.range.start >= hole.end
        status = jobs.status(pipeline, now=NOW)
        assert status.gaps == [hole]
        assert not set(warehouse.event_ids()) & emu.oracle.event_ids(hole.start, hole.end)

        filled = jobs.backfill(pipeline, start=start, api=api, now=NOW)
        assert filled.windows_loaded == 7
        assert_exact(warehouse, emu.oracle.event_ids(start, NOW))
    assert jobs.status(warehouse.pipeline(), now=NOW).gaps == []


def test_the_cli_builds_the_audit_tables_after_the_first_checkpoint(warehouse, monkeypatch):
    """Observed from the transforms' callback: when they first run, the backfill has committed only
    its first checkpoint, and the staging model already holds exactly the last 24 hours. The test
    then stops the backfill there (SIGTERM's way), as an analyst's Ctrl-C would, sparing the rest."""
    now = datetime.now(UTC).replace(microsecond=0)
    end = now - timedelta(hours=1)
    start = end - 4 * DAY
    built: list[tuple[int, set[str]]] = []
    real_transform = cli._transform

    def transform_then_stop(pipeline, full=False, company_domains=None):
        real_transform(pipeline, full, company_domains)
        with pipeline.sql_client() as client:
            table = client.make_qualified_table_name("stg_box__events")
            staged = {row[0] for row in client.execute_sql(f"select event_id from {table}")}
        built.append((len(ledger.readings(pipeline)), staged))
        raise StopRequested(signal.SIGTERM)

    def leave(message: str, code: int) -> None:  # the CLI's os._exit would end pytest too
        raise typer.Exit(code)

    monkeypatch.setattr(cli, "_transform", transform_then_stop)
    monkeypatch.setattr(cli, "_stop_now", leave)
    with running_emulator(clock=SystemClock(), events_per_day=300) as (emu, srv):
        for name, value in {
            "SOURCES__BOX_EVENTS__API_BASE_URL": srv.api_base_url,
            "SOURCES__BOX_EVENTS__TOKEN_URL": srv.token_url,
            "SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN": emu.config.developer_token,
            "SOURCES__BOX_EVENTS__REQUESTS_PER_MINUTE": "60000",
        }.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(
            cli.app,
            [
                "backfill",
                *("--start", start.isoformat(), "--end", end.isoformat()),
                *("--duckdb-path", str(warehouse.path), "--pipelines-dir", str(warehouse.pipelines_dir)),
            ],
        )
        last_day = emu.oracle.event_ids(end.replace(hour=0, minute=0, second=0) - DAY, end)
    assert result.exit_code == 143, result.output
    assert built == [(2, last_day)], "the transforms ran once, over the first checkpoint: the newest day"
    assert set(warehouse.event_ids()) == last_day and emu.oracle.event_ids(end - DAY, end) <= last_day


def test_a_window_handed_out_after_box_dropped_its_start_is_cut_to_what_box_still_serves():
    """A newest-first year reaches its oldest window after 20 minutes: Box has dropped its first
    minutes meanwhile and would refuse a request for them."""
    edge = MIDNIGHT - 2 * DAY + timedelta(hours=6)
    # newest first: a day Box still holds, one it has half dropped, one wholly gone
    windows = [Window(MIDNIGHT - (n + 1) * DAY, MIDNIGHT - n * DAY) for n in range(3)]
    with running_emulator(clock=ManualClock(NOW), events_per_day=300) as (emu, srv):
        client = open_client(api_for(srv, emu.config).resolve())
        with WindowFetcher(client, windows, not_before=lambda: edge) as fetcher:
            done = [item for item in fetcher.checkpoint(0) if isinstance(item, WindowDone)]
        expected = [windows[0], Window(edge, windows[1].end)]
        counts = [len(emu.oracle.event_ids(w.start, w.end)) for w in expected]
    assert [d.window for d in done] == expected
    assert [d.events for d in done] == counts and all(counts)
