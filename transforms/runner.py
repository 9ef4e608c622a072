"""Build the models in `sql/` on a dlt pipeline's destination, fully or only the touched days.

`run_transforms` decides how much to build:

- `full`: every relation dropped and created again, in dependency order (first run, on request,
  when the models, the catalog or the company domains changed, or when a relation is missing);
- `incremental`: only the UTC days holding rows of loads newer than the last run's watermark
  (raw rows carry `_dlt_load_id`) are deleted and re-inserted in each incremental model, inside
  one transaction; views and seeds stay as they are;
- `noop`: nothing was loaded since the last run, so re-running is free and changes nothing.

Each finished run appends a row to `_transform_state` (the watermark, a fingerprint of the models
and settings, the days rebuilt), which is what the next run compares with.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt

from transforms.dialects import literal, render
from transforms.models import COMPANY_DOMAINS, PARTITION_COLUMN, SOURCES, Model, list_models
from transforms.report import ModelRun, TransformReport

DEFAULT_COMPANY_DOMAINS = ("example.com",)
STAGING = "stg_box__events"
CONFIG_KEY = "transforms.company_domains"
"""dlt config key (`[transforms] company_domains = [...]` in config.toml, or the environment
variable TRANSFORMS__COMPANY_DOMAINS) read when `run_transforms` is not given the domains."""
STATE_TABLE = "_transform_state"
_STATE_VERSION = "1"  # bump when the meaning of the state or of a materialization changes


@dataclass(frozen=True)
class _LastRun:
    watermark: str | None
    fingerprint: str


class _Warehouse:
    """Runs DuckDB-dialect statements on the destination, transpiled and qualified."""

    def __init__(self, client: Any, names: Sequence[str]) -> None:
        self.client = client
        self.dialect: str = client.capabilities.sqlglot_dialect or "duckdb"
        self.names = set(names)

    def qualify_path(self, name: str) -> list[str]:
        return self.client.make_qualified_table_name_path(name, quote=False)

    def sql(self, statement: str, filters: dict[str, str] | None = None) -> str:
        return render(
            statement,
            self.dialect,
            names=self.names,
            qualify_path=self.qualify_path,
            filters=filters,
        )

    def execute(self, statement: str, filters: dict[str, str] | None = None) -> list[tuple[Any, ...]]:
        return list(self.client.execute_sql(self.sql(statement, filters)) or [])

    def scalar(self, statement: str) -> Any:
        rows = self.execute(statement)
        return rows[0][0] if rows else None

    def stored_name(self, name: str) -> str:
        """The name the database files a relation under (PostgreSQL cuts names at 63 bytes)."""
        limit = self.client.capabilities.max_identifier_length or None
        return self.qualify_path(name)[-1].lower()[:limit]

    def relations(self) -> dict[str, str]:
        """Tables and views in the dataset: name -> `BASE TABLE` | `VIEW`."""
        *_, schema, _ = self.qualify_path("x")
        # BigQuery keeps INFORMATION_SCHEMA per dataset; the others per database
        catalog = f"`{schema}`.INFORMATION_SCHEMA.TABLES" if self.dialect == "bigquery" else None
        query = render(
            "select table_name, table_type from information_schema.tables "
            f"where table_schema = {literal(schema)}",
            self.dialect,
        )
        if catalog:
            query = query.replace("information_schema.tables", catalog)
        rows = self.client.execute_sql(query)
        return {str(name).lower(): str(kind).upper() for name, kind in rows or []}


def _company_domains(domains: Sequence[str] | None) -> list[str]:
    """The argument, else dlt config `transforms.company_domains`, else `example.com`; lower-case,
    without a leading `@`, deduplicated and sorted (so the fingerprint is stable)."""
    if domains is None:
        domains = dlt.config.get(CONFIG_KEY) or DEFAULT_COMPANY_DOMAINS
    if isinstance(domains, str):  # from the environment: a JSON list, or domains and commas
        domains = json.loads(domains) if domains.lstrip().startswith("[") else domains.split(",")
    return sorted({d.strip().lower().lstrip("@") for d in domains if d.strip()})


def _seed_rows(model: Model, domains: list[str]) -> tuple[list[str], list[list[str]]]:
    if model.name == COMPANY_DOMAINS:
        return ["domain"], [[d] for d in domains]
    assert model.path is not None
    with model.path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [row for row in reader if row]


def _fingerprint(models: list[Model], domains: list[str]) -> str:
    digest = hashlib.sha256(_STATE_VERSION.encode())
    for model in models:
        body = model.sql or (model.path.read_text("utf-8") if model.path else "")
        digest.update(f"\0{model.name}\0{model.materialized}\0{body}".encode())
    digest.update("\0".join(domains).encode())
    return digest.hexdigest()


def _days_filter(days: list[date]) -> str:
    return ", ".join(f"cast({literal(day.isoformat())} as date)" for day in days)


def _raw_rows_of(days: list[date]) -> dict[str, str]:
    """Narrow reads of `admin_logs` to the days' `created_at` ranges, so that staging never
    derives the day of every raw row just to throw most of them away. Consecutive days merge."""
    ranges: list[list[date]] = []
    for day in sorted(days):
        if ranges and ranges[-1][1] == day:
            ranges[-1][1] = day + timedelta(days=1)
        else:
            ranges.append([day, day + timedelta(days=1)])

    def bound(day: date) -> str:
        return f"cast({literal(day.isoformat() + ' 00:00:00+00')} as timestamptz)"

    return {
        "admin_logs": " or ".join(
            f"(created_at >= {bound(first)} and created_at < {bound(end)})" for first, end in ranges
        )
    }


def _count(warehouse: _Warehouse, model: Model) -> int | None:
    if model.materialized == "view":
        return None
    return int(warehouse.scalar(f"select count(*) from {model.name}"))


def _build(warehouse: _Warehouse, model: Model, domains: list[str]) -> str:
    """Create one relation from scratch (its old version was dropped already)."""
    if model.materialized == "seed":
        columns, rows = _seed_rows(model, domains)
        warehouse.execute(f"create table {model.name} ({', '.join(f'{c} varchar' for c in columns)})")
        if rows:
            values = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
            warehouse.execute(f"insert into {model.name} values {values}")
    elif model.materialized == "view":
        warehouse.execute(f"create view {model.name} as {model.sql}")
    else:
        warehouse.execute(f"create table {model.name} as {model.sql}")
    return "built"


def _rebuild_days(warehouse: _Warehouse, model: Model, days: list[date]) -> str:
    """Replace the given days of an incremental model, or all of a `table` model."""
    if model.materialized == "incremental":
        in_days = _days_filter(days)
        warehouse.execute(f"delete from {model.name} where {PARTITION_COLUMN} in ({in_days})")
        warehouse.execute(
            f"insert into {model.name} select * from ({model.sql}) as _model "
            f"where _model.{PARTITION_COLUMN} in ({in_days})",
            filters=_raw_rows_of(days),
        )
        return "days"
    if model.materialized == "table":
        warehouse.execute(f"delete from {model.name}")
        warehouse.execute(f"insert into {model.name} {model.sql}")
        return "built"
    return "skipped"


def _timed(warehouse: _Warehouse, model: Model, work: Callable[[], str]) -> ModelRun:
    """Run one model's statements; count its rows unless it was skipped or is a view."""
    started = time.perf_counter()
    action = work()
    rows = None if action == "skipped" else _count(warehouse, model)
    return ModelRun(model.name, model.materialized, action, rows, time.perf_counter() - started)


