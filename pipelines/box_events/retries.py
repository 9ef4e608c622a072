"""Retrying one HTTP call: 429 (honouring `Retry-After`), 5xx and transport errors.

tenacity does the loop; this module only says what is retryable and how long to wait. Backoff is
exponential with full jitter (as Box's SDKs do), replaced by Box's own `Retry-After` when it sends one,
and bounded both in attempts and in total waiting. A request still retrying after
`SLOW_RETRY_WARNING_S` says so once, as a warning, so a scheduled run's log shows why it is quiet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import tenacity

from .exceptions import BoxAuthError, BoxUnavailableError
from .settings import MAX_ATTEMPTS, MAX_RETRY_WAIT_S

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
SLOW_RETRY_WARNING_S = 10.0
"""Seconds of retrying one request after which it warns (once): a few quick retries are routine and
stay at INFO, but backoff grows to 30 s a sleep and the retries of an unreachable host add up to a
minute or more of silence, which in a cron job's mail looks like a hang."""
RETRYABLE_WITH_FRESH_TOKEN = RETRYABLE_STATUS | {401}
"""A 401 that survives the auth flow's one refresh (the new token revoked at once) is worth another
attempt with another token; developer tokens raise before this, as they cannot be renewed."""


@dataclass
class RequestStats:
    """Counters of one run, shared by all threads: the `status` command reports them."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, *, requests: int = 0, retries: int = 0, throttled: int = 0) -> None:
        with self._lock:
            self.requests += requests
            self.retries += retries
            self.throttled += throttled


class RetryableResponse(Exception):
    """A response worth another try (429 or 5xx)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Box's `Retry-After` in seconds, if it sent a usable one."""
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class _BoxWait(tenacity.wait.wait_base):
    """`Retry-After` when Box sent it, else exponential backoff with jitter."""

    def __init__(self) -> None:
        self._backoff = tenacity.wait_random_exponential(multiplier=0.5, max=30)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RetryableResponse):
            after = retry_after_seconds(error.response)
            if after is not None:
                return after
        return self._backoff(retry_state)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = MAX_ATTEMPTS
    max_wait_s: float = MAX_RETRY_WAIT_S


def send_with_retries(
    send: Callable[[], httpx.Response],
    *,
    what: str,
    policy: RetryPolicy,
    stats: RequestStats,
    on_throttled: Callable[[float], None] | None = None,
    retry_statuses: frozenset[int] = RETRYABLE_STATUS,
    warn_after_s: float = SLOW_RETRY_WARNING_S,
    clock: Callable[[], float] = time.monotonic,
) -> httpx.Response:
    """Call `send` until it answers something other than 429/5xx or a transport error.

    Returns the final response (which may be any 4xx for the caller to judge). Raises
    BoxUnavailableError with a one-line reason once attempts or total wait run out.

    Once the request has been retrying for more than `warn_after_s` seconds (by `clock`), one
    WARNING says so; `what` is in it, so it must name the endpoint and carry no secret."""

    def attempt() -> httpx.Response:
        stats.add(requests=1)
        response = send()
        if response.status_code in retry_statuses:
            if response.status_code == 429:
                stats.add(throttled=1)
                if on_throttled is not None:
                    on_throttled(retry_after_seconds(response) or 1.0)
            raise RetryableResponse(response)
        return response

    started = clock()
    warned = False

    def before_sleep(state: tenacity.RetryCallState) -> None:
        nonlocal warned
        stats.add(retries=1)
        error = state.outcome.exception() if state.outcome else None
        elapsed = clock() - started
        if not warned and elapsed > warn_after_s:
            warned = True
            log.warning(
                "still retrying %s after %.0fs (%s, attempt %d of %d)",
                what,
                elapsed,
                _describe(error),
                state.attempt_number,
                policy.max_attempts,
            )
        else:
            log.info("retrying %s after %s (attempt %d)", what, _describe(error), state.attempt_number)

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type((RetryableResponse, httpx.TransportError)),
        wait=_BoxWait(),
        stop=tenacity.stop_after_attempt(policy.max_attempts) | tenacity.stop_after_delay(policy.max_wait_s),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except RetryableResponse as exc:
        if exc.response.status_code == 401:
            raise BoxAuthError(
                f"Box kept rejecting fresh access tokens ({policy.max_attempts} attempts): check that "
                "the app is authorized in the Admin Console and the credentials are current"
            ) from None
        raise BoxUnavailableError(
            f"{what} kept failing ({_describe(exc)}) after {policy.max_attempts} attempts: "
            "Box may be down or throttling hard; run the same command again later"
        ) from None
    except httpx.TransportError as exc:
        raise BoxUnavailableError(
            f"cannot reach {what} ({_describe(exc)}): check the URL setting "
            "(SOURCES__BOX_EVENTS__API_BASE_URL / TOKEN_URL) and the network"
        ) from None


def _describe(error: BaseException | None) -> str:
    if isinstance(error, RetryableResponse):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, httpx.TransportError):
        return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return repr(error)
