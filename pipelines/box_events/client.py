"""The HTTP client for `GET /events?stream_type=admin_logs` and its paging loop.

One `httpx.Client` (connection pool, explicit timeouts) shared by the worker threads; every request
takes a slot from the shared rate limiter and goes through the retry policy. Paging follows
`next_stream_position` until Box's empty terminal page — never stopping on a short page — and keeps
positions as exact strings, even when Box sends a bare number above 2^53.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import httpx
import msgspec
import orjson
import pyarrow as pa

from .arrow_pages import decode_page, events_to_table, json_kind
from .auth import make_auth
from .config import BoxApiConfiguration
from .exceptions import BoxPermissionError, BoxRequestError, BoxResponseError
from .ratelimit import RateLimiter
from .retries import RETRYABLE_WITH_FRESH_TOKEN, RequestStats, RetryPolicy, send_with_retries
from .settings import (
    ADMIN_LOGS,
    BOUNDARY_SLACK,
    CONNECT_TIMEOUT_S,
    PAGE_LIMIT,
    READ_TIMEOUT_S,
)
from .windows import Window, format_box_time


@dataclass(frozen=True)
class Page:
    events: pa.Table
    """The page's events as an Arrow table of EVENTS_SCHEMA (all of them: not yet cut to a window)."""
    next_position: str