def _full_build(warehouse: _Warehouse, models: list[Model], domains: list[str]) -> list[ModelRun]:
    existing = warehouse.relations()
    for model in reversed(models):
        kind = existing.get(warehouse.stored_name(model.name))
        if kind is not None:
            noun = "view" if kind == "VIEW" else "table"
            warehouse.execute(f"drop {noun} if exists {model.name} cascade")
    return [_timed(warehouse, model, lambda m=model: _build(warehouse, m, domains)) for model in models]


def _incremental_build(warehouse: _Warehouse, models: list[Model], days: list[date]) -> list[ModelRun]:
    return [_timed(warehouse, model, lambda m=model: _rebuild_days(warehouse, m, days)) for model in models]


def _last_run(warehouse: _Warehouse) -> _LastRun | None:
    rows = warehouse.execute(
        f"select load_id_watermark, fingerprint from {STATE_TABLE} order by finished_at desc limit 1"
    )
    return _LastRun(rows[0][0], rows[0][1]) if rows else None


def _touched_days(warehouse: _Warehouse, watermark: str | None) -> list[date]:
    since = "" if watermark is None else f"where _dlt_load_id > {literal(watermark)}"
    rows = warehouse.execute(
        "select distinct cast(created_at at time zone 'UTC' as date) as day "
        f"from admin_logs {since} order by day"
    )
    return [day if isinstance(day, date) else date.fromisoformat(str(day)) for (day,) in rows]


