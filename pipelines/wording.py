"""How numbers read in the lines people see (progress, status, errors): one home, so that a count
or a duration reads the same everywhere."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 window`, `2 windows`, `1,204 events` (with `plural_form` for irregular nouns)."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


def human_duration(seconds: float) -> str:
    """A short duration for people: `45s`, `2m10s`, `1h05m`, `3d04h` (ages, ETAs, waits)."""
    seconds = round(max(seconds, 0.0))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 2 * 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"
