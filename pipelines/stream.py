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
from .box_events.client import open_client
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
from .box_events.streams import ENTERPRISE, StreamLoad, StreamOutcome, stored_position, stream_items
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
        """`now`, or a duration up to the retention (`14d`, `36h`): the stream then reads from `0`
        (everything Box keeps) and drops what is older than the duration."""
        if text == "now":
            return cls("now", now, None)
        try:
            back = parse_duration(text)
        except ConfigurationError:
            raise ConfigurationError(
                f"--from {text!r}: use now, or a duration up to {duration_text(retention)} such as 3d or 12h"
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
            f"stream: {plural(self.events_new, 'new event')} ({self.events_read:,} read) in "
            f"{plural(self.loads, 'load')}, {plural(self.polls, 'poll')}, "
            f"{plural(self.requests, 'API call')} in {self.seconds:.1f}s{stopped}; "
            "the position is committed, the same command resumes"
        )


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
    position: str | None = None
    covered_from: datetime | None = None
    not_before: datetime | None = None
    counted = (0, 0, 0)
    wait = interval
    last_load = time.monotonic()
    try:
        while True:
            with lock():
                if position is None:
                    position, covered_from, not_before = _begin(pipeline, client, start_from, clock)
                    due = True  # the first poll always commits where it starts
                else:
                    due = time.monotonic() - last_load >= STREAM_COUNTERS_EVERY.total_seconds()
                pages = client.position_pages(ADMIN_LOGS_STREAMING, position)
                first = next(pages, None)
                report.polls += 1
                if first is not None or due:
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
                    chained: Iterator = itertools.chain([first], pages) if first is not None else iter(())
                    pipeline.run(lane_load(stream_items(client, chained, load, counted=counted)))
                    stats = client.stats
                    counted = (stats.requests, stats.retries, stats.throttled)
                    out = load.outcome
                    position, covered_from = out.position, out.covered_to
                    report.loads += 1
                    report.events_read += out.events_read
                    report.events_new += out.events_new
                    last_load = time.monotonic()
                    if on_load:
                        on_load(out)
                    caught_up = out.caught_up
                else:
                    caught_up = True
            report.position, report.requests = position, client.stats.requests
            if not caught_up:
                continue  # more is waiting: no pause
            if not follow or until():
                break
            wait = interval if first is not None else min(wait * 2, max_interval)
            _pause(wait, until)
            if until():
                break
    except StopRequested as stop:
        report.stopped_by = stop.name
    finally:
        client.close()
        report.seconds = time.monotonic() - started
    return report


def _begin(
    pipeline: dlt.Pipeline, client, start_from: str | None, clock: Clock
) -> tuple[str, datetime, datetime | None]:
    """The position to read from: the stored one (checked against Box's retention), or a start."""
    from .jobs import finish_pending

    finish_pending(pipeline)
    now = clock()
    stored = stored_position(pipeline, ADMIN_LOGS_STREAMING, ENTERPRISE)
    if start_from is None and stored is not None:
        if now - stored.read_at > STREAMING_RETENTION:
            watched = (stored.covered_to or stored.read_at).isoformat(timespec="seconds")
            raise StreamGap(
                f"the stored admin_logs_streaming position was read {stored.read_at:%Y-%m-%d %H:%M} UTC, "
                f"more than Box's {duration_text(STREAMING_RETENTION)} ago: events after {watched} may be "
                "missing from the live lane; restart it with `boxevents stream --from now` and fill the "
                f"gap with `boxevents backfill --start {watched}`"
            )
        return stored.position, stored.covered_to or stored.read_at, None
    start = StreamStart.parse(start_from or DEFAULT_STREAM_START, now)
    position = client.latest_position(ADMIN_LOGS_STREAMING) if start.position == "now" else "0"
    return position, start.watch_from, start.not_before


def _pause(seconds: timedelta, until: Callable[[], bool]) -> None:
    """Sleep between polls, awake to a stop request (Ctrl-C, SIGTERM) or `until()`."""
    deadline = time.monotonic() + seconds.total_seconds()
    while time.monotonic() < deadline:
        stopping.check()
        if until():
            return
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    stopping.check()


def stream_gap(pipeline: dlt.Pipeline, now: datetime) -> str | None:
    """For `status`: the live lane's gap, if its stored position has outlived Box's retention."""
    stored = stored_position(pipeline, ADMIN_LOGS_STREAMING, ENTERPRISE)
    if stored is None or now - stored.read_at <= STREAMING_RETENTION:
        return None
    age = duration_text(STREAMING_RETENTION)
    return f"the live lane's position is older than {age}: restart it with --from now, backfill the gap"
