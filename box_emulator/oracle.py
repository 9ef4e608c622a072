"""The ground truth: which events exist in a window and have arrived by a given time.

Tests compare what a pipeline loaded with what this says. It reads the same generated days
through the same scan (`DayStore.history`) as the API, so the two cannot drift apart; the only
difference is the window reading, which here is always half-open ``[created_after,
created_before)`` whatever boundary knobs the API is running with.

The `admin_logs_streaming` lane has its own schedule (streaming.py): `streaming_event_ids` says
what a read of that lane from position 0 delivers (each event at least once), and
`withheld_from_streaming` which events it never delivers, i.e. what a sweep of `admin_logs` must
recover. Events a test added to user streams (user_events.py) are in neither: they are not
enterprise events.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson

from box_emulator.clock import Clock
from box_emulator.day import DAY_SECONDS, ordinal_of
from box_emulator.generator import DayData
from box_emulator.store import DayStore, HistoryPage


def _epoch(dt: datetime, name: str) -> float:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return dt.timestamp()


class Oracle:
    """Answers "what should a complete load of this window contain?"."""

    def __init__(self, store: DayStore, clock: Clock, streaming_retention_days: int = 14) -> None:
        self._store = store
        self._clock = clock
        self._streaming_retention = streaming_retention_days * DAY_SECONDS

    def _now(self, at: datetime | None) -> int:
        return math.floor(_epoch(at if at is not None else self._clock.now(), "at"))

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

    def streaming_event_ids(
        self, created_after: datetime, created_before: datetime, at: datetime | None = None
    ) -> set[str]:
        """Ids created in ``[created_after, created_before)`` that `admin_logs_streaming` delivers by `at`.

        Exactly the distinct ids of a read of the lane from position `0` with the clock at `at`
        (default: now): shown by then (``created_at`` + the lane's buffer), not withheld, and created
        within the lane's retention before `at` (`streaming_retention_days`).
        """
        now = self._now(at)
        lo = max(math.ceil(_epoch(created_after, "created_after")), now - self._streaming_retention)
        hi = min(math.ceil(_epoch(created_before, "created_before")), now + 1)
        out: set[str] = set()
        for day, i in self._created_in(lo, hi):
            shown = self._store.streaming(day)[0][i]
            if shown is not None and shown <= now:
                out.add(day.ids[i])
        return out

    def withheld_from_streaming(self, created_after: datetime, created_before: datetime) -> set[str]:
        """Ids created in ``[created_after, created_before)`` (and by now) that the lane never delivers.

        They are in `admin_logs` all the same (once arrived: intersect with `event_ids(..., at)`
        for what a sweep at `at` can recover). Empty unless `streaming_withheld_share` > 0.
        """
        if self._store.lane.withheld_share <= 0:
            return set()
        lo = math.ceil(_epoch(created_after, "created_after"))
        hi = min(math.ceil(_epoch(created_before, "created_before")), self._now(None) + 1)
        return {day.ids[i] for day, i in self._created_in(lo, hi) if self._store.streaming(day)[0][i] is None}

    def _created_in(self, lo: int, hi: int) -> Iterator[tuple[DayData, int]]:
        """(day, index) of every generated event with ``lo <= created < hi``, arrived or not."""
        if hi <= lo:
            return
        for ordinal in range(ordinal_of(lo), ordinal_of(hi - 1) + 1):
            day = self._store.day(ordinal)
            for i in range(bisect_left(day.ts, lo), bisect_left(day.ts, hi)):
                yield day, i
