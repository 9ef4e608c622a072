"""`Emulator`: one emulated Box enterprise, wired together (data, oracle, auth, faults, stats).

Why a single object: the HTTP app, the oracle and the tests must all look at the same clock,
the same generated days and the same counters; building them in one place makes that true by
construction.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from box_emulator.auth import AuthService
from box_emulator.clock import Clock, SystemClock
from box_emulator.config import EmulatorConfig, Knobs
from box_emulator.enterprise import Enterprise
from box_emulator.faults import FaultInjector, RateLimiter
from box_emulator.generator import DaySource, Generator, PlantedIncident
from box_emulator.oracle import Oracle
from box_emulator.replay import ReplayDays
from box_emulator.store import DayStore


@dataclass
class Stats:
    """Counters the tests read (via `emu.stats` or `GET /_emulator/stats`)."""

    requests: int = 0
    events_requests: int = 0
    events_served: int = 0
    responses_200: int = 0
    responses_400: int = 0
    responses_401: int = 0
    responses_403: int = 0
    throttled_429: int = 0
    rate_limited_429: int = 0
    random_429: int = 0
    errors_5xx: int = 0
    drops: int = 0
    corrupt_answers: int = 0
    tokens_issued: int = 0
    token_errors: int = 0
    tokens_revoked: int = 0
    longpolls: int = 0


class Emulator:
    """An emulated Box enterprise with its event history, API behaviour and ground truth."""

    def __init__(self, config: EmulatorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.knobs: Knobs = self.config.knobs
        cfg = self.config
        self.enterprise = Enterprise(
            cfg.seed, domain=cfg.company_domain, n_users=cfg.n_users, n_external=cfg.n_external
        )
        # replay: exactly the given events; otherwise the generated history of the seed
        self.generator: DaySource = (
            ReplayDays(cfg.replay_events)
            if cfg.replay_events is not None
            else Generator(cfg, self.enterprise)
        )
        self.store = DayStore(self.generator, cfg.cache_days)
        self.oracle = Oracle(self.store, self.clock)
        self.auth = AuthService(cfg, self.enterprise, self.knobs.token_ttl_seconds)
        self.faults = FaultInjector(cfg.seed, self.knobs)
        self.rate_limiter = RateLimiter(self.knobs.rate_limit_per_minute)
        self.stats = Stats()
        self._stats_lock = threading.Lock()
        self._request_counter = 0
        self.channels: dict[str, str] = {}  # long-poll channel -> user id

    def count(self, **increments: int) -> None:
        """Add to the stats counters (thread-safe)."""
        with self._stats_lock:
            for name, value in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def stats_dict(self) -> dict[str, int]:
        with self._stats_lock:
            out = asdict(self.stats)
        out["tokens_issued"] = self.auth.tokens_issued
        out["days_generated"] = self.store.days_generated
        out["days_cached"] = self.store.cached_days()
        return out

    def next_request_id(self) -> str:
        """A deterministic request id (same sequence of requests -> same ids)."""
        with self._stats_lock:
            self._request_counter += 1
            n = self._request_counter
        return hashlib.blake2b(f"req:{self.config.seed}:{n}".encode(), digest_size=8).hexdigest()

    def channel_for(self, user_id: str) -> str:
        channel = hashlib.blake2b(f"chan:{self.config.seed}:{user_id}".encode(), digest_size=8)
        value = channel.hexdigest()
        self.channels[value] = user_id
        return value

    def planted(self, start: date | None = None, end: date | None = None) -> list[PlantedIncident]:
        """Planted incidents on UTC days in [start, end] (default: the retained year to today)."""
        today = self.clock.now().date()
        end = end or today
        start = start or today - timedelta(days=self.config.retention_days)
        out: list[PlantedIncident] = []
        for ordinal in self.generator.planted_days(start.toordinal(), end.toordinal()):
            out.extend(self.store.day(ordinal).planted)
        return out
