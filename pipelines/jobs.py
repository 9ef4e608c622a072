"""The jobs behind the command line: backfill, sync, status. Tests call these directly.

A backfill is a loop of bounded dlt runs; each run loads a chunk of windows together with their
ledger rows, so each run is a checkpoint. Killed at any moment, the next backfill first finishes any
load package dlt had already extracted, then reads the ledger and fetches only what is not covered.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
from dlt.common.destination.exceptions import DestinationTerminalException, UnknownDestinationModule
from dlt.destinations.exceptions import DestinationConnectionError
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed

from .box_events import lake, ledger, stopping
from .box_events.admin_logs import WindowReading, checkpoint_items
from .box_events.client import open_client
from .box_events.config import ApiOptions
from .box_events.duckdb_hold import WarehouseHold
from .box_events.duckdb_load import BoxDuckDb
from .box_events.event_types import normalize_event_types
from .box_events.exceptions import BoxEventsError, ConfigurationError, find_cause
from .box_events.fetch import WindowDone, WindowFetcher
from .box_events.resources import lane_load
from .box_events.settings import (
    ADMIN_LOGS_RETENTION,
    ADMIN_LOGS_STREAMING,
    BACKFILL_ORDERS,
    DATASET_NAME,
    DEFAULT_BACKFILL_ORDER,
    DEFAULT_EVENTS_PER_RUN,
    DEFAULT_FIRST_SYNC_LOOKBACK,
    DEFAULT_LAG,
    DEFAULT_OVERLAP,
    DEFAULT_SETTLE_AGE,
    DEFAULT_WINDOW,
    DEFAULT_WINDOWS_PER_RUN,
    DUCKDB_SETTINGS,
    EVENTS_TABLE,
    FIRST_CHECKPOINT_SPAN,
    LATE_WINDOW_MARGIN,
    NEWEST_FIRST,
    PIPELINE_NAME,
)
from .box_events.stopping import StopRequested
from .box_events.windows import (
    Window,
    clamp_range,
    is_covered,
    merge_intervals,
    parse_when,
    plan_windows,
)

# `status` lives in pipelines/status.py; re-exported so `jobs.status(pipeline)` keeps working
from .status import StatusReport, status  # noqa: F401
from .warehouse import Warehouse, check_pipelines_dir, command_line, write_lock
from .wording import plural

log = logging.getLogger(__name__)

DLT_DEFAULTS = {
    # Arrow tables skip dlt's normaliser; still stamp each row with its load id (transforms use it).
    "NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID": "true",
    # dlt gzips its intermediate files by default: most of the extract time, for nothing.
    "DATA_WRITER__DISABLE_COMPRESSION": "true",
    # dlt's anonymous usage telemetry would call out to the internet: audit tooling stays quiet.
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    # the merge's staging copy of the last checkpoint is emptied after each load, not left behind
    "LOAD__TRUNCATE_STAGING_DATASET": "true",
    # Ctrl-C and SIGTERM are ours (box_events/stopping.py): dlt's own interception during normalize
    # and load would take the first signal, and clear it when the step ends, so the job ran on
    "RUNTIME__INTERCEPT_SIGNALS": "false",
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
    must_exist: bool = False,
    duckdb_memory_limit: str | None = None,
) -> dlt.Pipeline:
    """A dlt pipeline on any destination; DuckDB by default (file `box_audit.duckdb`). On
    `filesystem` the bucket is dlt's `destination.filesystem.bucket_url` and the tables are stored
    as `destination.filesystem.table_format` says (see `box_events.lake`).

    The DuckDB location is checked first, in one line: for a command that reads (`must_exist`), the
    warehouse must already be there; for one that writes, its folder must be writable and an
    existing file must be a DuckDB database. dlt's working folder defaults to one per warehouse
    (see `pipelines.warehouse`). `duckdb_memory_limit`: DuckDB's cap for this job, if not the
    default one (see `duckdb_credentials`)."""
    apply_dlt_defaults()
    location = duckdb_path if duckdb_path is not None else credentials if destination == "duckdb" else None
    warehouse = Warehouse.resolve(destination, dataset_name, location)
    if must_exist:
        warehouse.check_exists()
    else:
        warehouse.check_can_write()
    try:
        if destination == "duckdb":
            dest = BoxDuckDb(credentials=duckdb_credentials(warehouse.duckdb_path, duckdb_memory_limit))
        elif destination == lake.FILESYSTEM:
            dest = dlt.destinations.filesystem(bucket_url=warehouse.bucket_url, credentials=credentials)
        else:
            dest = dlt.common.destination.Destination.from_reference(destination, credentials=credentials)
    except (UnknownDestinationModule, ImportError, ValueError) as exc:
        raise ConfigurationError(
            f"unknown destination {destination!r}: use a dlt destination name such as duckdb, "
            "motherduck, postgres, filesystem, snowflake, bigquery or databricks"
        ) from exc
    folder = Path(os.path.abspath(pipelines_dir)) if pipelines_dir else warehouse.default_pipelines_dir
    check_pipelines_dir(folder)
    pipeline = _open_pipeline(pipeline_name, dest, dataset_name, folder)
    if warehouse.table_format is not None:
        lake.restore_schema(pipeline, warehouse.table_format)
    return pipeline


@contextmanager
def writing(
    destination: str = "duckdb",
    *,
    dataset_name: str = DATASET_NAME,
    duckdb_path: str | Path | None = None,
    pipelines_dir: str | Path | None = None,
    wait_s: float | None = None,
    must_exist: bool = False,
    command: str | None = None,
    duckdb_memory_limit: str | None = None,
) -> Iterator[dlt.Pipeline]:
    """The pipeline of a job that writes, inside the warehouse's lock, for every caller that writes
    (the command line, Dagster): one run at a time whoever starts it, so a scheduler's run and a
    cron or systemd run never overlap. `wait_s` as in `write_lock`; `command` names the holder in
    the busy message (default: this process's command line); `duckdb_memory_limit` as in
    `make_pipeline` (a sync passes SYNC_DUCKDB_MEMORY_LIMIT)."""
    warehouse = Warehouse.resolve(destination, dataset_name, duckdb_path)
    if must_exist:
        warehouse.check_exists()
    else:
        warehouse.check_folder()  # before the lock: the lock file lives in that folder
    with write_lock(warehouse, command or command_line(), wait_s=wait_s):
        yield make_pipeline(
            destination,
            dataset_name=dataset_name,
            duckdb_path=duckdb_path,
            pipelines_dir=pipelines_dir,
            must_exist=must_exist,
            duckdb_memory_limit=duckdb_memory_limit,
        )


def _open_pipeline(name: str, destination: Any, dataset_name: str, folder: Path) -> dlt.Pipeline:
    """dlt's pipeline in `folder`; a working folder dlt cannot read (a run killed while writing its
    state, a hand edit) is moved aside and started afresh: the warehouse's ledger, not this folder,
    is the record of what is loaded, so nothing is lost and nothing already covered is read again."""
    try:
        return dlt.pipeline(
            pipeline_name=name, destination=destination, dataset_name=dataset_name, pipelines_dir=str(folder)
        )
    except Exception as exc:
        broken = folder / name
        if not broken.exists():
            raise
        aside = folder / f"{name}.broken-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        broken.rename(aside)
        log.warning(
            "dlt's working folder %s was unreadable (%s): moved it to %s and started afresh",
            broken,
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            aside,
        )
        return dlt.pipeline(
            pipeline_name=name, destination=destination, dataset_name=dataset_name, pipelines_dir=str(folder)
        )


def duckdb_credentials(path: Path | None, memory_limit: str | None = None) -> DuckDbCredentials:
    """The DuckDB file (absolute: see `Warehouse.resolve`) with DuckDB's memory capped (at
    `memory_limit`, else DUCKDB_SETTINGS' cap), unless the user configured DuckDB's settings
    themselves.

    DuckDB's own default cap is 80% of the machine's memory, and it keeps what it reads: a merge into
    a growing table then makes the loader's memory grow with the length of the backfill. With a cap,
    DuckDB spills to disk instead and the pipeline's peak memory stays flat."""
    credentials = DuckDbCredentials(str(path))
    if dlt.config.get("destination.duckdb.credentials.global_config") is None:
        cap = {"memory_limit": memory_limit} if memory_limit else {}
        credentials.global_config = {**DUCKDB_SETTINGS, **cap}
    return credentials


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
    windows_settled: int = 0
    """Provisional windows read again once old enough (sync)."""
    events_new: int = 0
    """Rows the job added: `events` less the ones already loaded (an overlap read again adds 0)."""

    def summary(self) -> str:
        rate = self.events / self.seconds if self.seconds else 0.0
        skipped = f", {self.windows_skipped:,} already covered" if self.windows_skipped else ""
        return (
            f"{self.kind}: {plural(self.windows_loaded, 'window')} loaded{skipped}, "
            f"{plural(self.events, 'event')} in {self.seconds:.1f}s ({rate:,.0f} events/s)"
        )