def parse_page(body: bytes) -> Page:
    """Decode an events envelope without ever rounding the stream position.

    The fast decoder keeps integers of any size exact. A page it refuses (not the envelope it
    expects) goes through orjson and dicts; orjson keeps 64-bit integers exact but turns larger ones
    into floats, so such a position is read again with the standard library, exact at any size.
    Anything that is not a usable page raises BoxResponseError naming what is wrong: a page is
    trusted only once it has been checked."""
    try:
        table, position = decode_page(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        table, position = _parse_page_generally(body)
    if table.num_rows and position is None:
        raise BoxResponseError("the page has entries but no next_stream_position")
    return Page(table, "" if position is None else position)


def _parse_page_generally(body: bytes) -> tuple[pa.Table, str | None]:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BoxResponseError(f"the answer is not JSON ({_preview(body)})") from None
    if not isinstance(envelope, dict):
        raise BoxResponseError(f"the answer is {json_kind(envelope)}, not an events object")
    entries = envelope.get("entries")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise BoxResponseError(f"entries is {json_kind(entries)}, not a list")
    position = envelope.get("next_stream_position")
    if isinstance(position, float):  # orjson's reading of an integer above 64 bits
        position = json.loads(body).get("next_stream_position")
    if position is not None and (not isinstance(position, str | int) or isinstance(position, bool)):
        raise BoxResponseError(f"next_stream_position is {json_kind(position)}, not a position")
    return events_to_table(entries), None if position is None else str(position)


def _preview(body: bytes) -> str:
    """The start of a body that is not JSON, on one line (an HTML error page, a proxy's text)."""
    text = " ".join(body[:80].decode("utf-8", "replace").split())
    return f"it starts {text!r}" if text else "it is empty"


def open_client(api: BoxApiConfiguration, *, as_user: str | None = None) -> BoxEventsClient:
    """The client a job uses for all its requests: one rate limiter and retry policy, shared by
    the token requests too; `as_user` reads another user's stream (Box's `As-User` header)."""
    policy = RetryPolicy(max_attempts=api.max_attempts, max_wait_s=api.max_retry_wait_s)
    limiter = RateLimiter(api.requests_per_minute)
    return BoxEventsClient(
        api.api_base_url,
        make_auth(api.credentials, api.token_url, policy, limiter),
        limiter=limiter,
        stats=RequestStats(),
        policy=policy,
        as_user=as_user,
    )


class BoxEventsClient:
    """Fetches event pages under a shared rate limiter and retry policy."""

    def __init__(
        self,
        api_base_url: str,
        auth: httpx.Auth,
        *,
        limiter: RateLimiter,
        stats: RequestStats,
        policy: RetryPolicy,
        page_limit: int = PAGE_LIMIT,
        as_user: str | None = None,
    ) -> None:
        self.api_base_url = str(httpx.URL(api_base_url.rstrip("/")).copy_with(username=None, password=None))
        """Where the events came from (recorded in `sync_runs`); never with credentials in it."""
        self.events_url = api_base_url.rstrip("/") + "/events"
        self.events_url_path = httpx.URL(self.events_url).path
        self.limiter = limiter
        self.stats = stats
        self.policy = policy
        self.page_limit = page_limit
        self.as_user = as_user
        self._http = httpx.Client(
            auth=auth,
            headers={"As-User": as_user} if as_user else None,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BoxEventsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_page(self, params: dict[str, str]) -> Page:
        """One page; retries transient failures, explains permanent ones in a line."""
        return parse_page(self._call("GET", self.events_url, params).content)

    def options_events(self) -> bytes:
        """`OPTIONS /events`: the real-time servers a user stream's long poll may use (raw body)."""
        return self._call("OPTIONS", self.events_url).content

    def current_user_id(self) -> str:
        """The id of the user the token (or `as_user`) speaks for: `GET /users/me`."""
        url = self.api_base_url + "/users/me"
        response = self._call("GET", url, {"fields": "id"}, what="the Box API")
        try:
            user_id = orjson.loads(response.content).get("id")
        except (orjson.JSONDecodeError, AttributeError):
            user_id = None
        if isinstance(user_id, bool) or not isinstance(user_id, str | int) or not str(user_id):
            raise BoxResponseError(f"Box's answer to GET {httpx.URL(url).path} names no user id")
        return str(user_id)

    def _call(
        self, method: str, url: str, params: dict[str, str] | None = None, *, what: str = "the Box events API"
    ) -> httpx.Response:
        """One request under the rate limiter and retry policy; a 200, or a one-line error."""

        def send() -> httpx.Response:
            self.limiter.acquire()
            return self._http.request(method, url, params=params)

        response = send_with_retries(
            send,
            what=f"{what} {url}",
            policy=self.policy,
            stats=self.stats,
            on_throttled=self.limiter.throttled,
            retry_statuses=RETRYABLE_WITH_FRESH_TOKEN,
        )
        if response.status_code == 200:
            self.limiter.succeeded()
            return response
        raise _request_error(response, self.as_user)

    def position_pages(
        self, stream_type: str, position: str, limit: int = PAGE_LIMIT, *, through_end: bool = False
    ) -> Iterator[Page]:
        """The pages of a position-read stream (admin_logs_streaming, a user stream) from `position`
        until an empty page: each page's `next_position` is where the next read starts.

        `through_end` also yields that empty page when its position moves on (never a `0`): a user
        stream's empty page steps past the user's events that this stream type leaves out, as
        Box's own SDKs read it; without it, a `changes` stream would be woken again and again by a
        long poll (which watches all the user's events) with nothing to read."""
        seen_positions: set[str] = set()
        while True:
            try:
                page = self.get_page(
                    {"stream_type": stream_type, "limit": str(limit), "stream_position": position}
                )
                if not page.events.num_rows:
                    if through_end and page.next_position not in ("", "0", position):
                        yield page
                    return
                if page.next_position == position or page.next_position in seen_positions:
                    raise BoxResponseError(
                        f"next_stream_position {page.next_position} does not advance while pages keep coming"
                    )
            except BoxResponseError as exc:
                raise BoxResponseError(
                    f"Box sent an unusable page (GET {self.events_url_path}?stream_type={stream_type}, "
                    f"stream_position {position}): {exc}; nothing of it was loaded and the stored "
                    "position is unchanged; run the same command again, and report it to Box if it persists"
                ) from None
            seen_positions.add(page.next_position)
            yield page
            position = page.next_position

    def latest_position(self, stream_type: str) -> str:
        """`stream_position=now`: where a stream started now begins."""
        return self.get_page(
            {"stream_type": stream_type, "stream_position": "now", "limit": "1"}
        ).next_position

    def window_pages(self, window: Window, event_types: Sequence[str] = ()) -> Iterator[Page]:
        """Every page of one window, in order, until the empty terminal page.

        The window asks for one second more on the left (`BOUNDARY_SLACK`); the caller keeps only
        rows in `[start, end)`, which is exact whichever way Box treats the boundaries."""
        params = {
            "stream_type": ADMIN_LOGS,
            "limit": str(self.page_limit),
            "created_after": format_box_time(window.start - BOUNDARY_SLACK),
            "created_before": format_box_time(window.end),
        }
        if event_types:
            params["event_type"] = ",".join(event_types)
        position: str | None = None
        seen_positions: set[str] = set()
        while True:
            try:
                page = self.get_page(params if position is None else {**params, "stream_position": position})
                if not page.events.num_rows:
                    return
                if page.next_position == position or page.next_position in seen_positions:
                    raise BoxResponseError(
                        f"next_stream_position {page.next_position} does not advance while pages "
                        "keep coming (the window would never end)"
                    )
            except BoxResponseError as exc:
                raise BoxResponseError(
                    f"Box sent an unusable page (GET {self.events_url_path} for window {window}, "
                    f"stream_position {position or 'none: the first page'}): {exc}; nothing of this "
                    "window was loaded; run the same command again, and report it to Box if it persists"
                ) from None
            seen_positions.add(page.next_position)
            yield page
            position = page.next_position


def _request_error(response: httpx.Response, as_user: str | None = None) -> Exception:
    """A one-line error for a non-retryable answer, with Box's own message where it has one."""
    message, code = _box_message(response)
    if response.status_code == 403 and as_user:
        return BoxPermissionError(
            f"Box refused to read user {as_user}'s events as that user ({code or 'HTTP 403'}): the app "
            "needs 'Perform actions as users' (Developer Console > Configuration > Advanced Features, "
            "then reauthorize it in the Admin Console), the caller must be an admin or co-admin, and "
            "service accounts cannot be read as users"
        )
    if response.status_code == 404 and as_user:
        return BoxRequestError(f"Box knows no user {as_user} to read as (--as-user): check the user id", 404)
    if response.status_code == 403:
        return BoxPermissionError(
            f"Box refused access to the enterprise events ({code or 'HTTP 403'}): the app needs the "
            "scope manage_enterprise_properties ('Manage enterprise properties') and the account "
            "must be an admin, or a co-admin allowed to run reports; reauthorize the app after "
            "changing scopes"
        )
    return BoxRequestError(
        f"Box answered {response.status_code} {code or ''}: {message}".replace("  ", " "),
        response.status_code,
    )


def _box_message(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
        return str(body.get("message") or body), str(body.get("code") or "")
    except ValueError:
        return response.text[:200], ""
