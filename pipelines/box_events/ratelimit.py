"""One client-side rate limiter shared by every worker thread.

Requests are spaced evenly at the configured rate, so a burst of parallel windows never exceeds it.
A 429 pauses everyone for Box's `Retry-After` and lowers the rate by a tenth; each later success wins
back a little, up to the configured ceiling (additive increase, multiplicative decrease).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Evenly spaced request slots at `requests_per_minute`, slowed down by 429s."""

    def __init__(
        self,
        requests_per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        self.ceiling = float(requests_per_minute)
        self.rate = self.ceiling
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = clock()

    def acquire(self) -> None:
        """Block until this caller's slot comes up."""
        with self._lock:
            now = self._clock()
            slot = max(self._next_slot, now)
            self._next_slot = slot + 60.0 / self.rate
        if slot > now:
            self._sleep(slot - now)

    def throttled(self, retry_after_s: float) -> None:
        """Box said 429: nobody sends before `retry_after_s`, and the pace drops by 10%."""
        with self._lock:
            self.rate = max(self.ceiling / 10, self.rate * 0.9)
            self._next_slot = max(self._next_slot, self._clock() + retry_after_s)

    def succeeded(self) -> None:
        """A request went through: creep back toward the configured ceiling."""
        if self.rate < self.ceiling:
            with self._lock:
                self.rate = min(self.ceiling, self.rate + self.ceiling / 200)
