"""`boxevents watch`: one user's event stream (all, changes or sync), woken by Box's long poll.

Written the way `stream` is (see `pipelines/stream.py`): each read takes the warehouse's write lock,
pages from the exact stored position and loads the new events into `user_events` with the new
position, in one load package, then lets the lock go. Between reads the job waits on Box's
real-time server (`box_events.realtime`) instead of polling on a timer, holding nothing: it reads
once at start (whatever arrived while it was stopped), then after every `new_change`. An idle
stream costs one long poll per `retry_timeout` (about ten minutes at Box) and an OPTIONS call per
`ttl`; every STREAM_COUNTERS_EVERY a read also writes those calls to `sync_runs`.

The user is the token's own (`GET /users/me`) or `as_user` (Box's `As-User` header, which needs
the app permission "Perform actions as users"). Rows carry `stream_user_id` and `stream_type`, and
the position is kept per user and stream type. Box keeps `all` and `changes` 21 days and `sync` 31:
a stored position older than that stops the job with one line instead of skipping the gap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dlt

from .box_events import realtime, stopping
from .box_events.client import BoxEventsClient, open_client
from .box_events.config import ApiOptions
from .box_events.exceptions import ConfigurationError
from .box_events.settings import (
    DEFAULT_EVENTS_PER_RUN,
    LONGPOLL_BACKOFF_MAX,
    USER_EVENTS_TABLE,
    USER_PAGE_LIMIT,
    USER_STREAM_RETENTION,
    USER_STREAM_TYPES,
)
from .box_events.stopping import StopRequested
from .box_events.streams import StoredPosition, StreamLoad, StreamOutcome
from .box_events.windows import duration_text
from .stream import Clock, Poller, StreamReport, begin, pause
from .wording import plural

log = logging.getLogger(__name__)

LANE = "user_stream"


@dataclass
class WatchReport(StreamReport):
    user_id: str | None = None
    stream_type: str = "all"
    long_polls: int = 0
    changes: int = 0
    """Long polls answered `new_change`."""
    reconnects: int = 0
    """Long polls answered `reconnect` or `max_retries` (then OPTIONS is asked again)."""
    subscriptions: int = 0
    """OPTIONS calls (a new real-time server after `reconnect`, `max_retries`, failures or `ttl`)."""
    failed_polls: int = 0
    """Long polls without an answer (`retry_timeout` passed, or no connection)."""

    def heading(self) -> str:
        return f"watch: user {self.user_id}'s {self.stream_type} stream"

    def waits(self) -> str:
        return (
            f"{plural(self.long_polls, 'long poll')} ({self.changes:,} with changes), "
            f"{plural(self.subscriptions, 'OPTIONS call')}"
        )


def watch(
    pipeline: dlt.Pipeline,
    *,
    api: ApiOptions | None = None,
    stream_type: str = "all",
    as_user: str | None = None,
    start_from: str | None = None,
    lock: Callable[[], AbstractContextManager[object]] = nullcontext,
    clock: Clock = lambda: datetime.now(UTC),
    until: Callable[[], bool] = lambda: False,
    on_load: Callable[[StreamOutcome], None] | None = None,
) -> WatchReport:
    """Follow one user's stream until `until()` is true or a stop is requested.

    `stream_type` is all, changes or sync; `as_user` a user id to read as (else the token's user).
    `start_from` restarts the stream: `now` (the default the first time) or `0` (everything Box
    keeps); without it the stream resumes from its stored position. `lock` is held for each read
    only (the CLI passes the warehouse's write lock)."""
    if stream_type not in USER_STREAM_TYPES:
        raise ConfigurationError(f"--stream-type {stream_type!r}: use one of {', '.join(USER_STREAM_TYPES)}")
    if start_from not in (None, "now", "0"):
        raise ConfigurationError(f"--from {start_from!r}: use now, or 0 for everything Box keeps")
    if as_user is not None and not as_user.isdigit():
        raise ConfigurationError(f"--as-user {as_user!r}: a Box user id is a number, such as 11873402")
    report = WatchReport(stream_type=stream_type)
    started = time.monotonic()
    client = open_client((api or ApiOptions()).resolve(), as_user=as_user)
    listener = realtime.LongPoll(client)
    try:
        user_id = report.user_id = as_user or client.current_user_id()
        poller = Poller(pipeline, client, report, on_load)
        stream = _UserStream(pipeline, client, poller, lock, clock, user_id=user_id, stream_type=stream_type)
        stream.read(due=True, start_from=start_from)
        server: realtime.RealtimeServer | None = None
        failures = 0
        while not until():
            if server is None or server.expired():
                server = realtime.subscribe(client)
                report.subscriptions += 1
            report.long_polls += 1
            message = listener.wait(server, stream.position, until)
            if message is None:
                break
            if message in (realtime.TIMED_OUT, realtime.UNREACHABLE):
                report.failed_polls += 1
                failures += 1
                if failures % server.max_retries == 0:
                    server = None  # Box: after max_retries failed polls, ask OPTIONS again
                if message == realtime.UNREACHABLE:
                    pause(min(timedelta(seconds=2 ** min(failures - 1, 10)), LONGPOLL_BACKOFF_MAX), until)
            else:
                failures = 0
                if message == realtime.NEW_CHANGE:
                    report.changes += 1
                else:  # reconnect, max_retries, or a message Box has not documented
                    if message not in (realtime.RECONNECT, realtime.MAX_RETRIES):
                        log.warning("the real-time server answered %r: asking OPTIONS again", message)
                    report.reconnects += 1
                    server = None
            if message == realtime.NEW_CHANGE or poller.counters_due():
                stream.read(due=message != realtime.NEW_CHANGE)
            report.requests = client.stats.requests
    except StopRequested as stop:
        report.stopped_by = stop.name
    finally:
        listener.close()
        client.close()
        report.requests = client.stats.requests
        report.seconds = time.monotonic() - started
    return report


class _UserStream:
    """One user's stream of one type: its key, where it stands, and its reads."""

    def __init__(
        self,
        pipeline: dlt.Pipeline,
        client: BoxEventsClient,
        poller: Poller,
        lock: Callable[[], AbstractContextManager[object]],
        clock: Clock,
        *,
        user_id: str,
        stream_type: str,
    ) -> None:
        self.pipeline, self.client, self.poller, self.lock, self.clock = pipeline, client, poller, lock, clock
        self.user_id, self.stream_type = user_id, stream_type
        self.key = f"{user_id}:{stream_type}"
        self.retention = USER_STREAM_RETENTION[stream_type]
        self.position: str = ""
        self.covered_from: datetime | None = None
        self.not_before: datetime | None = None

    def read(self, *, due: bool, start_from: str | None = None) -> None:
        """Read until caught up, under the lock per load; the first read also finds the start
        (`start_from`, else the stored position)."""
        while True:
            with self.lock():
                if not self.position:
                    self.position, self.covered_from, self.not_before = begin(
                        self.pipeline,
                        self.client,
                        start_from,
                        self.clock,
                        stream_type=self.stream_type,
                        lane=LANE,
                        stream_key=self.key,
                        retention=self.retention,
                        gap=self._gap,
                    )
                load = StreamLoad(
                    self.stream_type,
                    self.key,
                    self.position,
                    self.covered_from,
                    table=USER_EVENTS_TABLE,
                    lane=LANE,
                    not_before=self.not_before,
                    known_ids=None,
                    max_events=DEFAULT_EVENTS_PER_RUN,
                    page_limit=USER_PAGE_LIMIT,
                    extra_columns={"stream_user_id": self.user_id, "stream_type": self.stream_type},
                    clock=self.clock,
                )
                out = self.poller.poll(load, due=due, through_end=True)
                if out is not None:
                    self.position, self.covered_from = out.position, out.covered_to
            self.poller.report.position = self.position
            if out is None or out.caught_up:
                return
            stopping.check()  # between two committed loads
            due = False

    def _gap(self, stored: StoredPosition, watched: str) -> str:
        return (
            f"the stored position of user {self.user_id}'s {self.stream_type} stream was read "
            f"{stored.read_at:%Y-%m-%d %H:%M} UTC, more than Box's {duration_text(self.retention)} ago: "
            f"events after {watched} may be missing from {USER_EVENTS_TABLE}; restart it with "
            "`boxevents watch --from now`"
        )
