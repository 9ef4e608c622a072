"""The day cache and the two scans every reader shares (API pages and the oracle alike).

Why one module: the oracle must never disagree with the API, so both call the same scans over
the same generated days with the same visibility rule (an event is visible once
``created_at + arrival delay <= now``; on the `admin_logs_streaming` lane, once its own
streaming time has come, see streaming.py). The cache is a bounded LRU of generated days, so
memory stays flat however long the history a client walks.
"""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from box_emulator.day import ordinal_of
from box_emulator.generator import DayData, DaySource
from box_emulator.positions import ArrivalPos, HistoryPos
from box_emulator.streaming import StreamingLane
from box_emulator.user_events import AddedEvents

Segment = tuple[DayData, Sequence[int]]
#: Which arrival times an arrival-ordered scan follows (see `DayStore.arrivals`).
Lane = Literal["arrival", "streaming"]


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

    refs: list[tuple[Any, int, ArrivalPos]]  # (DayData or AddedEvents, index, position after it)
    end: ArrivalPos


class DayStore:
    """Generates days on demand and keeps the most recent `capacity` of them."""

    def __init__(self, generator: DaySource, capacity: int, lane: StreamingLane | None = None) -> None:
        self.generator = generator
        self.capacity = capacity
        self.lane = lane if lane is not None else StreamingLane()
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
    def streaming(self, day: DayData) -> tuple[list[int | None], list[tuple[int, int, int]]]:
        """The admin_logs_streaming lane's (times, sorted keys) of a day (see streaming.py)."""
        hit = day._streaming
        if hit is None:  # a race only computes the same schedule twice
            hit = day._streaming = self.lane.schedule(day)
        return hit

    def _lane_keys(self, lane: Lane) -> tuple[Callable[[DayData], list[tuple[int, int, int]]], int]:
        if lane == "streaming":
            return (lambda day: self.streaming(day)[1]), self.lane.max_delay
        return DayData.arrival_keys, self.generator.max_delay

    def arrivals(
        self,
        *,
        after: ArrivalPos,
        now: int,
        min_created: int,
        predicate: Callable[[Any, int], bool] | None,
        limit: int,
        lane: Lane = "arrival",
        added: AddedEvents | None = None,
    ) -> ArrivalPage:
        """Events in arrival order after `after`, arrived by `now`, created at/after `min_created`.

        `lane` picks the arrival times: `arrival` (the admin_logs delay, which the user streams
        share) or `streaming` (the live lane's buffer, without its withheld events). `added`
        (user streams only) merges the events a test added (user_events.py); for those the
        predicate and the refs get the `AddedEvents` in place of a day.
        """
        keys_of, max_delay = self._lane_keys(lane)
        first_ord = ordinal_of(max(after.arrival - max_delay - 1, min_created))
        last_ord = ordinal_of(now)
        iters: list[Iterator[tuple[tuple[int, int, int], Any, int]]] = []
        for ordinal in range(first_ord, last_ord + 1):
            day = self.day(ordinal)
            keys = keys_of(day)
            b = bisect_left(keys, (after.arrival,))
            iters.append(_day_keys(day, keys, b))
        if added is not None and len(added):
            iters.append(added.keys_from(after.arrival))
        refs: list[tuple[Any, int, ArrivalPos]] = []
        end = after
        second, count = after.arrival, after.k
        skip = after.k
        for (arrival, created, _), day, index in heapq.merge(*iters, key=lambda kd: kd[0]):
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

    def latest(self, now: int, *, added: AddedEvents | None = None) -> ArrivalPos:
        """The position after every event of the `arrival` lane (and `added`) arrived by `now`.

        Unlike `ArrivalPos(now + 1, 0)` it names the events of second `now` one by one, so an
        event added later in that same second still comes after it.
        """
        max_delay = self.generator.max_delay
        count = 0
        for ordinal in range(ordinal_of(now - max_delay - 1), ordinal_of(now) + 1):
            keys = self.day(ordinal).arrival_keys()
            count += bisect_left(keys, (now + 1,)) - bisect_left(keys, (now,))
        if added is not None:
            count += added.count_at(now)
        return ArrivalPos(now, count)


def _day_keys(
    day: DayData, keys: list[tuple[int, int, int]], begin: int
) -> Iterator[tuple[tuple[int, int, int], DayData, int]]:
    for i in range(begin, len(keys)):
        key = keys[i]
        yield key, day, key[2]


def _take(it: Iterator[int], n: int) -> list[int]:
    out: list[int] = []
    for i in it:
        out.append(i)
        if len(out) >= n:
            break
    return out
