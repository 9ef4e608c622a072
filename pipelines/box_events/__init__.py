"""The dlt source for Box enterprise events (`GET /events?stream_type=admin_logs`).

`box_events(start_date=..., end_date=...)` is the whole user interface: it cuts the range into windows,
pages each window to Box's terminal page (several windows at once, under one rate limiter), and loads
- `admin_logs`: one row per event, merged on `event_id` (a re-read window never doubles a row);
- `window_ledger`: one row per completed window, in the same load package as its events, so a range
  is recorded as covered only together with the data that covers it;
- `sync_runs`: the run's request, retry and 429 counters.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.sources import DltResource

from .arrow_pages import EVENTS_COLUMNS
from .auth import BoxCredentials, make_auth
from .client import BoxEventsClient
from .event_types import normalize_event_types
from .exceptions import ConfigurationError
from .fetch import WindowDone, WindowFetcher
from .ratelimit import RateLimiter
from .retries import RequestStats, RetryPolicy
from .settings import (
    DEFAULT_API_BASE_URL,
    DEFAULT_CONCURRENCY,
    DEFAULT_REQUESTS_PER_MINUTE,
    DEFAULT_TOKEN_URL,
    DEFAULT_WINDOW,
    EVENTS_TABLE,
    LEDGER_TABLE,
    MAX_ATTEMPTS,
    MAX_RETRY_WAIT_S,
    RUNS_TABLE,
)
from .windows import Window, clamp_range, parse_duration, parse_when, plan_windows

log = logging.getLogger(__name__)

LEDGER_COLUMNS: TTableSchemaColumns = {
    "window_start": {"data_type": "timestamp", "timezone": True, "nullable": False},
    "window_end": {"data_type": "timestamp", "timezone": True, "nullable": False},
    "event_types": {"data_type": "text", "nullable": False},
    "events_read": {"data_type": "bigint"},
    "pages": {"data_type": "bigint"},
    "kind": {"data_type": "text"},
    "run_id": {"data_type": "text"},
    "completed_at": {"data_type": "timestamp", "timezone": True},
}
RUNS_COLUMNS: TTableSchemaColumns = {
    "run_id": {"data_type": "text", "nullable": False},
    "job_id": {"data_type": "text"},
    "kind": {"data_type": "text"},
    "started_at": {"data_type": "timestamp", "timezone": True},
    "finished_at": {"data_type": "timestamp", "timezone": True},
    "windows": {"data_type": "bigint"},
    "events": {"data_type": "bigint"},
    "requests": {"data_type": "bigint"},
    "retries": {"data_type": "bigint"},
    "throttled": {"data_type": "bigint"},
    "api_base_url": {"data_type": "text"},
}


@dlt.source(name="box_events", max_table_nesting=0)
def box_events(
    start_date: str | datetime = "30d",
    end_date: str | datetime = "now",
    event_types: str | Sequence[str] | None = None,
    api_base_url: str = DEFAULT_API_BASE_URL,
    token_url: str = DEFAULT_TOKEN_URL,
    credentials: BoxCredentials = dlt.secrets.value,
    window_size: str | timedelta = DEFAULT_WINDOW,
    requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_attempts: int = MAX_ATTEMPTS,
    max_retry_wait_s: float = MAX_RETRY_WAIT_S,
    windows: Sequence[Window] | None = None,
    kind: str = "backfill",
    on_window: Callable[[WindowDone], None] | None = None,
    plan: FetchPlan | None = None,
    checkpoint: int = 0,
) -> DltResource:
    """Box enterprise events from `start_date` to `end_date`.

    Args:
        start_date: ISO date/date-time, or relative (`365d`, `12h`); clamped to Box's 365 days.
        end_date: ISO date/date-time, relative, or `now`; clamped to now.
        event_types: only these types (comma list or sequence); unknown names warn but pass.
        api_base_url / token_url: Box's, or the emulator's / a proxy's.
        credentials: Client Credentials Grant, JWT app config, or a developer token.
        window_size: the `created_after`/`created_before` window (default one day).
        requests_per_minute: the client-side rate limit (Box allows about 1,000).
        concurrency: windows fetched at once.
        windows: explicit windows (the jobs pass the ones the ledger lacks); overrides the dates.
        kind: `backfill` or `sync`, recorded in the ledger.
        on_window: called after each completed window (progress display).
        plan, checkpoint: for the jobs' multi-checkpoint runs: one fetcher shared by all runs of a
            job, so the next checkpoint's windows are fetched while the previous one loads.
    """
    types = normalize_event_types(event_types)
    if plan is None:
        if windows is None:
            now = datetime.now(UTC)
            start, end = clamp_range(
                parse_when(start_date, now=now, name="start date"),
                parse_when(end_date, now=now, name="end date"),
                now=now,
            )
            size = window_size if isinstance(window_size, timedelta) else parse_duration(window_size)
            windows = plan_windows(start, end, size)
        plan = FetchPlan(list(windows), close_when_done=True)
    if plan.fetcher is None:
        _check_api_settings(
            requests_per_minute=requests_per_minute,
            concurrency=concurrency,
            max_attempts=max_attempts,
            max_retry_wait_s=max_retry_wait_s,
        )
        policy = RetryPolicy(max_attempts=max_attempts, max_wait_s=max_retry_wait_s)
        limiter = RateLimiter(requests_per_minute)
        client = BoxEventsClient(
            api_base_url,
            make_auth(credentials, token_url, policy, limiter),
            limiter=limiter,
            stats=RequestStats(),
            policy=policy,
        )
        plan.fetcher = WindowFetcher(
            client,
            plan.windows,
            max_events=plan.max_events,
            max_windows=plan.max_windows,
            event_types=types,
            concurrency=concurrency,
        )
    return admin_logs(plan, checkpoint, ",".join(types), kind, on_window)


def _check_api_settings(**settings: float) -> None:
    """Numbers that reach the client from a flag or from config must make sense: a rate of 0 or
    less would divide by zero, 0 threads would never fetch, 0 attempts never ask."""
    flags = {"requests_per_minute": "--requests-per-minute", "concurrency": "--concurrency"}
    for name, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0 or value != value:
            where = f"pass {flags[name]} or set " if name in flags else "set "
            raise ConfigurationError(
                f"{name} must be a positive number (got {value!r}): {where}sources.box_events.{name} "
                "in .dlt/config.toml (or its environment variable)"
            )


class FetchPlan:
    """The windows of one job, how big its checkpoints may grow, and the fetcher serving them all.

    The first source call creates the fetcher from its resolved configuration; the job closes the
    plan when it ends (a plan the source makes for itself is one checkpoint and closes itself)."""

    def __init__(
        self,
        windows: list[Window],
        *,
        max_events: float = float("inf"),
        max_windows: int | None = None,
        close_when_done: bool = False,
        job_id: str | None = None,
    ) -> None:
        self.windows = windows
        # one id for every checkpoint (dlt run) of the job, so `status` can sum a job's runs
        self.job_id = job_id or uuid.uuid4().hex
        self.max_events = max_events
        self.max_windows = max_windows
        self.fetcher: WindowFetcher | None = None
        self.close_when_done = close_when_done

    def has_checkpoint(self, index: int) -> bool:
        if self.fetcher is None:
            return index == 0 and bool(self.windows)
        return self.fetcher.has_checkpoint(index)

    def close(self) -> None:
        if self.fetcher is not None:
            self.fetcher.close()


@dlt.resource(name=EVENTS_TABLE)
def admin_logs(
    plan: FetchPlan,
    checkpoint: int,
    filter_key: str,
    kind: str,
    on_window: Callable[[WindowDone], None] | None = None,
) -> Iterator[Any]:
    """Events as Arrow tables; after each window its ledger row; at the end the run's counters.

    Each of the three tables is a hint variant of this one resource (merge for events, append for the
    bookkeeping), so a window's ledger row is yielded by the same generator right after its events."""
    assert plan.fetcher is not None
    route = _TableRouter()
    run_id = uuid.uuid4().hex
    started_at = datetime.now(UTC)
    events = windows = 0
    try:
        for item in plan.fetcher.checkpoint(checkpoint):
            if isinstance(item, WindowDone):
                events += item.events
                windows += 1
                if on_window:
                    on_window(item)
                yield route(LEDGER_TABLE, _ledger_row(item, filter_key, kind, run_id))
            else:
                yield route(EVENTS_TABLE, item)
        counters = plan.fetcher.take_counters()
    finally:
        if plan.close_when_done:
            plan.close()
    yield route(
        RUNS_TABLE,
        {
            "run_id": run_id,
            "job_id": plan.job_id,
            "kind": kind,
            "started_at": started_at,
            "finished_at": datetime.now(UTC),
            "windows": windows,
            "events": events,
            "requests": counters.requests,
            "retries": counters.retries,
            "throttled": counters.throttled,
            "api_base_url": plan.fetcher.client.api_base_url,
        },
    )