WindowCallback = Callable[[WindowDone], None]
CheckpointCallback = Callable[[JobReport], None]
"""Called with the job's report so far (what is committed)."""


def finish_pending(pipeline: dlt.Pipeline) -> None:
    """Load what an interrupted run had already extracted, before reading the ledger.

    If that package cannot be finished (a run killed mid-write can leave a truncated file or a
    half-moved folder), it is dropped: nothing is lost, since its windows are not in the ledger and
    will be read again. An error of Box's or of the warehouse's (unreachable, refused) is not the
    package's fault and is raised instead."""
    try:
        if not pipeline.has_pending_data:
            return
        log.info("finishing the load package of an interrupted run")
        pipeline.normalize()
        pipeline.load()
    except Exception as exc:
        if _find_box_error(exc) is not None or _is_destination_unreachable(exc):
            raise
        reason = exc.exception if isinstance(exc, PipelineStepFailed) and exc.exception else exc
        log.warning(
            "dropping the interrupted run's load package (%s): its windows will be read again",
            str(reason).splitlines()[0] if str(reason) else type(reason).__name__,
        )
        _drop_pending(pipeline)


def _drop_pending(pipeline: dlt.Pipeline) -> None:
    """Abort the pending packages the dlt way; if even that fails (their folders are damaged),
    delete them outright: they hold nothing the ledger vouches for."""
    try:
        pipeline.abort_packages()
    except Exception:
        for stage in ("normalize/extracted", "load/normalized", "load/new"):
            for package in (Path(pipeline.working_dir) / stage).glob("*"):
                if package.is_dir():
                    shutil.rmtree(package, ignore_errors=True)


