"""Run the dbt project in `sql/` on a dlt pipeline's destination: `dbt build` through dbt's Python API.

`run_transforms` decides how much to build, then lets dbt do the building:

- `full`: `dbt build --full-refresh` (first run, on request, when a model, macro, seed or variable
  changed since the last run, when a relation is missing, or when raw rows were removed);
- `incremental`: `dbt build`; each incremental model reads only rows of loads newer than the newest
  it holds (`macros/incremental.sql`): per-event models merge those events, day-local models replace
  the UTC days those loads touched;
- `noop`: nothing was loaded since the last run, so dbt is not even started.

The profile comes from the pipeline's own destination (the committed `sql/profiles.yml` reads every
value from environment variables, which are set for the one dbt invocation), so there is no second
credentials file. Each finished run appends a row to `_transform_state` (the newest load it saw and a
fingerprint of the project and its variables), which is what the next run compares with.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dlt

from pipelines.box_events import lake
from pipelines.box_events.event_types import SQL_DIR
from pipelines.box_events.exceptions import BoxEventsError, ConfigurationError
from pipelines.box_events.ledger import as_utc
from transforms.company import infer_company_domains, inference_sql, still_current
from transforms.report import ModelRun, TransformReport
from transforms.tuning import Tuning

STATE_TABLE = "_transform_state"
BUILT_THROUGH_VARIABLE = "BOXEVENTS_BUILT_THROUGH_LOAD"
INFERENCE_TABLE = "_company_domains_inferred"
STAGING = "stg_box__events"
ADAPTERS = ("duckdb", "postgres")
"""Destinations the transforms run on here (their dbt adapters are installed); the others compile."""
_STATE_VERSION = "2"  # bump when the meaning of the state changes (2: the dbt project)
_ENVIRONMENT_LOCK = threading.Lock()


class TransformFailed(BoxEventsError):
    """dbt build reported failing models or data tests; the load stays committed."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(
            f"the transforms failed ({len(lines)} problem(s)); the loaded events are committed:\n"
            + "\n".join(lines)
        )
        self.lines = lines


@dataclass(frozen=True)
class DbtTarget:
    """Which profile target to use and the environment variables `sql/profiles.yml` reads."""

    adapter: str
    environment: dict[str, str]


def dbt_target(pipeline: dlt.Pipeline) -> DbtTarget:
    """The dbt profile of the pipeline's destination (DuckDB file or PostgreSQL server)."""
    destination = lake.destination_name(pipeline)
    if destination == lake.FILESYSTEM:  # files, no SQL engine to run the models in
        raise ConfigurationError(lake.transforms_unavailable(pipeline))
    if destination not in ADAPTERS:
        raise ConfigurationError(
            f"boxevents transform runs the dbt project on duckdb and postgres, not {destination}: "
            f"install your warehouse's dbt adapter and run `cd sql && dbt build --profiles-dir .` "
            "with your own profile (see README, 'The SQL layer')"
        )
    credentials = pipeline.destination_client().config.credentials
    environment = {"BOXEVENTS_DBT_TARGET": destination, "BOXEVENTS_DATASET": pipeline.dataset_name}
    if destination == "duckdb":
        environment["DESTINATION__DUCKDB__CREDENTIALS"] = str(Path(credentials.database).resolve())
    else:
        prefix = "DESTINATION__POSTGRES__CREDENTIALS__"
        for key in ("host", "port", "username", "password", "database"):
            value = getattr(credentials, key, None)
            if value is not None:
                environment[prefix + key.upper()] = str(value)
    return DbtTarget(destination, environment)


def transform_variables(
    pipeline: dlt.Pipeline, tuning: Tuning | None, *, fresh_inference: bool = False
) -> dict[str, Any]:
    """The dbt vars of a run: the tuning (default: dlt config `[transforms]`), with the company's
    domains inferred from the loaded events when none are configured (the last inference while it
    is current, see `_Warehouse.inferred_domains`; a new one when `fresh_inference`)."""
    tuning = tuning or Tuning.from_config()
    variables = tuning.variables()
    variables["company_domains_source"] = "configured"
    if not tuning.company_domains:
        with pipeline.sql_client() as client:
            variables["company_domains"] = _Warehouse(client).inferred_domains(refresh=fresh_inference)
        variables["company_domains_source"] = "inferred"
    return variables


