"""A UTC day of the emulated history: its clock, its seeds, and the caps that keep it natural.

Why its own module: the generator, the planted incidents and the daily routines all work on one
day at a time and share its context; keeping it apart lets them import it without importing
each other.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from box_emulator.enterprise import User, random_ipv4

DAY_SECONDS = 86400
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: Natural caps, below the detections' thresholds (planted incidents go beyond them).
MAX_DOWNLOADS_PER_USER_HOUR = 30
MAX_FAILED_LOGINS_PER_USER_DAY = 2

#: A pre-built event: (epoch second, event type, body without the envelope's id/type/time).
Event = tuple[int, str, dict[str, Any]]


def ordinal_of(ts: int) -> int:
    """UTC day ordinal (`date.toordinal()`) of an epoch second."""
    return EPOCH_ORDINAL + ts // DAY_SECONDS


def day_start(ordinal: int) -> int:
    """Epoch second at which a UTC day begins."""
    return (ordinal - EPOCH_ORDINAL) * DAY_SECONDS


def day_seed(seed: int, ordinal: int, salt: str = "day") -> int:
    """The integer that seeds one day's RNG: stable across processes and Python versions."""
    digest = hashlib.blake2b(f"{salt}:{seed}:{ordinal}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@dataclass(slots=True)
class DayContext:
    """One UTC day while it is generated: its clock, its caps, its users' addresses.

    The caps (downloads per user-hour, failed logins per user-day) keep the natural background
    below the thresholds of the detections; the addresses of mobile users are the day's own.
    """

    ordinal: int
    start: int
    offsets: list[int]
    hour_cum: list[float]
    weekend: bool
    seed: int
    downloads: dict[tuple[str, int], int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    addresses: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def draw_ts(self, rng: random.Random) -> int:
        """A time of day drawn from the business-hours curve."""
        hour = bisect_left(self.hour_cum, rng.random() * self.hour_cum[-1])
        return self.start + min(hour, 23) * 3600 + int(rng.random() * 3600)

    def local_hour(self, hour: int) -> int:
        """The epoch second at which Pacific local `hour` o'clock falls inside this UTC day."""
        return self.start + ((hour - self.offsets[0] // 3600) % 24) * 3600

    def carrier_addresses(self, user: User) -> tuple[str, ...]:
        """A mobile user's addresses today: one to three inside each of the user's carrier /16s.

        Drawn from (seed, day, user) alone, so every event of the day agrees on them.
        """
        hit = self.addresses.get(user.id)
        if hit is None:
            rng = random.Random(day_seed(self.seed, self.ordinal, f"mobile:{user.id}"))
            hit = tuple(random_ipv4(rng, p) for p in user.carriers for _ in range(rng.randint(1, 3)))
            self.addresses[user.id] = hit
        return hit


def count_download(ctx: DayContext, user: User, ts: int) -> bool:
    """Count a natural download of `user`; False (not counted) once the hour's cap is reached."""
    key = (user.id, ts // 3600)
    if ctx.downloads.get(key, 0) >= MAX_DOWNLOADS_PER_USER_HOUR:
        return False
    ctx.downloads[key] = ctx.downloads.get(key, 0) + 1
    return True
