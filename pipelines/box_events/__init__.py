"""The dlt source for Box enterprise events (`GET /events?stream_type=admin_logs`).

`box_events(start_date=..., end_date=...)` is the whole interface of the source: it cuts the range
into windows, pages each window to Box's terminal page (several windows at once, under one rate
limiter), and loads
- `admin_logs`: one row per event, merged on `event_id` (a re-read window never doubles a row);
- `window_ledger`: one row per completed window, in the same load package as its events, so a range
  is recorded as covered only together with the data that covers it;
- `sync_runs`: the run's request, retry and 429 counters.

It runs on its own (`pipeline.run(box_events(start_date="7d"))`). The `boxevents` jobs
(`pipelines.jobs`) do more with the same parts: checkpoints, resume from the ledger, the live lanes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.common.configuration import configspec
from dlt.sources import DltResource

from .admin_logs import WindowReading, checkpoint_items
from .client import open_client
from .config import BoxApiConfiguration, TBoxCredentials, resolve_api
from .event_types import normalize_event_types
from .fetch import WindowFetcher
from .resources import Item, lane_load
from .settings import DEFAULT_WINDOW
from .windows import Window, clamp_range, duration_text, parse_duration, parse_when, plan_windows

DEFAULT_START = "30d"


@configspec
class BoxEventsSourceConfiguration(BoxApiConfiguration):
    """The source's arguments, resolved by dlt like the API settings they extend."""

    start_date: Any = DEFAULT_START
    end_date: Any = "now"
    event_types: Any | None = None
    window_size: Any = duration_text(DEFAULT_WINDOW)


@dlt.source(name="box_events", max_table_nesting=0, spec=BoxEventsSourceConfiguration)
def box_events(
    start_date: str | datetime = dlt.config.value,
    end_date: str | datetime = dlt.config.value,
    event_types: str | Sequence[str] | None = dlt.config.value,
    credentials: TBoxCredentials = dlt.secrets.value,
    api_base_url: str = dlt.config.value,
    token_url: str = dlt.config.value,
    window_size: str | timedelta = dlt.config.value,
) -> DltResource:
    """Box enterprise events from `start_date` to `end_date`.

    Args:
        start_date: ISO date/date-time, or relative (`365d`, `12h`); clamped to Box's 365 days.
        end_date: ISO date/date-time, relative, or `now`; clamped to now.
        event_types: only these types (comma list or sequence); unknown names warn but pass.
        credentials: Client Credentials Grant, JWT app config, or a developer token (see `config`).
        api_base_url / token_url: Box's, or the emulator's / a proxy's.
        window_size: the `created_after`/`created_before` window (default one day).

    The rate limit, concurrency and retries come from `[sources.box_events]` in dlt's config.
    """
    types = normalize_event_types(event_types)
    api = resolve_api(credentials=credentials, api_base_url=api_base_url, token_url=token_url)
    now = datetime.now(UTC)
    start, end = clamp_range(
        parse_when(start_date, now=now, name="start date"),
        parse_when(end_date, now=now, name="end date"),
        now=now,
    )
    size = window_size if isinstance(window_size, timedelta) else parse_duration(window_size)
    return lane_load(_read_windows(api, plan_windows(start, end, size), types))


def _read_windows(api: BoxApiConfiguration, windows: list[Window], types: tuple[str, ...]) -> Iterator[Item]:
    """All windows as one checkpoint; the client opens when dlt starts reading and closes after."""
    with WindowFetcher(open_client(api), windows, event_types=types, concurrency=api.concurrency) as fetcher:
        yield from checkpoint_items(fetcher, 0, WindowReading("backfill", types))
