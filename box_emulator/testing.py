"""Reusable test helpers: a running emulator in one `with` statement.

Other test suites (pipelines, transforms) import `running_emulator` instead of copying fixture
code, so every suite starts the emulator the same way.

    from box_emulator.testing import running_emulator
    with running_emulator(seed=7, profile="hostile") as (emu, srv):
        ...

Replay: `running_emulator(replay_events=[...Box event dicts...], now=...)` serves exactly those
events (and nothing generated) through the normal API, with the oracle knowing exactly them; pick
`now` after the latest `created_at` and within `retention_days` of the earliest, e.g.

    events = [json.load(open(f))["event"] for f in sorted(glob("tests/fixtures/box_samples/*.json"))]
    latest = max(datetime.fromisoformat(e["created_at"]) for e in events)
    with running_emulator(replay_events=events, now=latest + timedelta(days=1)) as (emu, srv):
        ...  # page admin_logs over the events' range; emu.oracle.events(...) == events

`page_admin_logs` is a small reference client (retries, Retry-After, positions as strings) for
tests that need "what a correct client gets" over HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from box_emulator.clock import Clock, ManualClock
from box_emulator.config import EmulatorConfig
from box_emulator.emulator import Emulator
from box_emulator.server import EmulatorServer

#: Where the manual clock starts when a test does not say (a Monday noon UTC).
DEFAULT_TEST_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@contextmanager
def running_emulator(
    *, clock: Clock | None = None, now: datetime | None = None, **config_kwargs: Any
) -> Iterator[tuple[Emulator, EmulatorServer]]:
    """Start an emulator on a free 127.0.0.1 port; yields (emulator, server).

    `config_kwargs` are `EmulatorConfig` fields. The clock defaults to a `ManualClock` at
    `now` (default `DEFAULT_TEST_NOW`) so tests are reproducible; pass `clock=SystemClock()`
    for real time.
    """
    emulator = Emulator(
        EmulatorConfig(**config_kwargs),
        clock=clock if clock is not None else ManualClock(now or DEFAULT_TEST_NOW),
    )
    with EmulatorServer(emulator, host="127.0.0.1", port=0) as server:
        yield emulator, server


def history_ending_at(end: datetime, hours: float, **config_kwargs: Any) -> list[dict[str, Any]]:
    """`hours` of generated history (`config_kwargs`: `EmulatorConfig` fields), moved whole to end
    at `end`, as replay events: `running_emulator(clock=SystemClock(), replay_events=...)` is then
    a world on the real clock in which nothing new arrives. For runs that take their "now" from the
    real clock (a scheduler, a CI job, a subprocess), so a second run must add exactly nothing."""
    source = Emulator(EmulatorConfig(**config_kwargs), clock=ManualClock(DEFAULT_TEST_NOW))
    settled = DEFAULT_TEST_NOW - source.config.max_arrival_delay  # everything before it has arrived
    shift = end.replace(microsecond=0) - settled
    events = source.oracle.events(settled - timedelta(hours=hours), settled)
    for event in events:
        event["created_at"] = (datetime.fromisoformat(event["created_at"]) + shift).isoformat()
    return events


@dataclass
class PagingResult:
    """What `page_admin_logs` saw: entries in order, and how delivery went."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    retries: int = 0
    throttled: int = 0
    positions: list[str] = field(default_factory=list)

    @property
    def event_ids(self) -> list[str]:
        return [e["event_id"] for e in self.entries]


def read_stream(
    client: httpx.Client, params: dict[str, Any], position: str = "0", limit: int = 500
) -> tuple[list[dict[str, Any]], str]:
    """Every entry of a position-read stream after `position`, up to its end (an empty page), and
    the last position: the tests' reference reader of admin_logs_streaming and the user streams."""
    entries: list[dict[str, Any]] = []
    for _ in range(10_000):
        r = client.get("/events", params={**params, "stream_position": position, "limit": limit})
        assert r.status_code == 200, r.text
        body = r.json()
        if not body["entries"]:
            return entries, str(body["next_stream_position"])
        entries.extend(body["entries"])
        position = str(body["next_stream_position"])
    raise AssertionError("stream did not end")


def page_admin_logs(
    client: httpx.Client,
    *,
    created_after: datetime,
    created_before: datetime,
    event_types: list[str] | None = None,
    limit: int = 500,
    max_attempts: int = 30,
    max_pages: int = 100_000,
) -> PagingResult:
    """Page one `admin_logs` window to its terminal page, the way a careful client must.

    A deliberately small reference client for tests: retries 429 (honouring Retry-After),
    5xx and dropped connections; keeps positions as strings; never stops on a short page;
    never adopts a `0` that comes with an empty page. `client` carries base URL and auth.
    """
    params: dict[str, Any] = {
        "stream_type": "admin_logs",
        "created_after": created_after.isoformat(),
        "created_before": created_before.isoformat(),
        "limit": limit,
    }
    if event_types:
        params["event_type"] = ",".join(event_types)
    result = PagingResult()
    position: str | None = None
    for _ in range(max_pages):
        query = dict(params)
        if position is not None:
            query["stream_position"] = position
        body = _get_with_retries(client, query, result, max_attempts)
        raw_position = body["next_stream_position"]
        next_position = str(raw_position)
        result.pages += 1
        result.positions.append(next_position)
        if not body["entries"]:
            return result  # the terminal page (its position is the one sent, or a legacy 0)
        result.entries.extend(body["entries"])
        position = next_position
    raise RuntimeError("too many pages")


def _get_with_retries(
    client: httpx.Client, query: dict[str, Any], result: PagingResult, max_attempts: int
) -> dict[str, Any]:
    for _attempt in range(max_attempts):
        try:
            response = client.get("/events", params=query)
        except httpx.TransportError:
            result.retries += 1
            continue
        if response.status_code == 200:
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError:
                result.retries += 1
                continue
        if response.status_code == 429:
            result.throttled += 1
            result.retries += 1
            time.sleep(float(response.headers.get("retry-after", "1")))
            continue
        if response.status_code >= 500:
            result.retries += 1
            time.sleep(0.01)
            continue
        response.raise_for_status()
    raise RuntimeError(f"gave up after {max_attempts} attempts")
