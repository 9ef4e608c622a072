"""Replay: serve a given list of Box events instead of a generated history.

Why: the shapes that matter most are the ones real Box sent, and a test should be able to push
them (`tests/fixtures/box_samples/`) through the real pipeline over real HTTP. `ReplayDays` stands
where the `Generator` stands: it hands the day cache one `DayData` per UTC day of `created_at`,
so the `admin_logs` windows, paging, positions, the streams, the profile's faults and the oracle
all work on the replayed events exactly as on generated ones.

What a replayed event is: the dict as given, serialised once with orjson (keys, nesting, ids and
JSON types untouched; nothing added). It is filed under its `created_at` to the second, arrives
at that instant (no late arrivals), and is served only once the clock has reached it. Events of
the same second keep the order they were given in.

    EmulatorConfig(replay_events=[fixture["event"] for fixture in fixtures])
    running_emulator(replay_events=events, now=latest + timedelta(days=1))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from box_emulator.config import replay_timestamps
from box_emulator.day import day_start, ordinal_of
from box_emulator.generator import DayData


class ReplayDays:
    """The days of a fixed list of events (see the module docstring)."""

    max_delay = 0

    def __init__(self, events: Sequence[Mapping[str, Any]]) -> None:
        stamps = replay_timestamps(events)
        self._days: dict[int, DayData] = {}
        for i in sorted(range(len(events)), key=lambda i: (stamps[i], i)):
            event, ts = events[i], stamps[i]
            try:
                blob = orjson.dumps(event)
            except TypeError as exc:  # orjson.JSONEncodeError: not JSON (a set, a huge int...)
                raise ValueError(f"replay_events[{i}] (event_id {event['event_id']!r}): {exc}") from None
            ordinal = ordinal_of(ts)
            day = self._days.get(ordinal)
            if day is None:
                day = self._days[ordinal] = _empty_day(ordinal)
            creator = event.get("created_by")
            actor = creator.get("id") if isinstance(creator, Mapping) else None
            day.ts.append(ts)
            day.arrival.append(ts)
            day.types.append(event.get("event_type"))
            day.ids.append(event["event_id"])
            day.actors.append("" if actor is None else str(actor))
            day.blobs.append(blob)
            day.max_arrival = ts

    def generate(self, ordinal: int) -> DayData:
        day = self._days.get(ordinal)
        return day if day is not None else _empty_day(ordinal)

    def planted_days(self, first: int, last: int) -> list[int]:
        return []


def _empty_day(ordinal: int) -> DayData:
    return DayData(ordinal, [], [], [], [], [], [], [], max_arrival=day_start(ordinal))
