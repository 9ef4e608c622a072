"""The ground truth: which events exist in a window and have arrived by a given time.

Tests compare what a pipeline loaded with what this says. It reads the same generated days
through the same scan (`DayStore.history`) as the API, so the two cannot drift apart; the only
difference is the window reading, which here is always half-open ``[created_after,
created_before)`` whatever boundary knobs the API is running with.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from box_emulator.clock import Clock
from box_emulator.store import DayStore, HistoryPage


def _epoch(dt: datetime, name: str) -> float:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return dt.timestamp()


class Oracle:
    """Answers "what should a complete load of this window contain?"."""

    def __init__(self, store: DayStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def _page(
        self,
        created_after: datetime,
        created_before: datetime,
        event_types: Iterable[str] | None,
        at: datetime | None,
    ) -> HistoryPage:
        lo = math.ceil(_epoch(created_after, "created_after"))
        hi = math.ceil(_epoch(created_before, "created_before"))
        now = math.floor(_epoch(at if at is not None else self._clock.now(), "at"))
        types = frozenset(event_types) if event_types is not None else None
        return self._store.history(lo=lo, hi=min(hi, now + 1), now=now, types=types)

    def event_ids(
        self,
        created_after: datetime,
        created_before: datetime,
        event_types: Iterable[str] | None = None,
        at: datetime | None = None,
    ) -> set[str]:
        """Ids of events created in ``[created_after, created_before)`` that arrived by `at`."""
        page = self._page(created_after, created_before, event_types, at)
        return {day.ids[i] for day, idx in page.segments for i in idx}

    def events(
        self,
        created_after: datetime,
        created_before: datetime,
        event_types: Iterable[str] | None = None,
        at: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """The exact JSON objects the API serves for that window, chronological."""
        page = self._page(created_after, created_before, event_types, at)
        return [orjson.loads(day.blobs[i]) for day, idx in page.segments for i in idx]

    def counts_by_type(
        self,
        created_after: datetime,
        created_before: datetime,
        event_types: Iterable[str] | None = None,
        at: datetime | None = None,
    ) -> dict[str, int]:
        """Event counts per `event_type` for that window."""
        page = self._page(created_after, created_before, event_types, at)
        return dict(Counter(day.types[i] for day, idx in page.segments for i in idx))
