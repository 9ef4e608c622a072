"""The day cache and the two scans every reader shares (API pages and the oracle alike).

Why one module: the oracle must never disagree with the API, so both call the same scans over
the same generated days with the same visibility rule (an event is visible once
``created_at + arrival delay <= now``). The cache is a bounded LRU of generated days, so memory
stays flat however long the history a client walks.
"""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from box_emulator.day import ordinal_of
from box_emulator.generator import DayData, DaySource
from box_emulator.positions import ArrivalPos, HistoryPos

Segment = tuple[DayData, Sequence[int]]


@dataclass(slots=True)
class HistoryPage:
    """Events found by a history scan, as (day, indices) segments in chronological order."""

    segments: list[Segment]
    last: HistoryPos | None  # the last event returned, None if none

    def count(self) -> int:
        return sum(len(idx) for _, idx in self.segments)


@dataclass(slots=True)
class ArrivalPage:
    """Events found by an arrival-ordered scan, with the position after the last consumed."""

    refs: list[tuple[DayData, int, ArrivalPos]]
    end: ArrivalPos


class DayStore:
    """Generates days on demand and keeps the most recent `capacity` of them."""

    def __init__(self, generator: DaySource, capacity: int) -> None:
        self.generator = generator
        self.capacity = capacity
        self._days: OrderedDict[int, DayData] = OrderedDict()
        self._lock = threading.Lock()
        self._gen_locks: dict[int, threading.Lock] = {}
        self.days_generated = 0

    def day(self, ordinal: int) -> DayData:
        with self._lock:
            hit = self._days.get(ordinal)
            if hit is not None:
                self._days.move_to_end(ordinal)
                return hit
            gen_lock = self._gen_locks.setdefault(ordinal, threading.Lock())
        with gen_lock:  # one thread generates a given day; others wait for it
            with self._lock:
                hit = self._days.get(ordinal)
                if hit is not None:
                    return hit
            data = self.generator.generate(ordinal)
            with self._lock:
                self.days_generated += 1
                self._days[ordinal] = data
                while len(self._days) > self.capacity:
                    self._days.popitem(last=False)
                self._gen_locks.pop(ordinal, None)
            return data

    def cached_days(self) -> int:
        with self._lock:
            return len(self._days)

    # ------------------------------------------------------------------ history (admin_logs)
    def history(
        self,
        *,
        lo: int,
        hi: int,
        now: int,
        types: frozenset[str] | None,
        start: HistoryPos | None = None,
        limit: int | None = None,
    ) -> HistoryPage:
        """Visible events with ``lo <= created < hi`` (epoch seconds), from `start` on."""
        segments: list[Segment] = []
        last: HistoryPos | None = None
        if hi <= lo:
            return HistoryPage(segments, last)
        remaining = limit if limit is not None else 1 << 62
        first_ord, last_ord = ordinal_of(lo), ordinal_of(hi - 1)
        if start is not None and start.ordinal > first_ord:
            first_ord = start.ordinal
        for ordinal in range(first_ord, last_ord + 1):
            if remaining <= 0:
                break
            day = self.day(ordinal)
            ts = day.ts
            b, e = bisect_left(ts, lo), bisect_left(ts, hi)
            if start is not None and ordinal == start.ordinal:
                b = max(b, start.index)
            if b >= e:
                continue
            visible_all = day.max_arrival <= now
            idx: Sequence[int]
            if types is None:
                if visible_all:
                    idx = range(b, min(e, b + remaining))
                else:
                    arrival = day.arrival
                    idx = _take((i for i in range(b, e) if arrival[i] <= now), remaining)
            else:
                chosen = day.filtered(types)
                sub = chosen[bisect_left(chosen, b) : bisect_left(chosen, e)]
                if not visible_all:
                    arrival = day.arrival
                    sub = [i for i in sub if arrival[i] <= now]
                idx = sub[:remaining]
            if idx:
                segments.append((day, idx))
                last = HistoryPos(ordinal, idx[-1])
                remaining -= len(idx)
        return HistoryPage(segments, last)

    # ------------------------------------------------------------------ arrival order (streams)
    def arrivals(
        self,
        *,
        after: ArrivalPos,
        now: int,
        min_created: int,
        predicate: Callable[[DayData, int], bool] | None,
        limit: int,
    ) -> ArrivalPage:
        """Events in arrival order after `after`, arrived by `now`, created at/after `min_created`."""
        max_delay = self.generator.max_delay
        first_ord = ordinal_of(max(after.arrival - max_delay - 1, min_created))
        last_ord = ordinal_of(now)
        iters = []
        for ordinal in range(first_ord, last_ord + 1):
            day = self.day(ordinal)
            keys = day.arrival_keys()
            b = bisect_left(keys, (after.arrival,))
            iters.append(_day_keys(day, keys, b))
        refs: list[tuple[DayData, int, ArrivalPos]] = []
        end = after
        second, count = after.arrival, after.k
        skip = after.k
        for (arrival, created, index), day in heapq.merge(*iters, key=lambda kd: kd[0]):
            if arrival > now:
                break
            if arrival == after.arrival and skip > 0:
                skip -= 1
                continue
            if arrival != second:
                second, count = arrival, 0
            count += 1
            end = ArrivalPos(second, count)
            if created < min_created:
                continue
            if predicate is None or predicate(day, index):
                refs.append((day, index, end))
                if len(refs) >= limit:
                    break
        return ArrivalPage(refs, end)


def _day_keys(
    day: DayData, keys: list[tuple[int, int, int]], begin: int
) -> Iterator[tuple[tuple[int, int, int], DayData]]:
    for i in range(begin, len(keys)):
        yield keys[i], day


def _take(it: Iterator[int], n: int) -> list[int]:
    out: list[int] = []
    for i in it:
        out.append(i)
        if len(out) >= n:
            break
    return out
