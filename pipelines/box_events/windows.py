"""Time windows: parse the user's dates, clamp them to what Box serves, cut the range into windows.

Windows are cut on a fixed grid (multiples of the window size since the Unix epoch), so the windows of a
backfill, of a resumed backfill and of a sync line up, and the ledger can say exactly what is covered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pendulum

from .exceptions import ConfigurationError
from .settings import ADMIN_LOGS_RETENTION, RETENTION_SAFETY_MARGIN

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True, order=True)
class Window:
    """A half-open range `[start, end)` of `created_at`, both aware UTC datetimes."""

    start: datetime
    end: datetime

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


def parse_duration(text: str) -> timedelta:
    """`"90s"`, `"15m"`, `"3h"`, `"1d"`, `"2w"` → timedelta (also accepts a timedelta's own string)."""
    match = _RELATIVE.match(text.strip().lower())
    if not match:
        raise ConfigurationError(
            f"cannot read duration {text!r}: write a number and a unit, e.g. 90s, 15m, 3h, 1d, 2w"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def duration_text(delta: timedelta) -> str:
    """The inverse of parse_duration for whole units: `timedelta(hours=3)` → `"3h"`."""
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_when(text: str | datetime, *, now: datetime, name: str = "date") -> datetime:
    """Read a user's date: ISO 8601 (date or date-time, offset optional, UTC assumed),
    a relative form counted back from now (`365d`, `12h`), or `now`. Returns aware UTC."""
    if isinstance(text, datetime):
        return _as_utc(text)
    value = text.strip()
    if value.lower() == "now":
        return now
    if _RELATIVE.match(value.lower()):
        return now - parse_duration(value)
    if "/" in value:
        # 01/02/2026 is January 2 in one country and February 1 in another: never guess
        raise ConfigurationError(
            f"cannot read {name} {text!r}: a date with slashes is ambiguous; write it as ISO 8601, "
            "year first: 2026-01-02 (or 2026-01-02T08:00:00-08:00), or a relative form like 30d"
        )
    try:
        parsed = pendulum.parse(value, tz="UTC", strict=True)
    except (ValueError, pendulum.parsing.exceptions.ParserError) as exc:
        raise ConfigurationError(
            f"cannot read {name} {text!r}: use a date like 2025-11-23, a date-time like "
            "2025-11-23T08:00:00-08:00, or a relative form like 365d or 12h"
        ) from exc
    if not isinstance(parsed, datetime):
        raise ConfigurationError(f"cannot read {name} {text!r}: give a date or a date-time")
    return _as_utc(parsed)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return datetime.fromtimestamp(moment.timestamp(), tz=UTC)


def clamp_range(start: datetime, end: datetime, *, now: datetime) -> tuple[datetime, datetime]:
    """Clamp `[start, end)` to what admin_logs can serve: at most 365 days back, never past now.

    A reversed range is the user's mistake and an error; a clamp is only a warning."""
    start, end, now = (_floor_second(m) for m in (start, end, now))
    if start >= end:
        raise ConfigurationError(
            f"the start {start.isoformat()} is not before the end {end.isoformat()}: "
            "swap them or widen the range"
        )
    oldest = now - ADMIN_LOGS_RETENTION + RETENTION_SAFETY_MARGIN
    if start < now - ADMIN_LOGS_RETENTION:
        log.warning(
            "start %s is older than Box keeps admin_logs (365 days); starting at %s instead",
            start.isoformat(),
            oldest.isoformat(),
        )
    start = max(start, oldest)
    if end > now:
        end = now
    if start >= end:
        raise ConfigurationError(
            f"nothing to read: the range ends at {end.isoformat()}, before Box's oldest event "
            "(365 days ago); choose a later range"
        )
    return start, end


def _floor_second(moment: datetime) -> datetime:
    """Box's timestamps have whole seconds: so do our boundaries, or `created_before` would cut a second."""
    return moment.replace(microsecond=0)


def plan_windows(start: datetime, end: datetime, size: timedelta) -> list[Window]:
    """Cut `[start, end)` at the multiples of `size` since the epoch; first and last are clipped."""
    if size <= timedelta(0):
        raise ConfigurationError("the window size must be positive, e.g. 1d or 6h")
    windows: list[Window] = []
    cursor = start
    while cursor < end:
        steps = (cursor - EPOCH) // size
        boundary = EPOCH + (steps + 1) * size
        windows.append(Window(cursor, min(boundary, end)))
        cursor = windows[-1].end
    return windows


def merge_intervals(intervals: Iterable[tuple[datetime, datetime]]) -> list[Window]:
    """The union of intervals, as sorted disjoint windows (touching intervals join)."""
    merged: list[Window] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1].end:
            if end > merged[-1].end:
                merged[-1] = Window(merged[-1].start, end)
        else:
            merged.append(Window(start, end))
    return merged


def is_covered(window: Window, covered: Sequence[Window]) -> bool:
    """True when one interval of the (merged) coverage contains the whole window."""
    return any(c.start <= window.start and window.end <= c.end for c in covered)


def gaps(start: datetime, end: datetime, covered: Sequence[Window]) -> list[Window]:
    """The parts of `[start, end)` that the merged coverage does not contain."""
    holes: list[Window] = []
    cursor = start
    for interval in covered:
        if interval.end <= cursor:
            continue
        if interval.start >= end:
            break
        if interval.start > cursor:
            holes.append(Window(cursor, interval.start))
        cursor = max(cursor, interval.end)
    if cursor < end:
        holes.append(Window(cursor, end))
    return holes


def format_box_time(moment: datetime) -> str:
    """RFC 3339 at second precision with an explicit offset, as Box wants (`+00:00`; httpx encodes
    the `+` so it never arrives as a space)."""
    return _as_utc(moment).replace(microsecond=0).isoformat()
