"""`boxevents stream`: the live lane, admin_logs_streaming, read from an exact stored position.

Each poll takes the warehouse's write lock, pages from the position until Box's empty page, loads
the new events with the new position (one load package: see `box_events.streams`), and lets the
lock and the warehouse go again. So between polls nothing holds the DuckDB file: `boxevents query`,
a BI tool or a `sync` open it in between, and a `sync` waiting on the lock (`--wait`) runs between
two polls. With `--follow` the polls go on every `interval`; each empty poll doubles the wait up to
`max_interval`, so an idle enterprise costs few calls, and the first event brings it back.

Box keeps this lane 14 days. A stored position older than that has a gap behind it that only
admin_logs can fill: the job stops with one line saying so instead of silently skipping it.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dlt

from .box_events import ledger, stopping
from .box_events.client import BoxEventsClient, open_client
from .box_events.config import ApiOptions
from .box_events.exceptions import BoxEventsError, ConfigurationError
from .box_events.resources import lane_load
from .box_events.settings import (
    ADMIN_LOGS_STREAMING,
    DEFAULT_EVENTS_PER_RUN,
    DEFAULT_STREAM_INTERVAL,
    DEFAULT_STREAM_START,
    MAX_STREAM_INTERVAL,
    STREAM_COUNTERS_EVERY,
    STREAMING_RETENTION,
)
from .box_events.stopping import StopRequested
from .box_events.streams import (
    ENTERPRISE,
    StoredPosition,
    StreamLoad,
    StreamOutcome,
    stored_position,
    stream_items,
)
from .box_events.windows import duration_text, parse_duration
from .wording import plural

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class StreamGap(BoxEventsError):
    """The stored position is older than the stream's retention: events may be missing behind it."""


@dataclass(frozen=True)
class StreamStart:
    """Where a stream begins when it has no position (or is restarted): Box's `now` or `0`."""

    position: str
    watch_from: datetime
    not_before: datetime | None

    @classmethod
    def parse(cls, text: str, now: datetime, retention: timedelta = STREAMING_RETENTION) -> StreamStart:
        """`now`; `0`, everything Box keeps; or a duration up to the retention (`14d`, `36h`): the
        stream then reads from `0` and drops what is older than the duration."""
        if text == "now":
            return cls("now", now, None)
        if text == "0":
            return cls("0", now - retention, None)
        try:
            back = parse_duration(text)
        except ConfigurationError:
            raise ConfigurationError(
                f"--from {text!r}: use now, 0 (everything Box keeps), or a duration up to "
                f"{duration_text(retention)} such as 3d or 12h"
            ) from None
        if back > retention:
            raise ConfigurationError(
                f"--from {text}: Box keeps this stream {duration_text(retention)}; use at most "
                f"--from {duration_text(retention)}, and `boxevents backfill` for anything older"
            )
        return cls("0", now - back, now - back if back < retention else None)


@dataclass
class StreamReport:
    polls: int = 0
    loads: int = 0
    events_read: int = 0
    events_new: int = 0
    requests: int = 0
    position: str | None = None
    stopped_by: str | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        stopped = f"; stopped by {self.stopped_by}" if self.stopped_by else ""
        return (
            f"{self.heading()}: {plural(self.events_new, 'new event')} ({self.events_read:,} read) in "
            f"{plural(self.loads, 'load')}, {self.waits()}, "
            f"{plural(self.requests, 'API call')} in {self.seconds:.1f}s{stopped}; "
            "the position is committed, the same command resumes"
        )

    def heading(self) -> str:
        return "stream"

    def waits(self) -> str:
        """How the job waited for events (`watch` long-polls instead)."""
        return plural(self.polls, "poll")


def stream(
    pipeline: dlt.Pipeline,
    *,
    api: ApiOptions | None = None,
    start_from: str | None = None,
    follow: bool = False,
    interval: timedelta = DEFAULT_STREAM_INTERVAL,
    max_interval: timedelta = MAX_STREAM_INTERVAL,
    events_per_run: int = DEFAULT_EVENTS_PER_RUN,
    lock: Callable[[], AbstractContextManager[object]] = nullcontext,
    clock: Clock = lambda: datetime.now(UTC),
    until: Callable[[], bool] = lambda: False,
    on_load: Callable[[StreamOutcome], None] | None = None,
) -> StreamReport:
    """Read admin_logs_streaming until caught up (or, with `follow`, until stopped or `until()`).

    `start_from` (`now`, or a duration up to 14 days) restarts the stream there; without it the
    stream resumes from its stored position, or starts `now` the first time. `lock` is held for
    each poll only (the CLI passes the warehouse's write lock)."""
    if interval <= timedelta(0) or max_interval < interval:
        raise ConfigurationError("--interval must be positive and at most the maximum interval")
    report = StreamReport()
    started = time.monotonic()
    client = open_client((api or ApiOptions()).resolve())
    poller = Poller(pipeline, client, report, on_load)
    position: str | None = None
    covered_from: datetime | None = None
    not_before: datetime | None = None
    wait = interval
    try:
        while True:
            with lock():
                if position is None:
                    position, covered_from, not_before = begin(pipeline, client, start_from, clock)
                    due = True  # the first poll always commits where it starts
                else:
                    due = poller.counters_due()
                load = StreamLoad(
                    ADMIN_LOGS_STREAMING,
                    ENTERPRISE,
                    position,
                    covered_from,
                    not_before=not_before,
                    known_ids=lambda a, b: ledger.event_ids_between(pipeline, a, b),
                    max_events=events_per_run,
                    clock=clock,
                )
                out = poller.poll(load, due=due)
                if out is not None:
                    position, covered_from = out.position, out.covered_to
            report.position, report.requests = position, client.stats.requests
            if out is not None and not out.caught_up:
                continue  # more is waiting: no pause
            if not follow or until():
                break
            wait = interval if out is not None and out.events_read else min(wait * 2, max_interval)
            pause(wait, until)
            if until():
                break
    except StopRequested as stop:
        report.stopped_by = stop.name
    finally:
        client.close()
        report.seconds = time.monotonic() - started
    return report


