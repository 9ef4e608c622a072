"""`Emulator`: one emulated Box enterprise, wired together (data, oracle, auth, faults, stats).

Why a single object: the HTTP app, the oracle and the tests must all look at the same clock,
the same generated days and the same counters; building them in one place makes that true by
construction.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

import orjson

from box_emulator.auth import AuthService
from box_emulator.clock import Clock, SystemClock
from box_emulator.config import EmulatorConfig, Knobs
from box_emulator.enterprise import Enterprise, User
from box_emulator.faults import FaultInjector, RateLimiter
from box_emulator.generator import DaySource, Generator, PlantedIncident
from box_emulator.oracle import Oracle
from box_emulator.replay import ReplayDays
from box_emulator.store import DayStore
from box_emulator.streaming import StreamingLane
from box_emulator.user_events import AddedEvents, user_event


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
    options_requests: int = 0
    longpolls: int = 0
    user_events_added: int = 0


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
        lane = StreamingLane(
            cfg.streaming_buffer_seconds, cfg.streaming_buffer_jitter_seconds, cfg.streaming_withheld_share
        )
        self.store = DayStore(self.generator, cfg.cache_days, lane)
        self.oracle = Oracle(self.store, self.clock, cfg.streaming_retention_days)
        self.auth = AuthService(cfg, self.enterprise, self.knobs.token_ttl_seconds)
        self.faults = FaultInjector(cfg.seed, self.knobs)
        self.rate_limiter = RateLimiter(self.knobs.rate_limit_per_minute)
        self.stats = Stats()
        self._stats_lock = threading.Lock()
        self._request_counter = 0
        self.channels: dict[str, str] = {}  # long-poll channel -> user id
        self.channel_polls: dict[str, int] = {}  # long-poll channel -> long polls made on it
        self._channel_counter = 0
        #: events added to users' streams by tests (`add_user_event`); user streams only
        self.added = AddedEvents()
        self._add_lock = threading.Lock()

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
        """A new long-poll channel for `user_id` (each OPTIONS hands out a fresh one)."""
        with self._stats_lock:
            self._channel_counter += 1
            n = self._channel_counter
        value = hashlib.blake2b(f"chan:{self.config.seed}:{user_id}:{n}".encode(), digest_size=8).hexdigest()
        with self._stats_lock:
            self.channels[value] = user_id
            self.channel_polls[value] = 0
        return value

    def poll_channel(self, channel: str) -> tuple[str | None, int]:
        """Count one long poll on `channel`: (its user id or None if unknown, polls so far)."""
        with self._stats_lock:
            user_id = self.channels.get(channel)
            if user_id is None:
                return None, 0
            self.channel_polls[channel] += 1
            return user_id, self.channel_polls[channel]

    def stream_user(self, user_id: str) -> User:
        """The enterprise user (managed user or service account) with this id; KeyError if none."""
        user = self.enterprise.by_id.get(user_id)
        if user is None or user.external or user.id == "2":
            raise KeyError(user_id)
        return user

    def add_user_event(
        self, user_id: str, event_type: str = "ITEM_UPLOAD", *, at: datetime | None = None
    ) -> str:
        """Add an event to one user's streams now (or created at `at`); returns its event id.

        `event_type` is a user-stream name (`ITEM_UPLOAD`, `ITEM_TRASH`, ...; any name is
        accepted). The event arrives at once (at the clock's now, or `at` if later), is in the
        user's `all` stream, and in `changes`/`sync` when the type is a change type (`sync`: the
        same stable half of the ids as for generated events), from the next `GET /events` on; a
        waiting long poll of that user answers `new_change`. It is never in the enterprise
        streams nor in the oracle (user_events.py). KeyError when `user_id` is no user of the
        enterprise; ValueError when `at` has no time zone.
        """
        user = self.stream_user(user_id)
        if at is not None and (at.tzinfo is None or at.utcoffset() is None):
            raise ValueError("at must be timezone-aware")
        with self._add_lock:  # one at a time: arrivals stay in order
            now = math.floor(self.clock.now().timestamp())
            created = math.floor(at.timestamp()) if at is not None else now
            n = len(self.added) + 1
            digest = hashlib.blake2b(f"user-event:{self.config.seed}:{n}".encode(), digest_size=16).digest()
            event_id = str(uuid.UUID(bytes=digest, version=4))
            rng = random.Random(int.from_bytes(digest[:8], "big"))
            arrival = max(created, now, self.added.last_arrival() or 0)
            event = user_event(
                self.generator, self.enterprise, rng, user, event_type, event_id, created, arrival
            )
            self.added.add(event_id, user.id, event_type, arrival, orjson.dumps(event))
        self.count(user_events_added=1)
        return event_id

    def planted(self, start: date | None = None, end: date | None = None) -> list[PlantedIncident]:
        """Planted incidents on UTC days in [start, end] (default: the retained year to today)."""
        today = self.clock.now().date()
        end = end or today
        start = start or today - timedelta(days=self.config.retention_days)
        out: list[PlantedIncident] = []
        for ordinal in self.generator.planted_days(start.toordinal(), end.toordinal()):
            out.extend(self.store.day(ordinal).planted)
        return out