def _is_destination_unreachable(exc: BaseException) -> bool:
    unreachable = (DestinationConnectionError, DestinationTerminalException)
    return find_cause(exc, lambda e: isinstance(e, unreachable)) is not None


def _readings(pipeline: dlt.Pipeline) -> list[ledger.Reading]:
    """What the ledger holds once any interrupted run's package is finished (or dropped)."""
    finish_pending(pipeline)
    return ledger.readings(pipeline)


def job_clock(now: datetime | None) -> Callable[[], datetime]:
    """The job's time: the real time, or, when a job is given `now` (tests on an emulator's clock,
    a replay), that moment plus the time elapsed since."""
    if now is None:
        return lambda: datetime.now(UTC)
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def _reading(
    pipeline: dlt.Pipeline,
    kind: str,
    types: tuple[str, ...],
    readings: list[ledger.Reading],
    on_window: WindowCallback | None,
    now: datetime,
    settle_windows: frozenset[Window] = frozenset(),
) -> WindowReading:
    """How this job reads: a window no lane has read before cannot hold loaded rows, so only the
    others ask the warehouse for the ids it already has (which the reading then skips)."""
    read_before = merge_intervals((r.window.start, r.window.end) for r in readings)
    live = merge_intervals((r.window.start, r.window.end) for r in readings if r.lane == ADMIN_LOGS_STREAMING)

    def known_ids(window: Window) -> set[str]:
        if not any(r.start < window.end and window.start < r.end for r in read_before):
            return set()
        return ledger.event_ids_between(pipeline, window.start, window.end)

    return WindowReading(
        kind,
        types,
        known_ids=known_ids,
        live_coverage=live,
        settle_windows=settle_windows,
        on_window=on_window,
        clock=job_clock(now),
    )


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
    order: str = DEFAULT_BACKFILL_ORDER,
    on_window: WindowCallback | None = None,
    on_plan: Callable[[int, int], None] | None = None,
    after_first_checkpoint: CheckpointCallback | None = None,
) -> JobReport:
    """Load `[start, end)`, skipping every window the ledger already covers.

    `order`: `newest-first` (the default) reads the most recent windows first, its first checkpoint
    only the newest day (`FIRST_CHECKPOINT_SPAN`), so the days an analyst asks about commit within
    seconds; `oldest-first` is the chronological order. The ledger and resume do not depend on it.
    `after_first_checkpoint`: called once the first checkpoint is committed, if more windows
    follow (the command line builds the audit tables there, so the loaded days are usable while
    the rest loads)."""
    now = now or datetime.now(UTC)
    _check_order(order)
    types = normalize_event_types(event_types)
    first, last = clamp_range(
        parse_when(start, now=now, name="--start"), parse_when(end, now=now, name="--end"), now=now
    )
    readings = _readings(pipeline)
    covered = ledger.covered_by(readings, types)
    planned = plan_windows(first, last, window_size)
    todo = [w for w in planned if not is_covered(w, covered)]
    if order == NEWEST_FIRST:
        todo.reverse()
    report = JobReport("backfill", len(planned), len(planned) - len(todo), range=Window(first, last))
    if on_plan:
        on_plan(len(planned), report.windows_skipped)
    reading = _reading(pipeline, "backfill", types, readings, on_window, now)
    _load_windows(
        pipeline,
        todo,
        reading,
        api,
        report,
        windows_per_run=windows_per_run,
        events_per_run=events_per_run,
        first_span=FIRST_CHECKPOINT_SPAN if order == NEWEST_FIRST else None,
        after_first_checkpoint=after_first_checkpoint,
    )
    return report


