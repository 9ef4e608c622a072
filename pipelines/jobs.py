"""The jobs behind the command line: backfill, sync, status. Tests call these directly.

A backfill is a loop of bounded dlt runs; each run loads a chunk of windows together with their
ledger rows, so each run is a checkpoint. Killed at any moment, the next backfill first finishes any
load package dlt had already extracted, then reads the ledger and fetches only what is not covered.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
from dlt.common.destination.exceptions import UnknownDestinationModule
from dlt.destinations.exceptions import DatabaseException
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed

from .box_events import FetchPlan, box_events, ledger
from .box_events.auth import BoxCredentials
from .box_events.event_types import normalize_event_types
from .box_events.exceptions import BoxEventsError, ConfigurationError
from .box_events.fetch import WindowDone
from .box_events.settings import (
    DATASET_NAME,
    DEFAULT_EVENTS_PER_RUN,
    DEFAULT_FIRST_SYNC_LOOKBACK,
    DEFAULT_LAG,
    DEFAULT_OVERLAP,
    DEFAULT_WINDOW,
    DEFAULT_WINDOWS_PER_RUN,
    DUCKDB_SETTINGS,
    PIPELINE_NAME,
)
from .box_events.windows import (
    Window,
    clamp_range,
    is_covered,
    parse_when,
    plan_windows,
)

# `status` lives in pipelines/status.py; re-exported so `jobs.status(pipeline)` keeps working
from .status import StatusReport, status  # noqa: F401

log = logging.getLogger(__name__)

DLT_DEFAULTS = {
    # Arrow tables skip dlt's normaliser; still stamp each row with its load id (transforms use it).
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    # dlt gzips its intermediate files by default: most of the extract time, for nothing.
    "DATA_WRITER__DISABLE_COMPRESSION": "true",
    # dlt's anonymous usage telemetry would call out to the internet: audit tooling stays quiet.
    "RUNTIME__DLTHUB_TELEMETRY": "false",
}


class _ExpectedArrowHintsFilter(logging.Filter):
    """dlt warns on every Arrow batch that our `json` hints differ from the Arrow `string` type:
    that difference is the design (JSON travels as text), so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


def apply_dlt_defaults() -> None:
    """Performance defaults for dlt, unless the user configured them otherwise."""
    for key, value in DLT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    dlt_logger = logging.getLogger("dlt")
    if not any(isinstance(f, _ExpectedArrowHintsFilter) for f in dlt_logger.filters):
        dlt_logger.addFilter(_ExpectedArrowHintsFilter())


def make_pipeline(
    destination: str = "duckdb",
    *,
    dataset_name: str = DATASET_NAME,
    duckdb_path: str | Path | None = None,
    pipelines_dir: str | Path | None = None,
    credentials: Any = None,
    pipeline_name: str = PIPELINE_NAME,
) -> dlt.Pipeline:
    """A dlt pipeline on any destination; DuckDB by default (file `box_audit.duckdb`)."""
    apply_dlt_defaults()
    try:
        dest = (
            dlt.destinations.duckdb(credentials=duckdb_credentials(duckdb_path or credentials, pipeline_name))
            if destination == "duckdb"
            else (dlt.common.destination.Destination.from_reference(destination, credentials=credentials))
        )
    except (UnknownDestinationModule, ImportError, ValueError) as exc:
        raise ConfigurationError(
            f"unknown destination {destination!r}: use a dlt destination name such as duckdb, "
            "motherduck, postgres, snowflake, bigquery or databricks"
        ) from exc
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dest,
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
    )


def duckdb_credentials(path: str | Path | None, pipeline_name: str = PIPELINE_NAME) -> DuckDbCredentials:
    """The DuckDB file (argument, else `DESTINATION__DUCKDB__CREDENTIALS`, else `<pipeline>.duckdb`)
    with DuckDB's memory capped, unless the user configured DuckDB's settings themselves.

    DuckDB's own default cap is 80% of the machine's memory, and it keeps what it reads: a merge into
    a growing table then makes the loader's memory grow with the length of the backfill. With a cap,
    DuckDB spills to disk instead and the pipeline's peak memory stays flat."""
    configured = dlt.config.get("destination.duckdb.credentials")
    location = str(path) if path is not None else configured if isinstance(configured, str) else None
    credentials = DuckDbCredentials(location or f"{pipeline_name}.duckdb")
    if dlt.config.get("destination.duckdb.credentials.global_config") is None:
        credentials.global_config = dict(DUCKDB_SETTINGS)
    return credentials


@dataclass
class ApiOptions:
    """Where Box is and how hard to press it; None means "from dlt config, else the default"."""

    api_base_url: str | None = None
    token_url: str | None = None
    credentials: BoxCredentials | dict[str, Any] | None = None
    requests_per_minute: float | None = None
    concurrency: int | None = None
    max_attempts: int | None = None
    max_retry_wait_s: float | None = None

    def source_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class JobReport:
    kind: str
    windows_planned: int = 0
    windows_skipped: int = 0
    windows_loaded: int = 0
    events: int = 0
    runs: int = 0
    seconds: float = 0.0
    load_ids: list[str] = field(default_factory=list)
    range: Window | None = None

    def summary(self) -> str:
        rate = self.events / self.seconds if self.seconds else 0.0
        skipped = f", {self.windows_skipped} already covered" if self.windows_skipped else ""
        return (
            f"{self.kind}: {self.windows_loaded} windows loaded{skipped}, {self.events:,} events "
            f"in {self.seconds:.1f}s ({rate:,.0f} events/s)"
        )


WindowCallback = Callable[[WindowDone], None]


