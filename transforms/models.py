"""Discover the models in `sql/`, read their headers, and order them by their references.

A model is one file named after the table it builds (dbt style). Its header comment describes it;
a `-- materialized: <kind>` line says how it is built:

- `incremental`: a table partitioned by the UTC day column `occurred_on`. Every row depends only
  on input rows of the same day, so after a sync only the days that the load touched are rebuilt.
- `table`: a table rebuilt whole on every run (for small models that are not day-local).
- `view`: a view; it is always current, so it is only (re)created on a full build.

Seeds (`sql/seeds/*.csv`, plus the runtime `company_domains`) are loaded as tables. The per-event-
type views (`audit_<event_type>`) are generated from the catalog, not written by hand. The order is
derived from the tables each model selects from; nobody keeps an order list.
"""

from __future__ import annotations

import graphlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import sqlglot
from sqlglot import exp

from transforms.catalog import SQL_DIR, load_catalog

Materialization = Literal["seed", "table", "incremental", "view"]
MATERIALIZATIONS: tuple[str, ...] = ("seed", "table", "incremental", "view")

SOURCES = ("admin_logs", "window_ledger", "sync_runs")
"""Raw tables the pipeline loads (docs/architecture.md); models may select from them."""

COMPANY_DOMAINS = "company_domains"
"""The runtime seed: the company's own email domains, given to `run_transforms`."""

PARTITION_COLUMN = "occurred_on"
"""The UTC day column of every incremental model."""

EVENT_TYPE_VIEW_SQL = "select * from audit_{category} where event_type = '{event_type}'"
"""One view per catalogued event type, so a BI user can pick exactly FAILED_LOGIN."""

_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(\w+)\s*$")


@dataclass(frozen=True)
class Model:
    """One relation the transforms build."""

    name: str
    layer: str
    materialized: Materialization
    description: str
    sql: str | None = None
    """The SELECT in DuckDB's dialect (None for seeds)."""
    path: Path | None = None
    depends_on: tuple[str, ...] = field(default=())


def event_type_view_name(event_type: str) -> str:
    """`FAILED_LOGIN` -> `audit_failed_login`."""
    return f"audit_{event_type.lower()}"


def _parse_header(path: Path, text: str) -> tuple[str, Materialization]:
    """Read the leading comment block: its prose is the description, plus the materialization."""
    description: list[str] = []
    materialized = "table"
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        if match := _MATERIALIZED.match(stripped):
            materialized = match.group(1)
        else:
            description.append(stripped.lstrip("-").strip())
    if materialized not in MATERIALIZATIONS or materialized == "seed":
        raise ValueError(f"{path}: unknown materialization {materialized!r}")
    return " ".join(description).strip(), materialized  # type: ignore[return-value]


def referenced_tables(sql: str) -> set[str]:
    """Names of the tables a SELECT reads, leaving out its own CTEs."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return {table.name for table in tree.find_all(exp.Table) if table.name not in ctes}


def _seed_models(sql_dir: Path) -> list[Model]:
    seeds = [
        Model(
            name=path.stem,
            layer="seeds",
            materialized="seed",
            description=f"Seed loaded from sql/seeds/{path.name}.",
            path=path,
        )
        for path in sorted((sql_dir / "seeds").glob("*.csv"))
    ]
    seeds.append(
        Model(
            name=COMPANY_DOMAINS,
            layer="seeds",
            materialized="seed",
            description="The company's own email domains (run_transforms(company_domains=...)).",
        )
    )
    return seeds


def _file_models(sql_dir: Path) -> list[Model]:
    models = []
    for path in sorted(sql_dir.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        description, materialized = _parse_header(path, text)
        models.append(
            Model(
                name=path.stem,
                layer=path.parent.name,
                materialized=materialized,
                description=description,
                sql=text.strip().rstrip(";"),
                path=path,
            )
        )
    return models


def _event_type_views(sql_dir: Path) -> list[Model]:
    return [
        Model(
            name=event_type_view_name(row.event_type),
            layer="audit_event_types",
            materialized="view",
            description=row.description,
            sql=EVENT_TYPE_VIEW_SQL.format(category=row.category, event_type=row.event_type),
        )
        for row in load_catalog(sql_dir / "seeds" / "box_event_types.csv")
    ]


def _with_dependencies(models: list[Model]) -> list[Model]:
    """Attach each model's dependencies and return the models in build order."""
    counts = Counter(model.name for model in models)
    if dupes := sorted(name for name, n in counts.items() if n > 1):
        raise ValueError(f"two models build the same relation: {dupes}")
    names = set(counts)
    resolved: dict[str, Model] = {}
    for model in models:
        deps: tuple[str, ...] = ()
        if model.sql is not None:
            tables = referenced_tables(model.sql)
            unknown = tables - names - set(SOURCES)
            if unknown:
                raise ValueError(f"{model.name} selects from unknown relations {sorted(unknown)}")
            deps = tuple(sorted(tables & names))
        resolved[model.name] = Model(**{**model.__dict__, "depends_on": deps})

    sorter = graphlib.TopologicalSorter({m.name: m.depends_on for m in resolved.values()})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return [resolved[name] for name in order]


@cache
def _discover(sql_dir: Path) -> tuple[Model, ...]:
    models = _seed_models(sql_dir) + _file_models(sql_dir) + _event_type_views(sql_dir)
    return tuple(_with_dependencies(models))


def list_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """Every model in build order (a model comes after everything it selects from)."""
    return list(_discover(sql_dir.resolve()))