def _check_order(order: str) -> None:
    if order not in BACKFILL_ORDERS:
        choices = " or ".join(BACKFILL_ORDERS)
        raise ConfigurationError(f"--order must be {choices} (got {order!r})")


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
    settle_age: timedelta = DEFAULT_SETTLE_AGE,
    now: datetime | None = None,
    on_window: WindowCallback | None = None,
    on_plan: Callable[[int, int], None] | None = None,
) -> JobReport:
    """Read from (high-water mark − overlap) to (now − lag), and first the provisional windows that
    are now older than `settle_age` (the sweep: events that arrived late, and the ones the live
    lane missed). Re-reads skip the rows already loaded, so they are cheap and never double."""
    now = now or datetime.now(UTC)
    types = normalize_event_types(event_types)
    readings = _readings(pipeline)
    covered = ledger.covered_by(readings, types)
    high_water = covered[-1].end if covered else None
    start = high_water - overlap if high_water else now - first_sync_lookback
    end = now - lag
    report = JobReport("sync")
    fresh: list[Window] = []
    if start < end:
        first, last = clamp_range(start, end, now=now)
        fresh = plan_windows(first, last, window_size)
        report.range = Window(first, last)
    settle = _due_for_settling(readings, types, settle_age, now, before=fresh[0].start if fresh else end)
    windows = settle + fresh
    report.windows_planned, report.windows_settled = len(windows), len(settle)
    if not windows:
        log.info("nothing to sync: the warehouse is current to %s", high_water)
        return report
    if on_plan:
        on_plan(len(windows), 0)
    reading = _reading(pipeline, "sync", types, readings, on_window, now, frozenset(settle))
    _load_windows(
        pipeline,
        windows,
        reading,
        api,
        report,
        windows_per_run=windows_per_run,
        events_per_run=events_per_run,
    )
    return report


def _due_for_settling(
    readings: list[ledger.Reading],
    types: tuple[str, ...],
    settle_age: timedelta,
    now: datetime,
    *,
    before: datetime,
) -> list[Window]:
    """Provisional ranges (read by any lane, not yet by admin_logs `settle_age` after their end)
    whose end is now older than `settle_age`, cut to Box's retention and to before `before` (from
    there on, this sync reads anyway), one window per day at most."""
    provisional = ledger.settlement_of(readings, types, settle_age).provisional
    cutoff = min(now - settle_age, before)
    due: list[Window] = []
    for part in provisional:
        if part.start >= cutoff:
            continue
        try:
            first, last = clamp_range(part.start, min(part.end, cutoff), now=now)
        except ConfigurationError:  # wholly beyond Box's retention: nothing left to read
            continue
        due.extend(plan_windows(first, last, DEFAULT_WINDOW))
    return due