def finish_pending(pipeline: dlt.Pipeline) -> None:
    """Load what an interrupted run had already extracted, before reading the ledger.

    If that package cannot be finished (a run killed mid-write can leave a truncated file), it is
    dropped: nothing is lost, since its windows are not in the ledger and will be read again."""
    if not pipeline.has_pending_data:
        return
    log.info("finishing the load package of an interrupted run")
    try:
        pipeline.normalize()
        pipeline.load()
    except PipelineStepFailed as exc:
        if _find_box_error(exc) is not None:
            raise
        log.warning(
            "dropping the interrupted run's load package (%s): its windows will be read again",
            str(exc.exception).splitlines()[0] if exc.exception else type(exc).__name__,
        )
        pipeline.abort_packages()


def _settled_coverage(pipeline: dlt.Pipeline, types: tuple[str, ...]) -> list[Window]:
    """What the ledger covers once any interrupted run's package is finished (or dropped)."""
    finish_pending(pipeline)
    return ledger.covered(pipeline, types)


def backfill(
    pipeline: dlt.Pipeline,
    *,
    start: str | datetime,
    end: str | datetime = "now",
    event_types: str | Sequence[str] | None = None,
    api: ApiOptions | None = None,
    window_size: timedelta = DEFAULT_WINDOW,
    windows_per_run: int = DEFAULT_WINDOWS_PER_RUN,
    events_per_run: int = DEFAULT_EVENTS_PER_RUN,
    now: datetime | None = None,
    on_window: WindowCallback | None = None,
    on_plan: Callable[[int, int], None] | None = None,
) -> JobReport:
    """Load `[start, end)`, skipping every window the ledger already covers."""
    now = now or datetime.now(UTC)
    types = normalize_event_types(event_types)
    first, last = clamp_range(
        parse_when(start, now=now, name="--start"), parse_when(end, now=now, name="--end"), now=now
    )
    covered = _settled_coverage(pipeline, types)
    planned = plan_windows(first, last, window_size)
    todo = [w for w in planned if not is_covered(w, covered)]
    report = JobReport("backfill", len(planned), len(planned) - len(todo), range=Window(first, last))
    if on_plan:
        on_plan(len(planned), report.windows_skipped)
    _load_windows(
        pipeline, todo, types, "backfill", api, (windows_per_run, events_per_run), report, on_window
    )
    return report


def sync(
    pipeline: dlt.Pipeline,
    *,
    event_types: str | Sequence[str] | None = None,
    api: ApiOptions | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    lag: timedelta = DEFAULT_LAG,
    window_size: timedelta = DEFAULT_WINDOW,
    windows_per_run: int = DEFAULT_WINDOWS_PER_RUN,
    events_per_run: int = DEFAULT_EVENTS_PER_RUN,
    first_sync_lookback: timedelta = DEFAULT_FIRST_SYNC_LOOKBACK,
    now: datetime | None = None,
    on_window: WindowCallback | None = None,
    on_plan: Callable[[int, int], None] | None = None,
) -> JobReport:
    """Read from (high-water mark − overlap) to (now − lag); merge makes the re-read harmless."""
    now = now or datetime.now(UTC)
    types = normalize_event_types(event_types)
    covered = _settled_coverage(pipeline, types)
    high_water = covered[-1].end if covered else None
    start = high_water - overlap if high_water else now - first_sync_lookback
    end = now - lag
    report = JobReport("sync")
    if start >= end:
        log.info("nothing to sync: the warehouse is current to %s", high_water)
        return report
    first, last = clamp_range(start, end, now=now)
    windows = plan_windows(first, last, window_size)
    report.windows_planned, report.range = len(windows), Window(first, last)
    if on_plan:
        on_plan(len(windows), 0)
    _load_windows(pipeline, windows, types, "sync", api, (windows_per_run, events_per_run), report, on_window)
    return report


def _load_windows(
    pipeline: dlt.Pipeline,
    windows: list[Window],
    types: tuple[str, ...],
    kind: str,
    api: ApiOptions | None,
    checkpoint_size: tuple[int, int],
    report: JobReport,
    on_window: WindowCallback | None,
) -> None:
    """One dlt run per checkpoint (at most `checkpoint_size` = (windows, events)): each run commits its
    events and ledger rows together."""
    started = time.monotonic()

    def window_done(done: WindowDone) -> None:
        report.windows_loaded += 1
        report.events += done.events
        if on_window:
            on_window(done)

    kwargs = (api or ApiOptions()).source_kwargs()
    max_windows, max_events = checkpoint_size
    plan = FetchPlan(windows, max_events=max_events, max_windows=max(1, max_windows))
    try:
        index = 0
        while plan.has_checkpoint(index):
            with _one_line_errors():
                source = box_events(
                    event_types=types, kind=kind, on_window=window_done, plan=plan, checkpoint=index, **kwargs
                )
                info = pipeline.run(source, loader_file_format="parquet")
            report.runs += 1
            report.load_ids.extend(info.loads_ids)
            index += 1
    finally:
        plan.close()
    report.seconds = time.monotonic() - started


def run_query(pipeline: dlt.Pipeline, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of one query on the pipeline's destination."""
    try:
        with pipeline.sql_client() as client, client.execute_query(sql) as cursor:
            header = [column[0] for column in cursor.description or []]
            return header, [tuple(row) for row in cursor.fetchall()]
    except DatabaseException as exc:
        message = str(exc).strip().splitlines()[0]
        raise ConfigurationError(f"the query failed: {message}") from None


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Unwrap dlt's step failures so the user sees our one-line error, not a dlt traceback."""
    try:
        yield
    except BoxEventsError:
        raise
    except Exception as exc:
        cause = _find_box_error(exc)
        if cause is None:
            raise
        raise cause from None


def _find_box_error(exc: BaseException | None) -> BoxEventsError | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, BoxEventsError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__ or getattr(exc, "exception", None)
    return None
