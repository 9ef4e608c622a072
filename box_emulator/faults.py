"""Delivery faults: rate limiting, random 429/5xx, dropped connections, latency, short pages.

Why seeded: a failing hostile run must be replayable. Every events request draws the same
fixed number of values from one RNG seeded by the emulator seed, in request order, so the same
(seed, sequence of requests) yields the same faults. Faults only change delivery, never data.

The per-user rate limit is the one exception to determinism: it runs on real time, like Box's.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass

from box_emulator.config import Knobs


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What goes wrong with one request (decided before it is served)."""

    latency_s: float
    random_429_retry_after: int | None
    error_status: int | None
    drop: str | None  # "headers_then_abort" | "close" | None
    short_fraction: float | None  # page limit is cut to this fraction (0, 1)
    revoke_token: bool


class FaultInjector:
    """Draws one `FaultPlan` per request from the seeded RNG."""

    def __init__(self, seed: int, knobs: Knobs) -> None:
        self.knobs = knobs
        self._rng = random.Random(f"faults:{seed}")
        self._lock = threading.Lock()

    def plan(self) -> FaultPlan:
        k = self.knobs
        with self._lock:
            r = self._rng
            u_latency, u_slow, u_429, u_err, u_drop, u_short, u_revoke = (r.random() for _ in range(7))
            pick_retry = r.choice(k.retry_after_choices)
            pick_status = r.choice((500, 502, 503, 503))
            pick_drop = r.choice(("headers_then_abort", "close"))
            short = r.uniform(0.05, 0.95)
        lo, hi = k.latency_ms
        latency = (lo + (hi - lo) * u_latency) / 1000.0
        if u_slow < k.slow_rate:
            latency += k.slow_ms / 1000.0
        return FaultPlan(
            latency_s=latency,
            random_429_retry_after=pick_retry if u_429 < k.random_429_rate else None,
            error_status=pick_status if u_err < k.error_rate else None,
            drop=pick_drop if u_drop < k.drop_rate else None,
            short_fraction=short if u_short < k.short_page_rate else None,
            revoke_token=u_revoke < k.token_revoke_rate,
        )


class RateLimiter:
    """Token bucket per token user: `per_minute` requests a minute, bursts up to that."""

    def __init__(self, per_minute: int | None) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> int | None:
        """None if allowed, else the Retry-After seconds to send with a 429."""
        if not self.per_minute:
            return None
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - stamp) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))
