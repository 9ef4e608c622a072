"""Events a test adds to one user's streams while the emulator runs (`Emulator.add_user_event`).

Why apart from the generated days: a long-poll client must be shown waking up on a change made
while it waits, at a moment the test chooses. These events exist only in the user streams (`all`,
and `changes`/`sync` for change types): never in `admin_logs`, `admin_logs_streaming` or the
oracle, so adding one changes no enterprise answer and no exactness test.

Order: an added event arrives at ``max(at, the clock's now, the previous added event's arrival)``
and sorts after every generated event of its arrival second (its key is `(arrival, arrival,
KEY_BASE + n)`), so a client holding any position handed out before the add still gets it on its
next `GET /events`. It is already in the user-stream shape (user event type, `recorded_at`).
"""

from __future__ import annotations

import random
import threading
from bisect import bisect_left
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from box_emulator.day import ordinal_of
from box_emulator.enterprise import Enterprise, User, pick
from box_emulator.event_types import CHANGES_STREAM_NAMES, USER_STREAM_NAMES
from box_emulator.generator import PACIFIC, DaySource, Generator

#: Added events sort after any generated event of the same second (days hold far fewer).
KEY_BASE = 1 << 40

Key = tuple[int, int, int]
#: user-stream name -> the enterprise type whose shape it borrows (the first that maps to it)
_ENTERPRISE_NAME: dict[str, str] = {}
for _enterprise, _user in USER_STREAM_NAMES.items():
    _ENTERPRISE_NAME.setdefault(_user, _enterprise)


class AddedEvents:
    """Append-only, arrival-ordered; read by the user streams through `DayStore.arrivals`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ids: list[str] = []
        self.actors: list[str] = []
        self.user_types: list[str] = []
        self.arrival: list[int] = []
        self.blobs: list[bytes] = []

    def __len__(self) -> int:
        return len(self.ids)

    def last_arrival(self) -> int | None:
        with self._lock:
            return self.arrival[-1] if self.arrival else None

    def add(self, event_id: str, actor_id: str, user_type: str, arrival: int, blob: bytes) -> None:
        with self._lock:
            if self.arrival and arrival < self.arrival[-1]:
                raise ValueError("added user events must arrive in order")
            self.ids.append(event_id)
            self.actors.append(actor_id)
            self.user_types.append(user_type)
            self.arrival.append(arrival)
            self.blobs.append(blob)

    def in_stream(self, i: int, stream_type: str) -> bool:
        """Whether event `i` belongs to `all` / `changes` / `sync` (the generated events' rules)."""
        if stream_type == "all":
            return True
        if self.user_types[i] not in CHANGES_STREAM_NAMES:
            return False
        return stream_type != "sync" or self.ids[i][0] in "01234567"

    def keys_from(self, arrival: int) -> Iterator[tuple[Key, AddedEvents, int]]:
        """`(key, self, index)` of the events that arrived at or after `arrival`, in order."""
        with self._lock:
            n = len(self.arrival)
            begin = bisect_left(self.arrival, arrival, 0, n)
            arrivals = self.arrival[begin:n]
        for offset, second in enumerate(arrivals):
            i = begin + offset
            yield (second, second, KEY_BASE + i), self, i

    def count_at(self, second: int) -> int:
        """How many added events arrived in `second`."""
        with self._lock:
            return bisect_left(self.arrival, second + 1) - bisect_left(self.arrival, second)


def user_event(
    source: DaySource,
    enterprise: Enterprise,
    rng: random.Random,
    user: User,
    user_type: str,
    event_id: str,
    created: int,
    arrival: int,
) -> dict[str, Any]:
    """An added event in the user-stream shape (`api.to_user_event`'s): `user_type` by `user`.

    Its body is that of a generated event of the matching enterprise type (so an `ITEM_UPLOAD`
    has an UPLOAD's file source and details); a type without one (or a replayed history) gets a
    file source and no details. `created_by` is always `user`.
    """
    enterprise_type = _ENTERPRISE_NAME.get(user_type)
    body: dict[str, Any]
    if isinstance(source, Generator) and enterprise_type is not None:
        ctx, _ = source._context(ordinal_of(created))
        body = source.event_of(rng, enterprise_type, user, created, ctx)
    else:
        body = {
            "session_id": None,
            "ip_address": user.ips[0] if user.ips else "Unknown IP",
            "source": Generator.file_source(pick(rng, enterprise.files)),
            "additional_details": None,
        }
    body["created_by"] = user.mini
    return {
        "type": "event",
        "event_id": event_id,
        "event_type": user_type,
        "created_at": datetime.fromtimestamp(created, PACIFIC).isoformat(),
        **body,
        "recorded_at": datetime.fromtimestamp(arrival, PACIFIC).isoformat(),
    }