def project_fingerprint(variables: dict[str, Any]) -> str:
    """A digest of every file dbt reads and of the variables: a change means a full refresh."""
    digest = hashlib.sha256(_STATE_VERSION.encode())
    for path in sorted(SQL_DIR.rglob("*")):
        if path.is_file() and path.suffix in (".sql", ".yml", ".csv") and "target" not in path.parts:
            digest.update(str(path.relative_to(SQL_DIR)).encode())
            digest.update(path.read_bytes())
    digest.update(json.dumps(variables, sort_keys=True).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class _State:
    watermark: str | None
    fingerprint: str
    raw_rows: int | None = None
    """Rows in `admin_logs` when that run started (None: recorded before this was kept)."""


def run_transforms(
    pipeline: dlt.Pipeline,
    *,
    full_rebuild: bool = False,
    tuning: Tuning | None = None,
) -> TransformReport:
    """Build the audit tables, dimensions, marts and detections on the pipeline's destination.

    Args:
        pipeline: the dlt pipeline whose dataset holds `admin_logs`; dbt runs in that dataset.
        full_rebuild: rebuild everything even if only a few days changed.
        tuning: who "us" is and the detections' allow-lists, thresholds and switches
            (transforms/tuning.py). Default: dlt config `[transforms]`; the company's domains, when
            not configured, are inferred from the events (transforms/company.py). A change of any
            setting, or of the inferred domains, triggers a full rebuild.
    """
    started = time.perf_counter()
    target = dbt_target(pipeline)
    variables = transform_variables(pipeline, tuning, fresh_inference=full_rebuild)
    fingerprint = project_fingerprint(variables)
    with pipeline.sql_client() as client:
        warehouse = _Warehouse(client)
        warehouse.ensure_state_table()
        watermark = warehouse.newest_completed_load()
        raw_rows = warehouse.raw_rows()
        last = warehouse.last_state()
        work_dir = dbt_work_dir(pipeline)
        mode, reason, days = _plan(warehouse, last, fingerprint, full_rebuild, work_dir, raw_rows)
    if mode == "noop":
        return TransformReport(mode, reason, target.adapter, seconds=time.perf_counter() - started)
    built_through = last.watermark if mode == "incremental" and last else None
    runs = invoke_dbt(pipeline, target, ["build", *BUILD_FLAGS[mode]], variables, built_through=built_through)
    with pipeline.sql_client() as client:
        warehouse = _Warehouse(client)
        runs = [warehouse.counted(run) for run in runs]
        warehouse.record_run(mode, watermark, fingerprint, len(days), raw_rows)
    return TransformReport(
        mode, reason, target.adapter, days=days, models=runs, seconds=time.perf_counter() - started
    )


def build_docs(pipeline: dlt.Pipeline, out: Path, *, tuning: Tuning | None = None) -> Path:
    """dbt's static docs site (lineage, every model and column with its description and tests) as one
    HTML file that opens offline. The catalog of column types is read from the warehouse, so the
    transforms must have run once."""
    target = dbt_target(pipeline)
    variables = transform_variables(pipeline, tuning)
    invoke_dbt(pipeline, target, ["docs", "generate", "--static"], variables)
    built = dbt_work_dir(pipeline) / "target" / "static_index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(built.read_bytes())
    return out


def import_dbt_in_background() -> threading.Thread:
    """Start importing dbt (about 2-4 s of a fresh process) in a thread, for a command that loads
    first and builds the transforms after: the import overlaps the load, which mostly waits on the
    API. `invoke_dbt` then finds the modules imported (or waits on Python's import lock for the rest);
    an import that fails here fails again there, with its message."""

    def load() -> None:
        try:
            import dbt.adapters.duckdb
            import dbt.cli.main  # noqa: F401
        except Exception:  # reported by invoke_dbt, where the import is needed
            pass

    thread = threading.Thread(target=load, name="import-dbt", daemon=True)
    thread.start()
    return thread


def invoke_dbt(
    pipeline: dlt.Pipeline,
    target: DbtTarget,
    command: list[str],
    variables: dict[str, Any],
    *,
    built_through: str | None = None,
) -> list[ModelRun]:
    """Run one dbt command on the pipeline's warehouse; raise TransformFailed with one line per
    failing model or test. dbt's own files (compiled SQL, logs) go to the pipeline's working folder.

    `built_through`: on an incremental run, the newest load the previous successful run saw; no row
    of a load up to it has left `admin_logs` since (`_plan`). The models read the rows of newer loads
    by it as a literal (a min/max-prunable filter), the per-event models' merges look for the events
    they replace among those rows only, and the per-event tests test only them
    (macros/incremental.sql, incremental_config.sql, tests.sql). An environment variable, not a dbt
    var: vars that change every run would cost dbt's partial parsing."""
    from dbt.cli.main import dbtRunner

    work = dbt_work_dir(pipeline)
    args = [
        *command,
        "--project-dir",
        str(SQL_DIR),
        "--profiles-dir",
        str(SQL_DIR),
        "--target",
        target.adapter,
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--vars",
        json.dumps(variables),
        # dbt's own lines stay in its log file (the pipeline's working folder); the user gets ours
        "--log-level",
        "none",
        "--log-level-file",
        "info",
    ]
    environment = {**target.environment, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    environment[BUILT_THROUGH_VARIABLE] = built_through or ""
    with _environment(environment):
        try:
            outcome = dbtRunner().invoke(args)
        finally:
            if target.adapter == "duckdb":
                _close_dbt_duckdb()
    if outcome.exception is not None:
        # dbt puts the kind of error on the first line and what is wrong on the next ones
        message = " ".join(
            line.strip() for line in str(outcome.exception).strip().splitlines()[:4] if line.strip()
        )
        raise TransformFailed([f"dbt: {message or type(outcome.exception).__name__}"])
    results = list(getattr(outcome.result, "results", None) or [])
    failures = [_failure_line(r) for r in results if str(r.status) in ("error", "fail")]
    if failures:
        raise TransformFailed(failures)
    return [_model_run(r) for r in results if r.node.resource_type in ("model", "seed")]


def _close_dbt_duckdb() -> None:
    """dbt-duckdb keeps its database open for the life of the process; DuckDB then refuses the
    pipeline's own connection to the same file ("a different configuration than existing
    connections"), so the next load or `status` in this process would fail. Close it after each run."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            try:
                _close_when_free(DuckDBConnectionManager._ENV.close)
            finally:
                DuckDBConnectionManager._ENV = None


def _close_when_free(close: Callable[[], None], timeout_s: float = 30.0) -> None:
    """Close a DuckDB connection that may still be finishing a call of one of dbt's threads: DuckDB
    refuses a close while a call runs ("connection is busy") instead of waiting, so wait for it.
    Seen once in the suite under load, right after a run that rebuilt everything."""
    import duckdb

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            close()
            return
        except duckdb.ResourceInUseException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _failure_line(result: Any) -> str:
    node = result.node
    message = " ".join(str(result.message or "").split())
    if node.resource_type == "test":
        return f"data test {node.name} failed: {message or 'it returned rows'}"
    return f"{node.resource_type} {node.name} failed: {message[:300]}"


def _model_run(result: Any) -> ModelRun:
    node = result.node
    response = getattr(result, "adapter_response", None) or {}
    rows = response.get("rows_affected") if isinstance(response, dict) else None
    materialized = node.config.materialized if node.resource_type == "model" else "seed"
    return ModelRun(
        node.name,
        materialized,
        "built",
        None if materialized == "view" or rows in (None, -1) else int(rows),
        float(result.execution_time or 0.0),
    )


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for one dbt invocation (profiles.yml reads them), then restore."""
    with _ENVIRONMENT_LOCK:
        saved = {key: os.environ.get(key) for key in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


class _Warehouse:
    """The few statements the runner itself needs (its state, the raw tables' load ids)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def name(self, table: str) -> str:
        return self.client.make_qualified_table_name(table)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.client.execute_sql(sql) or [])

    def exists(self, table: str) -> bool:
        try:
            self.rows(f"select 1 from {self.name(table)} where 1 = 0")
            return True
        except Exception:
            return False

    def ensure_state_table(self) -> None:
        self.client.execute_sql(
            f"create table if not exists {self.name(STATE_TABLE)} (run_id varchar(64), finished_at "
            "timestamp with time zone, mode varchar(16), load_id_watermark varchar(64), fingerprint "
            "varchar(64), days_rebuilt bigint)"
        )
        # added later; a warehouse from before gets the column (its older rows read as unknown)
        self.client.execute_sql(
            f"alter table {self.name(STATE_TABLE)} add column if not exists raw_rows bigint"
        )

    def inferred_domains(self, *, refresh: bool = False) -> list[str]:
        """The company's domains as inferred from the events (transforms/company.py). The inference
        reads every login of the history, so its answer is kept (`_company_domains_inferred`) and
        read again until it is a day old or the events grew by a tenth since (`still_current`), or
        `refresh` asks for a new one."""
        if not self.exists("admin_logs"):
            return []
        raw_rows = self.raw_rows()
        table = self.name(INFERENCE_TABLE)
        self.client.execute_sql(
            f"create table if not exists {table} (inferred_at timestamp with time zone, "
            "raw_rows bigint, domains varchar(4000))"
        )
        kept = self.rows(f"select inferred_at, raw_rows, domains from {table} order by 1 desc limit 1")
        now = datetime.now(UTC)
        if kept and not refresh and still_current(as_utc(kept[0][0]), int(kept[0][1]), now, raw_rows):
            return list(json.loads(kept[0][2]))
        domains = infer_company_domains(self.rows(inference_sql(self.name("admin_logs"), self.completed())))
        self.client.execute_sql(
            f"insert into {table} values (cast('{now.isoformat()}' as timestamp with time zone), "
            f"{raw_rows}, '{json.dumps(domains).replace(chr(39), chr(39) * 2)}')"
        )
        return domains

    def raw_rows(self) -> int:
        """Rows in `admin_logs` now (the warehouse keeps this count: no column is read)."""
        return int(self.rows(f"select count(*) from {self.name('admin_logs')}")[0][0])

    def nothing_replaced_since(self, last: _State, raw_rows: int) -> bool:
        """True when no row of a load the last run had seen has left `admin_logs` since (replaced by
        a newer copy of its event, or deleted): then the older rows the transforms hold are all
        still there, unchanged. Counted, not compared: the rows of loads newer than the watermark
        (the min/max statistics skip the older ones) equal the growth of the table since the last
        run. Rows of a load still pending at the last run count on both sides of that sum and make
        it unequal: the safe answer, False. A state from before the count was kept: the new loads'
        events looked up among the staged older ones, once."""
        mark = f"'{last.watermark}'"
        newer = self.rows(f"select count(*) from {self.name('admin_logs')} where _dlt_load_id > {mark}")[0][0]
        if last.raw_rows is not None:
            return int(newer) == raw_rows - last.raw_rows
        staged_before = self.rows(
            f"select count(*) from {self.name(STAGING)} where _dlt_load_id <= {mark} and event_id in "
            f"(select event_id from {self.name('admin_logs')} where _dlt_load_id > {mark})"
        )[0][0]
        return int(staged_before) == 0

    def completed(self, column: str = "_dlt_load_id") -> str:
        """`column` names a load dlt recorded as complete (a pending package is picked up next run)."""
        return f"{column} in (select load_id from {self.name('_dlt_loads')} where status = 0)"

    def newest_completed_load(self) -> str | None:
        """The newest load dlt recorded as complete (a pending package is picked up by the next run):
        this run builds every completed load up to it. Read from dlt's own list of loads, not as the
        newest load id among the events' rows, which would read a column as long as the history."""
        rows = self.rows(f"select max(load_id) from {self.name('_dlt_loads')} where status = 0")
        return rows[0][0] if rows else None

    def last_state(self) -> _State | None:
        rows = self.rows(
            f"select load_id_watermark, fingerprint, raw_rows from {self.name(STATE_TABLE)} "
            "order by finished_at desc limit 1"
        )
        return _State(*rows[0]) if rows else None

    def touched_days(self, watermark: str | None) -> list[date]:
        since = "" if watermark is None else f"and _dlt_load_id > '{watermark}'"
        rows = self.rows(
            f"select distinct cast(created_at at time zone 'UTC' as date) from {self.name('admin_logs')} "
            f"where {self.completed()} {since} order by 1"
        )
        return [day if isinstance(day, date) else date.fromisoformat(str(day)) for (day,) in rows]

    def staging_lost_track(self) -> bool:
        """True when staging no longer holds one row per raw event: rows were removed from
        `admin_logs` (a dlt refresh, a manual delete), which only a full rebuild can follow."""
        staged = self.rows(f"select count(*) from {self.name(STAGING)}")[0][0]
        raw = self.rows(f"select count(*) from {self.name('admin_logs')} where {self.completed()}")[0][0]
        return staged != raw

    def counted(self, run: ModelRun) -> ModelRun:
        """The run with the rows its table holds now (what an analyst sees; views are not counted)."""
        if run.materialized == "view":
            return run
        rows = self.rows(f"select count(*) from {self.name(run.name)}")[0][0]
        return ModelRun(run.name, run.materialized, run.action, int(rows), run.seconds)

    def record_run(
        self, mode: str, watermark: str | None, fingerprint: str, days: int, raw_rows: int
    ) -> None:
        mark = "null" if watermark is None else f"'{watermark}'"
        self.client.execute_sql(
            f"insert into {self.name(STATE_TABLE)} (run_id, finished_at, mode, load_id_watermark, "
            f"fingerprint, days_rebuilt, raw_rows) values ('{uuid.uuid4().hex}', "
            f"cast('{datetime.now(UTC).isoformat()}' as timestamp with time zone), '{mode}', {mark}, "
            f"'{fingerprint}', {days}, {raw_rows})"
        )


BUILD_FLAGS = {
    "full": ("--full-refresh",),
    # a view holds no data and its definition is covered by the fingerprint, like every `static` node
    # (the seed and what is built from it and the variables alone): an incremental run (same
    # fingerprint, all of them present) need not build the ~65 of them again (about 0.1 s each)
    "incremental": ("--exclude", "config.materialized:view", "tag:static"),
}


def dbt_work_dir(pipeline: dlt.Pipeline) -> Path:
    """Where dbt's own files go (compiled SQL, manifest, logs): the pipeline's working folder."""
    return Path(pipeline.working_dir) / "dbt"


def kept_by_incremental_builds(work_dir: Path) -> list[str] | None:
    """The relations an incremental run leaves as they are (views and `static` models and seeds),
    from the last dbt run in this working folder (its manifest), or None. Read from the run's own
    manifest rather than by parsing the project again: with an unchanged fingerprint the project is
    the one that run built."""
    path = work_dir / "target" / "manifest.json"
    try:
        nodes = json.loads(path.read_text())["nodes"].values()
    except (OSError, ValueError, KeyError):
        return None
    return sorted(
        n["name"]
        for n in nodes
        if n.get("resource_type") in ("model", "seed")
        and (n["config"].get("materialized") == "view" or "static" in n["config"].get("tags", []))
    )


def _plan(
    warehouse: _Warehouse,
    last: _State | None,
    fingerprint: str,
    full_rebuild: bool,
    work_dir: Path,
    raw_rows: int,
) -> tuple[str, str, list[date]]:
    """Decide between a full build, an incremental one, or nothing, from the last run's state."""
    if full_rebuild:
        return "full", "full rebuild requested", []
    if last is None:
        return "full", "first run", []
    if last.fingerprint != fingerprint:
        return "full", "models, catalog or settings changed", []
    kept = kept_by_incremental_builds(work_dir)
    if kept is None:
        return "full", "the last build's manifest is gone", []
    for relation in (STAGING, *kept):
        if not warehouse.exists(relation):
            return "full", f"{relation} is missing", []
    days = warehouse.touched_days(last.watermark)
    if not days and warehouse.staging_lost_track():
        return "full", "raw rows were removed since the last run", []
    if not days:
        return "noop", "nothing loaded since the last run", []
    if last.watermark is None or not warehouse.nothing_replaced_since(last, raw_rows):
        # a newer copy of an event can move it to another day, which only a full build follows
        return "full", "events of earlier loads were replaced or removed since the last run", []
    return "incremental", "new loads since the last run", days
