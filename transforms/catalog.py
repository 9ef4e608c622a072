"""The event-type catalog: which category, severity and description each Box event type has.

The catalog is data (`sql/seeds/box_event_types.csv`), loaded into the warehouse as the
`box_event_types` table. It decides which audit table an event lands in and which per-type views
exist, so adding a type is a one-line change to the CSV, never a new SQL file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
CATALOG_PATH = SQL_DIR / "seeds" / "box_event_types.csv"

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
