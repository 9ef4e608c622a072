"""The `event_type` filter: parse, validate, warn on names Box has not documented.

Box adds event types over time, so an unknown name is a warning, never an error; a malformed one
(spaces, punctuation) is an error. The known names come from the event-type catalog in
`sql/seeds/box_event_types.csv`, the one list the transforms also use.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from .exceptions import ConfigurationError

log = logging.getLogger(__name__)

CATALOG_CSV = Path(__file__).resolve().parents[2] / "sql" / "seeds" / "box_event_types.csv"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@cache
def known_event_types() -> frozenset[str]:
    """Every event type the catalog names (empty if the catalog is missing)."""
    if not CATALOG_CSV.exists():
        return frozenset()
    with CATALOG_CSV.open(newline="") as handle:
        return frozenset(row["event_type"] for row in csv.DictReader(handle))


def normalize_event_types(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """`"login, FAILED_LOGIN"` → `("FAILED_LOGIN", "LOGIN")`: upper-cased, sorted, unique."""
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else list(value)
    names = sorted({part.strip().upper() for part in parts if part.strip()})
    bad = [name for name in names if not _NAME.match(name)]
    if bad:
        raise ConfigurationError(
            f"invalid event type {bad[0]!r}: use Box's names, comma-separated, "
            "e.g. --event-types LOGIN,FAILED_LOGIN"
        )
    known = known_event_types()
    unknown = [name for name in names if known and name not in known]
    if unknown:
        log.warning(
            "event types not in Box's documented list (passed on anyway; Box adds new ones): %s",
            ", ".join(unknown),
        )
    return tuple(names)
