"""The admin_logs lane: a checkpoint's fetched windows as the items of one load.

Each window's events (minus the ones the warehouse already holds, so a re-read never rewrites a
row and the first lane and first-seen time of every event stay as they were), then its ledger row,
then at the end the run's counters. Used by the jobs (with the warehouse's ids) and by the public
source (without: a bare `pipeline.run(box_events(...))` knows no warehouse, and the merge keeps it
exact).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

from .arrow_pages import within, without_ids
from .fetch import WindowBatch, WindowDone, WindowFetcher
from .resources import Item, stamp
from .settings import ADMIN_LOGS, EVENTS_TABLE, LEDGER_TABLE, RUNS_TABLE
from .windows import Window

KnownIds = Callable[[Window], set[str]]
"""The event ids the warehouse already holds with `created_at` in a window."""


@dataclass
class WindowReading:
    """What one job reads: which kind of reading, and what it needs to know of the warehouse."""

    kind: str
    """backfill, sync or settle (a provisional window read again once it is old enough)."""
    event_types: Sequence[str] = ()
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    known_ids: KnownIds | None = None
    live_coverage: Sequence[Window] = ()
    """Ranges the live lane covered: rows this reading adds inside them are the live lane's misses."""
    settle_windows: frozenset[Window] = frozenset()
    """Windows read to settle them (ledger kind `settle`): rows they add are late arrivals."""
    on_window: Callable[[WindowDone], None] | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    """The job's time: when a window counts as read (settled or provisional) is measured with it."""


def checkpoint_items(fetcher: WindowFetcher, index: int, reading: WindowReading) -> Iterator[Item]:
    """Checkpoint `index` of `fetcher` as load items (see the module docstring)."""
    run_id = uuid.uuid4().hex
    started_at = datetime.now(UTC)  # runs are timed by the wall clock, readings by the job's
    filter_key = ",".join(reading.event_types)
    known: dict[Window, set[str]] = {}
    new_per_window: dict[Window, int] = {}
    totals = {"windows": 0, "events": 0, "events_new": 0, "late": 0, "live_missed": 0}
    for item in fetcher.checkpoint(index):
        if isinstance(item, WindowBatch):
            window = item.window
            if window not in known:
                known[window] = reading.known_ids(window) if reading.known_ids else set()
            events = without_ids(item.events, known[window])
            if not events.num_rows:
                continue
            new_per_window[window] = new_per_window.get(window, 0) + events.num_rows
            totals["live_missed"] += _rows_within(events, reading.live_coverage)
            yield EVENTS_TABLE, stamp(events, ADMIN_LOGS, reading.clock())
        else:
            window = item.window
            new = new_per_window.pop(window, 0)
            known.pop(window, None)
            totals["windows"] += 1
            totals["events"] += item.events
            totals["events_new"] += new
            kind = reading.kind
            if window in reading.settle_windows:
                totals["late"] += new
                kind = "settle"
            if reading.on_window:
                reading.on_window(item)
            yield LEDGER_TABLE, _ledger_row(item, new, filter_key, kind, run_id, reading.clock())
    counters = fetcher.take_counters()
    yield (
        RUNS_TABLE,
        {
            "run_id": run_id,
            "job_id": reading.job_id,
            "lane": ADMIN_LOGS,
            "kind": reading.kind,
            "started_at": started_at,
            "finished_at": datetime.now(UTC),
            "windows": totals["windows"],
            "events": totals["events"],
            "events_new": totals["events_new"],
            "late_events": totals["late"],
            "live_missed": totals["live_missed"],
            "requests": counters.requests,
            "retries": counters.retries,
            "throttled": counters.throttled,
            "api_base_url": fetcher.client.api_base_url,
        },
    )


def _rows_within(events: pa.Table, ranges: Sequence[Window]) -> int:
    """How many rows fall in the (merged, so disjoint) ranges."""
    return sum(within(events, r.start, r.end).num_rows for r in ranges)


def _ledger_row(
    done: WindowDone, new: int, filter_key: str, kind: str, run_id: str, completed_at: datetime
) -> dict[str, object]:
    return {
        "window_start": done.window.start,
        "window_end": done.window.end,
        "event_types": filter_key,
        "events_read": done.events,
        "events_new": new,
        "pages": done.pages,
        "lane": ADMIN_LOGS,
        "kind": kind,
        "run_id": run_id,
        "completed_at": completed_at,
    }