class Poller:
    """The loads of one position-read stream (`stream`'s live lane, `watch`'s user streams).

    A poll pages from the load's position and loads what came with the new position; a poll that
    found nothing loads only when `due` (a first start commits where it begins, and idle polls
    write their API calls to `sync_runs` every STREAM_COUNTERS_EVERY)."""

    def __init__(
        self,
        pipeline: dlt.Pipeline,
        client: BoxEventsClient,
        report: StreamReport,
        on_load: Callable[[StreamOutcome], None] | None = None,
    ) -> None:
        self.pipeline, self.client, self.report, self.on_load = pipeline, client, report, on_load
        self.counted = (0, 0, 0)
        """The client's requests, retries and 429s already written to `sync_runs`."""
        self.last_load = time.monotonic()

    def counters_due(self) -> bool:
        return time.monotonic() - self.last_load >= STREAM_COUNTERS_EVERY.total_seconds()

    def poll(self, load: StreamLoad, *, due: bool, through_end: bool = False) -> StreamOutcome | None:
        """The load's outcome, or None when nothing came and nothing was due (no load)."""
        pages = self.client.position_pages(
            load.stream_type, load.position, load.page_limit, through_end=through_end
        )
        first = next(pages, None)
        self.report.polls += 1
        if first is None and not due:
            return None
        chained: Iterator = itertools.chain([first], pages) if first is not None else iter(())
        self.pipeline.run(lane_load(stream_items(self.client, chained, load, counted=self.counted)))
        stats = self.client.stats
        self.counted = (stats.requests, stats.retries, stats.throttled)
        out = load.outcome
        self.report.loads += 1
        self.report.events_read += out.events_read
        self.report.events_new += out.events_new
        self.last_load = time.monotonic()
        if self.on_load:
            self.on_load(out)
        return out


def begin(
    pipeline: dlt.Pipeline,
    client: BoxEventsClient,
    start_from: str | None,
    clock: Clock,
    *,
    stream_type: str = ADMIN_LOGS_STREAMING,
    lane: str = ADMIN_LOGS_STREAMING,
    stream_key: str = ENTERPRISE,
    retention: timedelta = STREAMING_RETENTION,
    gap: Callable[[StoredPosition, str], str] | None = None,
) -> tuple[str, datetime, datetime | None]:
    """The position to read from: the stored one (checked against Box's retention), or a start.

    `gap(stored, watched)` words the StreamGap of a stored position older than the retention
    (`watched`: where the stream's watch ended); the default speaks of the live lane."""
    from .jobs import finish_pending

    finish_pending(pipeline)
    now = clock()
    stored = stored_position(pipeline, lane, stream_key)
    if start_from is None and stored is not None:
        if stored.outlived(retention, now):
            watched = (stored.covered_to or stored.read_at).isoformat(timespec="seconds")
            raise StreamGap((gap or _live_lane_gap)(stored, watched))
        return stored.position, stored.covered_to or stored.read_at, None
    start = StreamStart.parse(start_from or DEFAULT_STREAM_START, now, retention)
    position = client.latest_position(stream_type) if start.position == "now" else "0"
    return position, start.watch_from, start.not_before


def _live_lane_gap(stored: StoredPosition, watched: str) -> str:
    return (
        f"the stored admin_logs_streaming position was read {stored.read_at:%Y-%m-%d %H:%M} UTC, "
        f"more than Box's {duration_text(STREAMING_RETENTION)} ago: events after {watched} may be "
        "missing from the live lane; restart it with `boxevents stream --from now` and fill the "
        f"gap with `boxevents backfill --start {watched}`"
    )


def pause(seconds: timedelta, until: Callable[[], bool]) -> None:
    """Sleep between polls, awake to a stop request (Ctrl-C, SIGTERM) or `until()`."""
    deadline = time.monotonic() + seconds.total_seconds()
    while time.monotonic() < deadline:
        stopping.check()
        if until():
            return
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    stopping.check()
