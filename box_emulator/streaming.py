"""The `admin_logs_streaming` lane's own schedule: when each event shows there, and which never do.

Why a schedule of its own: on Box the live lane shows an event about 12 s after Box processed it,
while `admin_logs` is slower (minutes, rarely hours: the generator's arrival delay). One arrival
time for both would make the live lane as late as the history lane, and a pipeline's streaming
code would never meet the case it exists for: an event seen live long before `admin_logs` has it.

Each event's streaming time is ``created_at + buffer + u * jitter`` (whole seconds, floored), with
`u` in [0, 1) drawn from a hash of the event id, so it never depends on the order of generation and
the generated days stay byte-identical. The same hash decides, for a share `withheld_share` of the
events, that the lane never delivers them at all (they are still in `admin_logs`): a sweep of
`admin_logs` must recover exactly those (`Oracle.withheld_from_streaming`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from box_emulator.generator import DayData

_SALT = b"streaming:"
_SCALE = float(1 << 32)


@dataclass(frozen=True, slots=True)
class StreamingLane:
    """The live lane's buffer (seconds after `created_at`), its jitter, and the withheld share."""

    buffer_seconds: float = 12.0
    jitter_seconds: float = 4.0
    withheld_share: float = 0.0

    @property
    def max_delay(self) -> int:
        """An upper bound of `streaming time - created_at`, in seconds."""
        return math.ceil(self.buffer_seconds + self.jitter_seconds)

    def _draws(self, event_id: str) -> tuple[float, float]:
        h = int.from_bytes(hashlib.blake2b(_SALT + event_id.encode(), digest_size=8).digest(), "big")
        return (h & 0xFFFFFFFF) / _SCALE, (h >> 32) / _SCALE

    def shows_at(self, event_id: str, created: int) -> int | None:
        """When the lane first shows one event (epoch seconds), or None if it never does: for a
        benchmark that measures a follower's freshness from outside the emulator's process."""
        jitter, hold = self._draws(event_id)
        if self.withheld_share > 0 and hold < self.withheld_share:
            return None
        return created + int(self.buffer_seconds + jitter * self.jitter_seconds)

    def schedule(self, day: DayData) -> tuple[list[int | None], list[tuple[int, int, int]]]:
        """(streaming time of each event or None when withheld, the lane's sorted keys).

        The keys are `(streaming time, created, index)`, the order the lane and its positions
        follow (see positions.py); withheld events have no key, so they take no place in a position.
        """
        times: list[int | None] = []
        keys: list[tuple[int, int, int]] = []
        for i, (created, event_id) in enumerate(zip(day.ts, day.ids, strict=True)):
            at = self.shows_at(event_id, created)
            times.append(at)
            if at is not None:
                keys.append((at, created, i))
        keys.sort()
        return times, keys