def _load_windows(
    pipeline: dlt.Pipeline,
    windows: list[Window],
    reading: WindowReading,
    api: ApiOptions | None,
    report: JobReport,
    *,
    windows_per_run: int,
    events_per_run: int,
    first_span: timedelta | None = None,
    after_first_checkpoint: CheckpointCallback | None = None,
) -> None:
    """One dlt run per checkpoint (at most `windows_per_run` windows, closed once its windows are
    expected to hold `events_per_run` events; the first also once they cover `first_span`): each
    run commits its events and ledger rows together, in the order of `windows`. The report counts
    what is committed, checkpoint by checkpoint, so an interrupted job (Ctrl-C, SIGTERM:
    `JobInterrupted`, also from `after_first_checkpoint`) can say exactly what it loaded."""
    started = time.monotonic()
    fetched = {"windows": 0, "events": 0}
    """Read from Box but not committed yet: the current checkpoint's share."""

    on_window = reading.on_window

    def window_done(done: WindowDone) -> None:
        fetched["windows"] += 1
        fetched["events"] += done.events
        if on_window:
            on_window(done)

    reading.on_window = window_done
    _check_at_least_one(windows_per_run=windows_per_run, events_per_run=events_per_run)
    if not windows:
        return
    table_format = lake.table_format_of(pipeline)
    config = (api or ApiOptions()).resolve()
    # let go at the end, quietly when the job is failing already (see duckdb_hold)
    with WarehouseHold(pipeline) as hold:
        fetcher = WindowFetcher(
            open_client(config),
            windows,
            max_events=events_per_run,
            max_windows=max(1, windows_per_run),
            event_types=reading.event_types,
            concurrency=config.concurrency,
            first_span=first_span,
            not_before=lambda: _oldest_served(reading.clock()),
            on_idle=hold.release,
        )
        try:
            index = 0
            while fetcher.has_checkpoint(index):
                stopping.check()
                with _one_line_errors():
                    source = lane_load(checkpoint_items(fetcher, index, reading), table_format)
                    info = pipeline.run(source, loader_file_format="parquet")
                report.runs += 1
                report.load_ids.extend(info.loads_ids)
                report.windows_loaded += fetched["windows"]
                report.events += fetched["events"]
                report.events_new += pipeline.last_trace.last_normalize_info.row_counts.get(EVENTS_TABLE, 0)
                fetched.update(windows=0, events=0)
                index += 1
                if index == 1 and after_first_checkpoint and report.windows_loaded < len(windows):
                    # taken only after a later load: the transforms open the file their own way
                    after_first_checkpoint(report)
                elif fetcher.has_checkpoint(index):
                    hold.after_load()
        except BaseException as exc:
            interrupt = _find_interrupt(exc)
            if interrupt is None:
                raise
            report.seconds = time.monotonic() - started
            raise JobInterrupted(report, interrupt) from None
        finally:
            fetcher.close()
    report.seconds = time.monotonic() - started


def _oldest_served(now: datetime) -> datetime:
    """The oldest `created_at` a window handed out now may start at (see `LATE_WINDOW_MARGIN`)."""
    return (now - ADMIN_LOGS_RETENTION + LATE_WINDOW_MARGIN).replace(microsecond=0)


def _find_interrupt(exc: BaseException | None) -> KeyboardInterrupt | None:
    """Ctrl-C or SIGTERM, also when dlt caught it mid-step and wrapped it in its own error."""
    found = find_cause(exc, lambda e: isinstance(e, KeyboardInterrupt))
    return found if isinstance(found, KeyboardInterrupt) else None


def _check_at_least_one(**values: float) -> None:
    """Checkpoint sizes below 1 would make a job that never ends or never loads: refuse them."""
    for name, value in values.items():
        if value < 1:
            flag = "--" + name.replace("_", "-")
            raise ConfigurationError(f"{flag} must be at least 1 (got {value:g})")


class JobInterrupted(BoxEventsError):
    """Ctrl-C or SIGTERM stopped a job between or during checkpoints. Every committed checkpoint
    stays (events and ledger together); the one in flight is not in the ledger, so running the same
    command again reads exactly what is missing."""

    def __init__(self, report: JobReport, signal_: KeyboardInterrupt) -> None:
        self.report = report
        self.exit_code = signal_.exit_code if isinstance(signal_, StopRequested) else 130
        name = signal_.name if isinstance(signal_, StopRequested) else "Ctrl-C"
        super().__init__(
            f"interrupted ({name}): {report.kind} committed {plural(report.windows_loaded, 'window')} "
            f"({report.events:,} events) in {plural(report.runs, 'checkpoint')} before stopping; "
            "run the same command again to resume"
        )


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
    found = find_cause(exc, lambda e: isinstance(e, BoxEventsError))
    return found if isinstance(found, BoxEventsError) else None