def _record_run(warehouse: _Warehouse, mode: str, watermark: str | None, fingerprint: str, days: int) -> None:
    finished_at = literal(datetime.now(UTC).isoformat())
    warehouse.execute(
        f"insert into {STATE_TABLE} (run_id, finished_at, mode, load_id_watermark, fingerprint, "
        f"days_rebuilt) values ({literal(uuid.uuid4().hex)}, cast({finished_at} as timestamptz), "
        f"{literal(mode)}, {literal(watermark)}, {literal(fingerprint)}, {days})"
    )


def _staging_lost_track(warehouse: _Warehouse) -> bool:
    """True when staging no longer holds one row per raw event: rows were removed from
    `admin_logs` (a dlt refresh, a manual delete), which only a full rebuild can follow."""
    staged = warehouse.scalar(f"select count(*) from {STAGING}")
    return staged != warehouse.scalar("select count(*) from admin_logs")


def _plan(
    warehouse: _Warehouse,
    models: list[Model],
    fingerprint: str,
    full_rebuild: bool,
) -> tuple[str, str, list[date]]:
    """Decide between a full build, an incremental one, or nothing."""
    if full_rebuild:
        return "full", "full rebuild requested", []
    last = _last_run(warehouse)
    if last is None:
        return "full", "first run", []
    if last.fingerprint != fingerprint:
        return "full", "models, catalog or company domains changed", []
    existing = warehouse.relations()
    missing = [m.name for m in models if warehouse.stored_name(m.name) not in existing]
    if missing:
        return "full", f"{len(missing)} relation(s) missing, e.g. {missing[0]}", []
    days = _touched_days(warehouse, last.watermark)
    if not days and _staging_lost_track(warehouse):
        return "full", "raw rows were removed since the last run", []
    if not days:
        return "noop", "nothing loaded since the last run", []
    return "incremental", "new loads since the last run", days


def run_transforms(
    pipeline: dlt.Pipeline,
    *,
    full_rebuild: bool = False,
    company_domains: Sequence[str] | None = None,
) -> TransformReport:
    """Build the audit tables, marts and detections on the pipeline's destination.

    Args:
        pipeline: the dlt pipeline whose dataset holds `admin_logs` (the models run there,
            through `pipeline.sql_client()`, transpiled to the destination's SQL dialect).
        full_rebuild: rebuild everything even if only a few days changed.
        company_domains: the company's own email domains (subdomains are listed one by one);
            logins elsewhere count as external. Default: dlt config `transforms.company_domains`,
            else `example.com`. Changing them triggers a full rebuild.
    """
    started = time.perf_counter()
    domains = _company_domains(company_domains)
    models = list_models()
    fingerprint = _fingerprint(models, domains)
    names = [m.name for m in models] + list(SOURCES) + [STATE_TABLE, "_dlt_loads"]
    with pipeline.sql_client() as client:
        warehouse = _Warehouse(client, names)
        warehouse.execute(
            f"create table if not exists {STATE_TABLE} (run_id varchar, finished_at timestamptz, "
            "mode varchar, load_id_watermark varchar, fingerprint varchar, days_rebuilt bigint)"
        )
        # only loads dlt recorded as complete: a package still pending is picked up next time
        watermark = warehouse.scalar(
            "select max(_dlt_load_id) from admin_logs where _dlt_load_id in "
            "(select load_id from _dlt_loads where status = 0)"
        )
        mode, reason, days = _plan(warehouse, models, fingerprint, full_rebuild)
        if mode == "incremental":
            with client.begin_transaction():
                runs = _incremental_build(warehouse, models, days)
                _record_run(warehouse, mode, watermark, fingerprint, len(days))
            if _staging_lost_track(warehouse):
                mode, reason = "full", "staging and admin_logs disagreed after the incremental run"
        if mode == "full":
            runs = _full_build(warehouse, models, domains)
            _record_run(warehouse, mode, watermark, fingerprint, 0)
        elif mode == "noop":
            runs = [ModelRun(m.name, m.materialized, "skipped", None, 0.0) for m in models]
    return TransformReport(
        mode=mode,
        reason=reason,
        dialect=warehouse.dialect,
        days=days,
        models=runs,
        seconds=time.perf_counter() - started,
    )
