"""Position-read streams (admin_logs_streaming, a user's stream): one load from a stored position.

A load pages from the stored position until Box's empty page (caught up) or until `max_events`
events, drops repeats (the live lane delivers at least once, out of order) and the events the
warehouse already has, and ends with the new position, exact text, in the same load package as the
events: a `kill -9` at any moment leaves either both or neither, so the next load starts exactly
where the last committed one stopped. The admin_logs_streaming lane also writes a ledger row for the
time it watched, so `sync`'s sweep can count what the live lane missed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_pages import with_constants, without_ids
from .client import BoxEventsClient, Page
from .fetch import FirstSightings
from .ledger import as_utc, query
from .resources import Item, stamp
from .settings import (
    ADMIN_LOGS_STREAMING,
    EVENTS_TABLE,
    KNOWN_IDS_AHEAD,
    LEDGER_TABLE,
    PAGE_LIMIT,
    POSITIONS_TABLE,
    RUNS_TABLE,
    STREAMING_BUFFER,
)

ENTERPRISE = "enterprise"
"""The stream key of the enterprise's live lane (user streams use `<user id>:<stream type>`)."""


@dataclass(frozen=True)
class StoredPosition:
    """The newest committed position of one stream."""

    position: str
    read_at: datetime
    covered_to: datetime | None
    """The live lane watched up to here (the poll's time less Box's buffer)."""

    def outlived(self, retention: timedelta, now: datetime) -> bool:
        """Read longer ago than Box keeps the stream: a gap lies behind it."""
        return now - self.read_at > retention


def stored_position(pipeline: dlt.Pipeline, lane: str, stream_key: str) -> StoredPosition | None:
    """The newest position whose load completed, or None (never started)."""
    rows = query(
        pipeline,
        "SELECT p.position, p.read_at, p.covered_to FROM {table} AS p "
        "JOIN {loads} AS d ON d.load_id = p._dlt_load_id "
        f"WHERE d.status = 0 AND p.lane = '{lane}' AND p.stream_key = '{stream_key}' "
        "ORDER BY d.inserted_at DESC, p.read_at DESC LIMIT 1",
        POSITIONS_TABLE,
    )
    if not rows:
        return None
    position, read_at, covered_to = rows[0]
    return StoredPosition(str(position), as_utc(read_at), as_utc(covered_to) if covered_to else None)


@dataclass
class StreamLoad:
    """One load of one stream: where it starts and what it knows; `outcome` fills in as it runs."""

    stream_type: str
    """admin_logs_streaming, or a user stream type (all, changes, sync)."""
    stream_key: str
    position: str
    covered_from: datetime
    """Where the live lane's watch resumes (the last load's `covered_to`, or the start)."""
    table: str = EVENTS_TABLE
    lane: str = ADMIN_LOGS_STREAMING
    not_before: datetime | None = None
    """Drop events created before this (a start `--from 3d` reads Box's 14 days from 0)."""
    known_ids: Callable[[datetime, datetime], set[str]] | None = None
    max_events: float = float("inf")
    page_limit: int = PAGE_LIMIT
    extra_columns: dict[str, str] = field(default_factory=dict)
    """Constant columns for every row (a user stream's user and stream type)."""
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    outcome: StreamOutcome = field(default_factory=lambda: StreamOutcome())
    _span: tuple[datetime, datetime, set[str]] | None = None

    def known(self, start: datetime, end: datetime) -> set[str]:
        """The warehouse's ids in `[start, end)`, asked for an hour ahead: a catch-up's pages
        follow one another in time, so this asks the warehouse about once an hour of events
        instead of once a page (each ask opens a connection: tens of milliseconds)."""
        assert self.known_ids is not None
        if self._span is None or not (self._span[0] <= start and end <= self._span[1]):
            ahead = max(end, start + KNOWN_IDS_AHEAD)
            self._span = (start, ahead, self.known_ids(start, ahead))
        return self._span[2]


