"""Long polling a user's stream: Box's real-time server says when there is something to read.

`OPTIONS /events` (through the client: its token, rate limiter and retries) names a real-time
server: a URL, how long it serves (`ttl`, in minutes), how many failed polls it takes before
asking OPTIONS again (`max_retries`) and how long one poll may wait (`retry_timeout`, seconds). Box
sends `ttl` and `max_retries` as strings ("10") and `retry_timeout` as a number; all three are
read whichever way they come. A poll is a plain `GET <url>&stream_position=<P>` to that server,
without our token (the URL is the credential); it counts as an API call all the same, so the
monthly budget sees it. It answers `new_change` (read the stream), `reconnect` or `max_retries`
(ask OPTIONS again); no answer within `retry_timeout`, or no connection, is a failed poll.

A poll waits in a thread of its own while the job's thread stays awake to a stop request and to
`until()`: Box's servers hold a poll up to ten minutes, far too long to sit deaf to Ctrl-C.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import orjson

from . import stopping
from .arrow_pages import json_kind
from .client import BoxEventsClient
from .exceptions import BoxResponseError
from .settings import CONNECT_TIMEOUT_S

log = logging.getLogger(__name__)

NEW_CHANGE = "new_change"
RECONNECT = "reconnect"
MAX_RETRIES = "max_retries"
TIMED_OUT = "timed out"
"""Not Box's: the poll had no answer within `retry_timeout`."""
UNREACHABLE = "unreachable"
"""Not Box's: no connection to the server, or an answer that is not one of its messages."""


@dataclass(frozen=True)
class RealtimeServer:
    """One entry of `OPTIONS /events`, read into numbers, and when it was handed out."""

    url: str
    ttl: timedelta
    max_retries: int
    retry_timeout: float
    """Seconds one poll may wait for an answer."""
    opened_at: float
    """`time.monotonic()` when OPTIONS answered."""

    def expired(self) -> bool:
        return time.monotonic() - self.opened_at >= self.ttl.total_seconds()


def subscribe(client: BoxEventsClient) -> RealtimeServer:
    """Ask `OPTIONS /events` for a real-time server."""
    return parse_server(client.options_events(), time.monotonic())


def parse_server(body: bytes, opened_at: float) -> RealtimeServer:
    """The first real-time server of an OPTIONS answer; BoxResponseError naming what is unusable."""
    try:
        entries = _entries(orjson.loads(body))
        entry = next((e for e in entries if e.get("type") == "realtime_server"), None)
        if entry is None:
            raise BoxResponseError("it names no realtime_server")
        url = entry.get("url")
        if not isinstance(url, str) or httpx.URL(url).scheme not in ("http", "https"):
            raise BoxResponseError(f"the url is {url!r}, not an http(s) URL")
        return RealtimeServer(
            url=url,
            ttl=timedelta(minutes=_number(entry, "ttl")),
            max_retries=max(1, math.floor(_number(entry, "max_retries"))),
            retry_timeout=_number(entry, "retry_timeout"),
            opened_at=opened_at,
        )
    except (orjson.JSONDecodeError, httpx.InvalidURL, BoxResponseError) as exc:
        reason = "it is not JSON" if isinstance(exc, orjson.JSONDecodeError) else str(exc)
        raise BoxResponseError(
            f"Box's answer to OPTIONS /events is unusable for long polling ({reason}); run the "
            "same command again, and report it to Box if it persists"
        ) from None


def _entries(envelope: Any) -> list[dict[str, Any]]:
    if not isinstance(envelope, dict):
        raise BoxResponseError(f"the answer is {json_kind(envelope)}, not an object")
    entries = envelope.get("entries")
    if not isinstance(entries, list):
        raise BoxResponseError(f"entries is {json_kind(entries)}, not a list")
    return [e for e in entries if isinstance(e, dict)]


def _number(entry: dict[str, Any], name: str) -> float:
    """A positive number sent as a number or a string ("10", " 610 ", "1.5")."""
    value = entry.get(name)
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise BoxResponseError(f"{name} is {value!r}, not a positive number")
    return number


class LongPoll:
    """Polls of real-time servers, over a plain HTTP client of their own (no token)."""

    def __init__(self, client: BoxEventsClient) -> None:
        self.client = client
        self._http = httpx.Client()
        self._closed = False

    def close(self) -> None:
        self._closed = True
        self._http.close()  # a poll still waiting in its thread fails at once and ends

    def wait(self, server: RealtimeServer, position: str, until: Callable[[], bool]) -> str | None:
        """The server's message (or TIMED_OUT / UNREACHABLE) for a stream at `position`; None
        when `until()` came true first. Raises StopRequested on a stop request."""
        self.client.limiter.acquire()
        self.client.stats.add(requests=1)
        url = httpx.URL(server.url).copy_merge_params({"stream_position": position})
        timeout = httpx.Timeout(server.retry_timeout, connect=min(CONNECT_TIMEOUT_S, server.retry_timeout))
        answer: list[str] = []
        done = threading.Event()

        def poll() -> None:
            answer.append(self._poll(url, timeout))
            done.set()

        threading.Thread(target=poll, name="box-long-poll", daemon=True).start()
        while not done.wait(0.1):
            stopping.check()
            if until():
                return None
        return answer[0]

    def _poll(self, url: httpx.URL, timeout: httpx.Timeout) -> str:
        try:
            response = self._http.get(url, timeout=timeout)
        except httpx.TimeoutException:
            return TIMED_OUT
        except Exception as exc:  # a transport error, or the client closed under us
            if not self._closed:
                log.info("long poll failed: %s", type(exc).__name__)
            return UNREACHABLE
        try:
            message = orjson.loads(response.content).get("message") if response.status_code == 200 else None
        except (orjson.JSONDecodeError, AttributeError):
            message = None
        if not isinstance(message, str):
            log.info("the real-time server answered %s without a message", response.status_code)
            return UNREACHABLE
        return message
