"""Clocks for the emulator's event time.

The emulator's notion of "now" decides which events exist and which have *arrived* (are visible
to the API and to the oracle). Tests need to move time by hand to prove late-arrival behaviour,
while the demo and the CLI want real time; both clocks share one small interface so the rest of
the package never asks which one it has.

Token lifetimes and rate limits deliberately do NOT use this clock: they run on real monotonic
time, as they would against Box, whatever the test does to the event clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("the emulator clock needs timezone-aware datetimes")
    return dt.astimezone(UTC)


class Clock(Protocol):
    """What the emulator needs from a clock."""

    def now(self) -> datetime: ...

    def set(self, dt: datetime) -> None: ...

    def advance(self, delta: timedelta) -> None: ...


class ManualClock:
    """A clock that only moves when told to: for tests and reproducible demos."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, dt: datetime) -> None:
        with self._lock:
            self._now = _aware(dt)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now = self._now + delta


class SystemClock:
    """Real time, optionally shifted: `set`/`advance` move an offset so time keeps flowing."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def set(self, dt: datetime) -> None:
        with self._lock:
            self._offset = _aware(dt) - datetime.now(UTC)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta
