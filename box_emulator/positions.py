"""Stream positions: opaque to clients, exact integers above 2^53 on the wire.

Why this encoding: Box positions are large integers (clients that parse them as floats lose
events), and an `admin_logs` position must say where to continue. Two families:

* history (`admin_logs`): ``2^60 + day_ordinal * 2^24 + index`` where `index` counts events of
  that UTC day in `created_at` order; the position names the next event to look at.
* arrival (`admin_logs_streaming` and user streams): ``2^61 + arrival_epoch_seconds * 2^20 + k``:
  every event that arrived before that second, plus the first `k` of that second (in
  `(created_at, index)` order), has been consumed. Each lane counts its own arrivals: the user
  streams the admin_logs arrival delay (then the events a test added, after the generated ones of
  their second: user_events.py), `admin_logs_streaming` its own buffer without its withheld
  events (streaming.py).

Both stay below 2^63 for any date this emulator can represent.
"""

from __future__ import annotations

from dataclasses import dataclass

HISTORY_BASE = 1 << 60
ARRIVAL_BASE = 1 << 61
DAY_SHIFT = 24
ARRIVAL_SHIFT = 20
MAX_INDEX = (1 << DAY_SHIFT) - 1
MAX_K = (1 << ARRIVAL_SHIFT) - 1


class InvalidPosition(ValueError):
    """A position that this stream never handed out."""


@dataclass(frozen=True, slots=True, order=True)
class HistoryPos:
    ordinal: int
    index: int

    def encode(self) -> int:
        return HISTORY_BASE + (self.ordinal << DAY_SHIFT) + self.index


@dataclass(frozen=True, slots=True, order=True)
class ArrivalPos:
    arrival: int
    k: int

    def encode(self) -> int:
        return ARRIVAL_BASE + (self.arrival << ARRIVAL_SHIFT) + self.k


def parse_int(raw: str) -> int:
    """Parse a decimal position strictly (no sign, no float, no whitespace)."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 20:
        raise InvalidPosition(raw)
    return int(raw)


def decode_history(value: int, *, min_ordinal: int, max_ordinal: int) -> HistoryPos:
    """Decode an `admin_logs` position; out-of-range days are invalid."""
    rest = value - HISTORY_BASE
    if rest < 0 or value >= ARRIVAL_BASE:
        raise InvalidPosition(str(value))
    pos = HistoryPos(rest >> DAY_SHIFT, rest & MAX_INDEX)
    if not min_ordinal <= pos.ordinal <= max_ordinal:
        raise InvalidPosition(str(value))
    return pos


def decode_arrival(value: int, *, max_arrival: int) -> ArrivalPos:
    """Decode an arrival-ordered position; positions from the future are invalid."""
    rest = value - ARRIVAL_BASE
    if rest < 0 or value >= (1 << 62):
        raise InvalidPosition(str(value))
    pos = ArrivalPos(rest >> ARRIVAL_SHIFT, rest & MAX_K)
    if pos.arrival > max_arrival + 1:
        raise InvalidPosition(str(value))
    return pos