@dataclass
class StreamOutcome:
    events_read: int = 0
    events_new: int = 0
    pages: int = 0
    caught_up: bool = False
    position: str | None = None
    oldest_new: datetime | None = None
    newest_new: datetime | None = None
    covered_to: datetime | None = None


def stream_items(
    client: BoxEventsClient,
    pages: Iterable[Page],
    load: StreamLoad,
    *,
    counted: tuple[int, int, int] = (0, 0, 0),
) -> Iterator[Item]:
    """The load's items: event batches, then the position (and, for the live lane, what it
    watched), then the run's counters: the client's requests, retries and 429s beyond `counted`
    (what earlier runs of the job recorded), so idle polls that loaded nothing are counted too."""
    run_id = uuid.uuid4().hex
    run_started = datetime.now(UTC)  # runs are timed by the wall clock, what was watched by the job's
    started_at = load.clock()
    out = load.outcome
    seen = FirstSightings()
    position = load.position
    for page in pages:
        out.pages += 1
        out.events_read += page.events.num_rows
        events = _fresh(seen(page.events), load)
        position = page.next_position
        if events.num_rows:
            out.events_new += events.num_rows
            created = events.column("created_at")
            oldest, newest = pc.min(created).as_py(), pc.max(created).as_py()
            out.oldest_new = min(filter(None, (out.oldest_new, oldest)))
            out.newest_new = max(filter(None, (out.newest_new, newest)))
            extra = {name: pa.scalar(value, pa.string()) for name, value in load.extra_columns.items()}
            yield load.table, with_constants(stamp(events, load.lane, load.clock()), extra)
        if out.events_read >= load.max_events:
            break
    else:
        out.caught_up = True
    out.position = position
    covered_to = started_at - STREAMING_BUFFER if out.caught_up else load.covered_from
    covered_to = out.covered_to = max(covered_to, load.covered_from)
    if load.lane == ADMIN_LOGS_STREAMING and covered_to > load.covered_from:
        yield LEDGER_TABLE, _watched(load, covered_to, run_id)
    yield (
        POSITIONS_TABLE,
        {
            "lane": load.lane,
            "stream_key": load.stream_key,
            "position": position,
            "read_at": load.clock(),
            "started_at": started_at,
            "covered_to": covered_to,
            "events": out.events_new,
            "run_id": run_id,
        },
    )
    stats = client.stats
    requests, retries, throttled = (
        now - before
        for now, before in zip((stats.requests, stats.retries, stats.throttled), counted, strict=True)
    )
    yield (
        RUNS_TABLE,
        {
            "run_id": run_id,
            "job_id": load.job_id,
            "lane": load.lane,
            "kind": "stream",
            "started_at": run_started,
            "finished_at": datetime.now(UTC),
            "windows": 0,
            "events": out.events_read,
            "events_new": out.events_new,
            "late_events": 0,
            "live_missed": 0,
            "requests": requests,
            "retries": retries,
            "throttled": throttled,
            "api_base_url": client.api_base_url,
        },
    )


def _fresh(events: pa.Table, load: StreamLoad) -> pa.Table:
    """Without the events created before `not_before` and the ones the warehouse already has."""
    if not events.num_rows:
        return events
    created = events.column("created_at")
    if load.not_before is not None:
        events = events.filter(pc.greater_equal(created, pa.scalar(load.not_before, created.type)))
        if not events.num_rows:
            return events
        created = events.column("created_at")
    if load.known_ids is None:
        return events
    oldest, newest = pc.min(created).as_py(), pc.max(created).as_py()
    return without_ids(events, load.known(oldest, newest + timedelta(microseconds=1)))


def _watched(load: StreamLoad, covered_to: datetime, run_id: str) -> dict[str, Any]:
    return {
        "window_start": load.covered_from,
        "window_end": covered_to,
        "event_types": "",
        "events_read": load.outcome.events_read,
        "events_new": load.outcome.events_new,
        "pages": load.outcome.pages,
        "lane": ADMIN_LOGS_STREAMING,
        "kind": "stream",
        "run_id": run_id,
        "completed_at": load.clock(),
    }
