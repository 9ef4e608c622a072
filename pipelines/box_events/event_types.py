"""The event-type catalog, and the `--event-types` filter checked against it.

The catalog is data (`sql/seeds/box_event_types.csv`, shipped inside the package: the wheel installs
the dbt project `sql/` beside `pipelines/`), loaded into the warehouse as the `box_event_types` dbt
seed. It decides which audit table an event lands in and which per-type views exist, so adding a type
is a one-line change to the CSV, never a new SQL file. This module is its one reader: the pipeline
checks `--event-types` with it and the transforms read categories and severities from it.

Box adds event types over time, so an unknown name in a filter is a warning, never an error; a
malformed one (spaces, punctuation) is an error.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

from .exceptions import ConfigurationError

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
"""The dbt project: `sql/` at the top of the repo, and where the wheel installs it."""
CATALOG_PATH = SQL_DIR / "seeds" / "box_event_types.csv"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

UNCATEGORIZED = "uncategorized"
"""The category of every event type missing from the catalog (Box adds types without notice)."""

SEVERITIES = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class EventType:
    """One row of the catalog."""

    event_type: str
    category: str
    severity: str
    description: str
    seen_in: str
    """Where the type was seen in public material, e.g. `Box docs; Box OpenAPI; Elastic`."""


COLUMNS = tuple(field.name for field in fields(EventType))
"""The catalog CSV's columns, in order."""


def load_catalog(path: Path = CATALOG_PATH) -> list[EventType]:
    """Read the catalog CSV, rejecting duplicates, unknown severities and rows that do not say where
    the type was seen, early (not in SQL)."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [name for name in COLUMNS if name not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = [EventType(**{name: row[name] for name in COLUMNS}) for row in reader]
    seen: set[str] = set()
    for row in rows:
        if row.event_type in seen:
            raise ValueError(f"{path}: event type {row.event_type} is listed twice")
        if row.severity not in SEVERITIES:
            raise ValueError(f"{path}: {row.event_type} has unknown severity {row.severity!r}")
        if row.category == UNCATEGORIZED:
            raise ValueError(f"{path}: {row.event_type} may not be catalogued as uncategorized")
        if not (row.seen_in or "").strip():
            # a type nobody has seen in public material is a guess: the row must say where it comes from
            raise ValueError(
                f"{path}: {row.event_type} has an empty seen_in: say where it was seen (e.g. Box docs)"
            )
        seen.add(row.event_type)
    return rows


def categories(catalog: list[EventType]) -> list[str]:
    """Every category an event can land in: the catalog's, plus `uncategorized`."""
    return sorted({row.category for row in catalog} | {UNCATEGORIZED})


@cache
def known_event_types() -> frozenset[str]:
    """Every event type the catalog names."""
    return frozenset(row.event_type for row in load_catalog())


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