def _ledger_row(done: WindowDone, filter_key: str, kind: str, run_id: str) -> dict[str, Any]:
    return {
        "window_start": done.window.start,
        "window_end": done.window.end,
        "event_types": filter_key,
        "events_read": done.events,
        "pages": done.pages,
        "kind": kind,
        "run_id": run_id,
        "completed_at": datetime.now(UTC),
    }


TABLE_HINTS = {
    EVENTS_TABLE: dlt.mark.make_hints(
        table_name=EVENTS_TABLE,
        # the merge keeps dlt's own dedup step even though each checkpoint stages an event_id once
        # (fetch.FirstSightings): a load killed after its copy into staging committed but before
        # dlt marked the job done copies the same file again on resume, so staging can hold every
        # row twice, and only the merge's dedup keeps that from doubling the events
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key="event_id",
        columns=EVENTS_COLUMNS,
    ),
    LEDGER_TABLE: dlt.mark.make_hints(
        table_name=LEDGER_TABLE, write_disposition="append", columns=LEDGER_COLUMNS
    ),
    RUNS_TABLE: dlt.mark.make_hints(table_name=RUNS_TABLE, write_disposition="append", columns=RUNS_COLUMNS),
}


class _TableRouter:
    """Mark items for their table: the first item of a table carries its hints (a table variant),
    later ones only the table name, so dlt does not recompute the schema for every batch."""

    def __init__(self) -> None:
        self._hinted: set[str] = set()

    def __call__(self, table: str, item: Any) -> Any:
        if table in self._hinted:
            return dlt.mark.with_table_name(item, table)
        self._hinted.add(table)
        return dlt.mark.with_hints(item, TABLE_HINTS[table], create_table_variant=True)
