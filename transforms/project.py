"""The dbt project as data: its models, their layers and dependencies, from dbt's own manifest.

Tests, the docs command and the benchmarks ask "which models are there, in which layer, built how";
dbt already knows, so this parses the project once (no warehouse connection) and reads the answer
from `manifest.json` instead of keeping a second list.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.box_events.event_types import SQL_DIR

EVENT_TYPE_SCHEMA_SUFFIX = "_by_event_type"
"""The per-type views live in `<dataset>_by_event_type` (see models/audit/audit_event_types.sql)."""


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    """The folder under `sql/models/` (staging, audit, dimensions, marts, detections, …); `seeds`."""
    materialized: str
    description: str
    depends_on: tuple[str, ...]
    columns: tuple[str, ...]
    """The columns documented in the model's .yml."""


def event_type_view(event_type: str, dataset: str = "box_events") -> str:
    """`FAILED_LOGIN` -> `box_events_by_event_type.audit_failed_login` (cut at 63 characters, the
    longest name PostgreSQL keeps, on every warehouse alike)."""
    return f"{dataset}{EVENT_TYPE_SCHEMA_SUFFIX}.{f'audit_{event_type.lower()}'[:63]}"


@cache
def manifest() -> dict:
    """dbt's manifest of the project, parsed without a warehouse."""
    from dbt.cli.main import dbtRunner

    target = Path(tempfile.mkdtemp(prefix="boxevents-dbt-parse-"))
    outcome = dbtRunner().invoke(
        [
            "parse",
            "--project-dir",
            str(SQL_DIR),
            "--profiles-dir",
            str(SQL_DIR),
            "--target",
            "duckdb",
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--quiet",
        ]
    )
    if not outcome.success:
        raise RuntimeError(f"dbt could not parse {SQL_DIR}: {outcome.exception}")
    return json.loads((target / "manifest.json").read_text())


def list_models() -> list[Model]:
    """Every model and seed of the project, in dbt's dependency order."""
    nodes = manifest()["nodes"]
    found: dict[str, Model] = {}
    for unique_id, node in nodes.items():
        if node["resource_type"] not in ("model", "seed"):
            continue
        layer = "seeds" if node["resource_type"] == "seed" else Path(node["original_file_path"]).parts[1]
        depends = tuple(nodes[d]["name"] for d in node["depends_on"].get("nodes", []) if d in nodes)
        found[unique_id] = Model(
            name=node["name"],
            layer=layer,
            materialized=node["config"]["materialized"],
            description=node.get("description", ""),
            depends_on=depends,
            columns=tuple(node.get("columns", {})),
        )
    by_name = {m.name: m for m in found.values()}
    order: list[Model] = []

    def visit(model: Model) -> None:
        if model not in order:
            for name in model.depends_on:
                visit(by_name[name])
            order.append(model)

    for name in sorted(by_name):
        visit(by_name[name])
    return order


def data_tests() -> list[str]:
    """The names of the project's data tests (dbt runs them in the warehouse on every build)."""
    return sorted(n["name"] for n in manifest()["nodes"].values() if n["resource_type"] == "test")
