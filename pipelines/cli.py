"""`boxevents`: the command line, a thin layer over `pipelines.jobs` (which tests call directly).

Every error prints as one line (`error: …`) and no traceback: exit code 2 for what the user can fix
(a flag, a file, credentials, a busy warehouse, a broken answer from Box), 1 for a bug of ours,
130 after Ctrl-C and 143 after SIGTERM. `boxevents --debug …` shows the traceback.
Commands that write (backfill, sync, transform, demo) hold the warehouse's lock for their whole run.
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import UsageError  # typer ships its own click; this is its usage error

from .box_events import stopping
from .box_events.exceptions import BoxEventsError, ConfigurationError, find_cause
from .box_events.settings import (
    DATASET_NAME,
    DEFAULT_BACKFILL_ORDER,
    DEFAULT_CONCURRENCY,
    DEFAULT_EVENTS_PER_RUN,
    DEFAULT_LAG,
    DEFAULT_OVERLAP,
    DEFAULT_REQUESTS_PER_MINUTE,
    DEFAULT_SETTLE_AGE,
    DEFAULT_STREAM_INTERVAL,
    DEFAULT_WINDOW,
    DEFAULT_WINDOWS_PER_RUN,
    MAX_STREAM_INTERVAL,
    NEWEST_FIRST,
    OLDEST_FIRST,
    SYNC_DUCKDB_MEMORY_LIMIT,
)
from .box_events.windows import duration_text, parse_duration
from .query import DEFAULT_TABLE_LIMIT, OutputFormat

app = typer.Typer(
    name="boxevents",
    help="Own your Box audit history: load Box enterprise events into a warehouse and build "
    "audit tables.\n\nExample: boxevents backfill --start 365d && boxevents sync",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


WINDOW_TEXT, OVERLAP_TEXT, LAG_TEXT = map(duration_text, (DEFAULT_WINDOW, DEFAULT_OVERLAP, DEFAULT_LAG))
SETTLE_AGE_TEXT = duration_text(DEFAULT_SETTLE_AGE)
STREAM_INTERVAL_TEXT = duration_text(DEFAULT_STREAM_INTERVAL)
MAX_STREAM_INTERVAL_TEXT = duration_text(MAX_STREAM_INTERVAL)


@dataclass
class Globals:
    debug: bool = False


GLOBALS = Globals()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each retry.")] = False,
) -> None:
    """Own your Box audit history. Run `boxevents demo` to see it all on the bundled emulator."""
    GLOBALS.debug = debug
    stopping.install()  # Ctrl-C and SIGTERM (systemd stop, a scheduler's timeout) stop a job cleanly
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(message)s",
        stream=sys.stderr,
    )
    if not debug:
        for name in ("", "dlt"):
            logger = logging.getLogger(name)
            if not any(isinstance(f, _OneLineLogs) for f in logger.filters):
                logger.addFilter(_OneLineLogs())


class _OneLineLogs(logging.Filter):
    """Log records as one line without a traceback (dlt logs its own failures with both, before
    the error reaches us); `--debug` keeps them whole."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage().strip()
        record.msg, record.args = (message.splitlines()[0] if message else ""), ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


@contextmanager
def user_errors() -> Iterator[None]:
    """One line for every error; tracebacks only with --debug (see the module docstring)."""
    from .jobs import JobInterrupted

    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except BaseException as exc:
        if GLOBALS.debug:
            raise
        if isinstance(exc, JobInterrupted):
            _stop_now(str(exc), exc.exit_code)
        if isinstance(exc, KeyboardInterrupt):
            code = exc.exit_code if isinstance(exc, stopping.StopRequested) else 130
            _stop_now("interrupted before anything was loaded", code)
        if isinstance(exc, BoxEventsError):
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if _disk_full(exc):
            typer.echo(
                "error: the disk is full (No space left on device): free some space where the warehouse "
                "and its .pipelines folder live, then run the same command again; nothing committed is lost",
                err=True,
            )
            raise typer.Exit(2) from None
        if isinstance(exc, OSError) and exc.strerror:
            where = f" ({exc.filename})" if exc.filename else ""
            typer.echo(
                f"error: {exc.strerror}{where}: nothing committed is lost; fix it and run again", err=True
            )
            raise typer.Exit(2) from None
        if not isinstance(exc, Exception):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        typer.echo(
            f"error: unexpected {type(exc).__name__}{': ' + first[:300] if first else ''} "
            "(nothing committed is lost; run with --debug for the traceback and report it)",
            err=True,
        )
        raise typer.Exit(1) from None


def _disk_full(exc: BaseException | None) -> bool:
    """ENOSPC anywhere in the chain (dlt and DuckDB wrap it in their own errors, often as text)."""

    def full(e: BaseException) -> bool:
        return (isinstance(e, OSError) and e.errno == errno.ENOSPC) or "No space left on device" in str(e)

    return find_cause(exc, full) is not None


def _stop_now(message: str, code: int) -> None:
    """Print the one line and leave at once: fetch threads may sit in a retry back-off, and waiting
    for them would only delay the stop. Everything committed is in the warehouse; anything in
    flight is not in the ledger and is read again by the next run (as after a kill -9)."""
    typer.echo(message, err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# --- options shared by the warehouse commands -------------------------------------------------

Destination = Annotated[
    str, typer.Option("--destination", "-d", help="Any dlt destination name.", show_default=True)
]
DuckdbPath = Annotated[
    Path | None,
    typer.Option(help="DuckDB file (default: box_audit.duckdb, or DESTINATION__DUCKDB__CREDENTIALS)."),
]
Dataset = Annotated[str, typer.Option(help="Dataset (schema) in the warehouse.")]
PipelinesDir = Annotated[Path | None, typer.Option(help="Where dlt keeps the pipeline's state.")]
EventTypes = Annotated[
    str | None, typer.Option("--event-types", help="Only these types, e.g. LOGIN,FAILED_LOGIN.")
]
Window = Annotated[str, typer.Option("--window", help="Window size, e.g. 1d, 6h.")]
Concurrency = Annotated[
    int | None, typer.Option(help=f"Windows fetched at once (default: config, else {DEFAULT_CONCURRENCY}).")
]
Rpm = Annotated[
    float | None,
    typer.Option(
        "--requests-per-minute",
        help=f"Client-side rate limit (default: config, else {DEFAULT_REQUESTS_PER_MINUTE}).",
    ),
]
PerRun = Annotated[int, typer.Option(help="At most this many windows per checkpoint (one dlt run each).")]
EventsPerRun = Annotated[
    int, typer.Option(help="A checkpoint closes once its windows are expected to hold this many events.")
]
NoTransform = Annotated[bool, typer.Option("--no-transform", help="Skip the SQL transforms.")]
CompanyDomains = Annotated[
    list[str] | None,
    typer.Option(
        "--company-domain",
        help="Your own email domain (repeat for several); everyone else is external "
        "(default: config transforms.company_domains, else inferred from the events' users).",
    ),
]


Wait = Annotated[
    str | None,
    typer.Option(
        "--wait",
        metavar="[DURATION]",
        help="If another run holds the warehouse, wait for it: up to DURATION (e.g. 10m), or as long "
        "as it takes when given alone. Without it, a busy warehouse is an error at once.",
    ),
]
WAIT_FOREVER = "forever"


def _pipeline(
    destination: str,
    duckdb_path: Path | None,
    dataset: str,
    pipelines_dir: Path | None,
    *,
    must_exist: bool = True,
    duckdb_memory_limit: str | None = None,
):
    """The pipeline of a command that reads: the warehouse must exist (no silent empty one)."""
    from .jobs import make_pipeline

    return make_pipeline(
        destination,
        dataset_name=dataset,
        duckdb_path=duckdb_path,
        pipelines_dir=pipelines_dir,
        must_exist=must_exist,
        duckdb_memory_limit=duckdb_memory_limit,
    )


@contextmanager
def _writing(
    destination: str,
    duckdb_path: Path | None,
    dataset: str,
    pipelines_dir: Path | None,
    wait: str | None,
    *,
    must_exist: bool = False,
    duckdb_memory_limit: str | None = None,
) -> Iterator[Any]:
    """The pipeline of a command that writes, inside the warehouse's lock (one run at a time)."""
    from .jobs import writing

    with writing(
        destination,
        dataset_name=dataset,
        duckdb_path=duckdb_path,
        pipelines_dir=pipelines_dir,
        wait_s=_wait_seconds(wait),
        must_exist=must_exist,
        duckdb_memory_limit=duckdb_memory_limit,
    ) as pipeline:
        yield pipeline


def _polling(
    destination: str, duckdb_path: Path | None, dataset: str, pipelines_dir: Path | None
) -> tuple[Any, Callable[[], Any]]:
    """The pipeline of a command that polls (`stream`, `watch`) and the lock it takes for each
    poll's load: waiting as long as a `sync` holds it, never between polls. Small loads: DuckDB
    capped as for a sync (SYNC_DUCKDB_MEMORY_LIMIT)."""
    from .box_events import lake
    from .warehouse import Warehouse, command_line, write_lock

    if destination == lake.FILESYSTEM:
        raise ConfigurationError(
            "the live lanes (stream, watch) load into a SQL warehouse (duckdb or postgres), not a bucket: "
            "on a bucket, run boxevents sync --destination filesystem on a schedule"
        )

    warehouse = Warehouse.resolve(destination, dataset, duckdb_path)
    warehouse.check_folder()
    small_loads = SYNC_DUCKDB_MEMORY_LIMIT
    pipeline = _pipeline(
        destination, duckdb_path, dataset, pipelines_dir, must_exist=False, duckdb_memory_limit=small_loads
    )
    return pipeline, lambda: write_lock(warehouse, command_line(), wait_s=float("inf"))


def _wait_seconds(wait: str | None) -> float | None:
    if wait is None:
        return None
    if wait == WAIT_FOREVER:
        return float("inf")
    return parse_duration(wait).total_seconds()


def _api(concurrency: int | None, rpm: float | None):
    from .jobs import ApiOptions

    return ApiOptions(concurrency=concurrency, requests_per_minute=rpm)


def _tuning(company_domains: list[str] | None) -> Any:
    """The SQL layer's settings: `[transforms]` config, with `--company-domain` over it."""
    from transforms import Tuning

    return Tuning.from_config(company_domains=company_domains or None)


def _transform_after_load(pipeline: Any, company_domains: list[str] | None) -> None:
    """The transforms a load runs by itself, except on a bucket (files: no SQL engine to build in),
    where one line says so instead of failing after the load has committed."""
    from .box_events import lake

    if lake.destination_name(pipeline) == lake.FILESYSTEM:
        typer.echo("transform: skipped (a bucket has no SQL engine; Spark or DuckDB read its tables)")
        return
    _transform(pipeline, company_domains=company_domains)


def _transform_early(pipeline: Any, company_domains: list[str] | None) -> Callable[[Any], None] | None:
    """A backfill's `after_first_checkpoint`: the audit tables built over its first checkpoint (the
    newest day, newest first), so they are usable while the rest loads; none on a bucket."""
    from .box_events import lake

    if lake.destination_name(pipeline) == lake.FILESYSTEM:
        return None
    return lambda report: _transform(pipeline, company_domains=company_domains)


def _import_dbt_meanwhile() -> None:
    """dbt's import (seconds) overlaps the load that comes before the transforms."""
    from transforms.runner import import_dbt_in_background

    import_dbt_in_background()


def _transform(pipeline: Any, full: bool = False, company_domains: list[str] | None = None) -> None:
    from transforms import run_transforms

    report = run_transforms(pipeline, full_rebuild=full, tuning=_tuning(company_domains))
    typer.echo(str(report))


@app.command()
def backfill(
    start: Annotated[str, typer.Option(help="Start: 2025-11-23, 2025-11-23T08:00:00-08:00, or 365d.")],
    end: Annotated[str, typer.Option(help="End (exclusive): a date, a relative form, or now.")] = "now",
    event_types: EventTypes = None,
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
    window: Window = WINDOW_TEXT,
    concurrency: Concurrency = None,
    requests_per_minute: Rpm = None,
    windows_per_run: PerRun = DEFAULT_WINDOWS_PER_RUN,
    events_per_run: EventsPerRun = DEFAULT_EVENTS_PER_RUN,
    order: Annotated[
        str,
        typer.Option(
            help=f"{NEWEST_FIRST} (the last day loaded and transformed first, within seconds) or "
            f"{OLDEST_FIRST} (chronological)."
        ),
    ] = DEFAULT_BACKFILL_ORDER,
    no_transform: NoTransform = False,
    company_domain: CompanyDomains = None,
    wait: Wait = None,
) -> None:
    """Load a range of history, newest first; resumes where a killed run stopped.

    Example: boxevents backfill --start 2025-11-23 --end 2026-11-23
    """
    from . import jobs
    from .progress import WindowProgress

    with user_errors(), _writing(destination, duckdb_path, dataset, pipelines_dir, wait) as pipeline:
        with WindowProgress("backfill") as progress:
            report = jobs.backfill(
                pipeline,
                start=start,
                end=end,
                event_types=event_types,
                api=_api(concurrency, requests_per_minute),
                window_size=parse_duration(window),
                windows_per_run=windows_per_run,
                events_per_run=events_per_run,
                order=order,
                on_plan=progress.on_plan,
                on_window=progress.on_window,
                after_first_checkpoint=None if no_transform else _transform_early(pipeline, company_domain),
            )
        typer.echo(report.summary())
        if not no_transform:
            _transform_after_load(pipeline, company_domain)


@app.command()
def sync(
    overlap: Annotated[
        str, typer.Option(help="Re-read this much before the high-water mark.")
    ] = OVERLAP_TEXT,
    lag: Annotated[str, typer.Option(help="Stop this far before now (late events).")] = LAG_TEXT,
    settle_age: Annotated[
        str,
        typer.Option(
            help="Read a window again once it is this old if it was first read sooner after its end "
            "(late events, and what the live lane missed)."
        ),
    ] = SETTLE_AGE_TEXT,
    event_types: EventTypes = None,
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
    window: Window = WINDOW_TEXT,
    concurrency: Concurrency = None,
    requests_per_minute: Rpm = None,
    no_transform: NoTransform = False,
    company_domain: CompanyDomains = None,
    wait: Wait = None,
) -> None:
    """Load what is new since the last run (schedule it every few minutes).

    Example: boxevents sync --overlap 3h --lag 2m
    """
    from . import jobs
    from .progress import WindowProgress

    small_loads = SYNC_DUCKDB_MEMORY_LIMIT
    with (
        user_errors(),
        _writing(
            destination, duckdb_path, dataset, pipelines_dir, wait, duckdb_memory_limit=small_loads
        ) as pipeline,
    ):
        if not no_transform:
            _import_dbt_meanwhile()
        with WindowProgress("sync") as progress:
            report = jobs.sync(
                pipeline,
                event_types=event_types,
                api=_api(concurrency, requests_per_minute),
                overlap=parse_duration(overlap),
                lag=parse_duration(lag),
                settle_age=parse_duration(settle_age),
                window_size=parse_duration(window),
                on_plan=progress.on_plan,
                on_window=progress.on_window,
            )
        typer.echo(report.summary())
        if not no_transform:
            _transform_after_load(pipeline, company_domain)


@app.command()
def stream(
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep polling until stopped (Ctrl-C, SIGTERM).")
    ] = False,
    interval: Annotated[
        str,
        typer.Option(help="Poll this often while events come; each empty poll doubles it."),
    ] = STREAM_INTERVAL_TEXT,
    max_interval: Annotated[str, typer.Option(help="The longest wait between polls when idle.")] = (
        MAX_STREAM_INTERVAL_TEXT
    ),
    start_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Start (or restart) here: now, or a duration up to 14d (Box keeps this lane 14 days). "
            "Default: resume from the stored position, or now the first time.",
        ),
    ] = None,
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
    requests_per_minute: Rpm = None,
    events_per_run: EventsPerRun = DEFAULT_EVENTS_PER_RUN,
) -> None:
    """The live lane (admin_logs_streaming): read until caught up, or follow it.

    Events merge into admin_logs by event_id; each poll takes the warehouse lock only while it
    loads, so queries and `sync --wait` run in between. Run the transforms with `sync`.

    Example: boxevents stream --follow --interval 10s
    """
    from .stream import stream as follow_stream

    with user_errors():
        pipeline, lock = _polling(destination, duckdb_path, dataset, pipelines_dir)
        report = follow_stream(
            pipeline,
            api=_api(None, requests_per_minute),
            start_from=start_from,
            follow=follow,
            interval=parse_duration(interval),
            max_interval=parse_duration(max_interval),
            events_per_run=events_per_run,
            lock=lock,
        )
        typer.echo(report.summary())


@app.command()
def watch(
    stream_type: Annotated[
        str, typer.Option("--stream-type", help="all (everything), changes (file tree changes) or sync.")
    ] = "all",
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as-user",
            help="Read this user's stream (Box's As-User header: the app needs 'Perform actions as "
            "users', the caller must be an admin). Default: the credentials' own user.",
        ),
    ] = None,
    start_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Start (or restart) here: now, or 0 for everything Box keeps (21 days; sync 31). "
            "Default: resume from the stored position, or now the first time.",
        ),
    ] = None,
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
    requests_per_minute: Rpm = None,
) -> None:
    """Follow one user's event stream with Box's long polling into the user_events table.

    Runs until stopped (Ctrl-C, SIGTERM); each read takes the warehouse lock only while it loads.

    Example: boxevents watch --stream-type changes --as-user 12345
    """
    from .watch import watch as follow_user

    with user_errors():
        pipeline, lock = _polling(destination, duckdb_path, dataset, pipelines_dir)
        report = follow_user(
            pipeline,
            api=_api(None, requests_per_minute),
            stream_type=stream_type,
            as_user=as_user,
            start_from=start_from,
            lock=lock,
        )
        typer.echo(report.summary())


@app.command()
def status(
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
    show_all: Annotated[bool, typer.Option("--all", help="Every event type, not the top 15.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object on stdout (keys: README).")
    ] = False,
    max_age: Annotated[
        str | None,
        typer.Option(
            help="Exit 1 if the coverage ends more than this long ago (e.g. 30m, 2h) or has gaps; "
            "the report still prints, the reason goes to stderr."
        ),
    ] = None,
) -> None:
    """Covered ranges (all types and per --event-types filter) and gaps, freshness, rows per event
    type, and the last backfill and sync: windows, events, requests, retries, 429s, duration.

    Example: boxevents status --duckdb-path box_audit.duckdb --max-age 30m --json
    """
    import json

    from .status import freshness_problems
    from .status import status as read_status

    with user_errors():
        limit = parse_duration(max_age) if max_age is not None else None
        report = read_status(_pipeline(destination, duckdb_path, dataset, pipelines_dir))
        if as_json:
            typer.echo(json.dumps(report.as_dict(max_age=limit), indent=2))
        else:
            typer.echo("\n".join(report.lines(top=None if show_all else 15)))
        problems = freshness_problems(report, limit) if limit is not None else []
        for problem in problems:
            typer.echo(problem, err=True)
        if problems:
            raise typer.Exit(1)


@app.command()
def check(
    max_age: Annotated[
        str,
        typer.Option(help="Fresh when the coverage ends at most this long ago (e.g. 30m, 2h) with no gaps."),
    ],
    prometheus: Annotated[
        Path | None,
        typer.Option(
            help="Also write the facts as a Prometheus text file (for node_exporter's textfile "
            "collector), replaced whole."
        ),
    ] = None,
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
) -> None:
    """Exit 0 when the warehouse is fresh, 1 when it is stale or has gaps, 2 on an error.

    One line on stdout (`ok: …`, or one line per problem): for cron mail, systemd OnFailure or a
    health check. Built on `status` (the same verdict as `status --max-age`).

    Example: boxevents check --max-age 30m --prometheus /var/lib/node_exporter/box_audit.prom
    """
    from .check import prometheus_text, verdict
    from .files import write_atomically
    from .status import status as read_status

    with user_errors():
        limit = parse_duration(max_age)
        report = read_status(_pipeline(destination, duckdb_path, dataset, pipelines_dir))
        fresh, lines = verdict(report, limit)
        if prometheus is not None:
            prometheus.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(prometheus, prometheus_text(report, limit, fresh))
        for line in lines:
            typer.echo(line)
    if not fresh:
        raise typer.Exit(1)


@app.command()
def transform(
    full: Annotated[bool, typer.Option("--full", help="Rebuild everything, not only new days.")] = False,
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
    company_domain: CompanyDomains = None,
    wait: Wait = None,
) -> None:
    """Build the audit tables and marts from the loaded events.

    Example: boxevents transform --full --company-domain example.com --company-domain example.org
    """
    with (
        user_errors(),
        _writing(destination, duckdb_path, dataset, pipelines_dir, wait, must_exist=True) as pipeline,
    ):
        _transform(pipeline, full, company_domain)


@app.command()
def docs(
    out: Annotated[Path, typer.Option(help="Where to write the docs page.")] = Path("box_audit_docs.html"),
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
    company_domain: CompanyDomains = None,
) -> None:
    """Build dbt's docs site for the SQL layer (lineage, every table and column) as one HTML file.

    Example: boxevents docs --out box_audit_docs.html
    """
    from transforms import build_docs

    with user_errors():
        pipeline = _pipeline(destination, duckdb_path, dataset, pipelines_dir)
        written = build_docs(pipeline, out.resolve(), tuning=_tuning(company_domain))
        typer.echo(f"docs: {written} (open it in a browser; it needs no server)")


@app.command()
def report(
    days: Annotated[
        int, typer.Option(min=1, help="How many UTC days, ending today, the report covers.")
    ] = 30,
    out: Annotated[Path, typer.Option(help="Where to write the page.")] = Path("report.html"),
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
) -> None:
    """Write one self-contained HTML page of the last N days (charts inlined: it opens offline).

    Coverage and freshness, daily events by category, logins by hour of the week, top actors,
    external sharing, what is exposed now, and detections by severity, from the marts.

    Example: boxevents report --days 30 --out report.html
    """
    from .pictures.report import write_report

    with user_errors():
        pipeline = _pipeline(destination, duckdb_path, dataset, pipelines_dir)
        written = write_report(pipeline, days=days, out=out)
        typer.echo(f"report: {written} (open it in a browser; it needs no server and no network)")


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="The port on 127.0.0.1 (0 takes any free one).")] = 8050,
    host: Annotated[
        str, typer.Option(help="The address to listen on; anything but loopback shares the audit log.")
    ] = "127.0.0.1",
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
) -> None:
    """Serve a read-only dashboard over the warehouse: date range, user and category filters, and
    the events behind any bar. Runs until Ctrl-C; a sync can load while it runs.

    Needs the `dashboard` extra (Dash): pip install 'box-audit-events[dashboard]'.

    Example: boxevents dashboard --port 8050
    """
    with user_errors():
        try:
            from .pictures.dashboard import serve_dashboard
        except ImportError as exc:
            raise ConfigurationError(
                f"the dashboard needs the dashboard extra ({exc.name} is missing): "
                "pip install 'box-audit-events[dashboard]'"
            ) from None
        pipeline = _pipeline(destination, duckdb_path, dataset, pipelines_dir)
        serve_dashboard(pipeline, host=host, port=port, echo=typer.echo)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="A SQL statement; tables live in the dataset schema.")],
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="table, csv (RFC 4180, header row) or json (one object per line)."),
    ] = OutputFormat.table,
    limit: Annotated[
        int | None,
        typer.Option(
            help=f"At most this many rows (default: {DEFAULT_TABLE_LIMIT:,} for table, all for csv/json)."
        ),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Allow statements that change the warehouse (else read-only).")
    ] = False,
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
) -> None:
    """Run one SQL statement on the warehouse and print the rows: a table, CSV or JSON lines.

    Read-only unless --write. Rows go to stdout, notes (rows cut at the limit) to stderr.

    Example: boxevents query "SELECT severity, COUNT(*) FROM box_events.detections GROUP BY 1" --format csv
    """
    from .query import print_query

    with user_errors():
        pipeline = _pipeline(destination, duckdb_path, dataset, pipelines_dir)
        try:
            print_query(pipeline, sql, output_format=output_format, limit=limit, write=write)
        except BrokenPipeError:
            # `boxevents query … | head`: the reader has what it wanted; nothing more to say
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


detections_app = typer.Typer(
    help="List the findings of the detection rules, and record what you decided on them.\n\n"
    "Example: boxevents detections --since 24h --status new --severity high; then "
    "boxevents detections ack 3f9c2a --note 'planned migration'",
    no_args_is_help=False,
)
app.add_typer(detections_app, name="detections")

Since = Annotated[
    str | None, typer.Option(help="Only findings last seen within this long (e.g. 24h, 7d); default: all.")
]
StatusFilter = Annotated[
    str | None, typer.Option("--status", help="new, acknowledged, suppressed or resolved.")
]
SeverityFilter = Annotated[
    str | None, typer.Option(help="This severity and above: info, low, medium, high, critical.")
]
RuleFilter = Annotated[str | None, typer.Option("--rule", help="A rule id, or a prefix such as catalog_.")]
FindingFormat = Annotated[
    OutputFormat,
    typer.Option("--format", help="table, csv, or json (one object per line, every column: for a SIEM)."),
]
FindingId = Annotated[str, typer.Argument(help="The finding's detection_id, or its first 6+ characters.")]
Note = Annotated[str | None, typer.Option(help="Why: kept with the decision.")]


@detections_app.callback(invoke_without_command=True)
def detections(
    ctx: typer.Context,
    since: Since = None,
    status: StatusFilter = None,
    severity: SeverityFilter = None,
    rule: RuleFilter = None,
    output_format: FindingFormat = OutputFormat.table,
    limit: Annotated[int | None, typer.Option(help="At most this many findings.")] = None,
    destination: Destination = "duckdb",
    duckdb_path: DuckdbPath = None,
    dataset: Dataset = DATASET_NAME,
    pipelines_dir: PipelinesDir = None,
) -> None:
    """List findings, newest first. Example: boxevents detections --since 7d --status new --format json"""
    ctx.obj = (destination, duckdb_path, dataset, pipelines_dir)
    if ctx.invoked_subcommand is None:
        _list_findings(ctx.obj, since, status, severity, rule, output_format, limit)


def _list_findings(
    where: tuple[Any, ...],
    since: str | None,
    status: str | None,
    severity: str | None,
    rule: str | None,
    output_format: OutputFormat,
    limit: int | None,
) -> None:
    from .detections import Status, list_findings

    with user_errors():
        if status is not None and status not in Status.__members__:
            raise ConfigurationError(f"--status {status!r}: choose new, acknowledged, suppressed or resolved")
        list_findings(
            _pipeline(*where),
            since=parse_duration(since) if since else None,
            status=Status(status) if status else None,
            severity=severity,
            rule=rule,
            now=datetime.now(UTC),
            output_format=output_format,
            limit=limit,
        )


@detections_app.command("rules")
def detections_rules(ctx: typer.Context, output_format: FindingFormat = OutputFormat.table) -> None:
    """List the rule library: id, severity, enabled, ATT&CK technique, thresholds."""
    from .detections import list_rules

    with user_errors():
        list_rules(_pipeline(*ctx.obj), output_format=output_format)


@detections_app.command("ack")
def detections_ack(ctx: typer.Context, detection_id: FindingId, note: Note = None) -> None:
    """Acknowledge a finding: someone is on it. Example: boxevents detections ack 3f9c2a --note 'on it'"""
    _decide(ctx.obj, detection_id, "acknowledged", note, None)


@detections_app.command("suppress")
def detections_suppress(
    ctx: typer.Context,
    detection_id: FindingId,
    until: Annotated[str, typer.Option(help="Until when: a duration (7d) or a date (2027-01-31).")],
    note: Note = None,
) -> None:
    """Suppress a finding, and new findings of the same rule about the same user, address or item,
    until a time. Example: boxevents detections suppress 3f9c2a --until 30d --note 'migration'"""
    _decide(ctx.obj, detection_id, "suppressed", note, until)


@detections_app.command("resolve")
def detections_resolve(ctx: typer.Context, detection_id: FindingId, note: Note = None) -> None:
    """Resolve a finding. Example: boxevents detections resolve 3f9c2a --note 'password reset'"""
    _decide(ctx.obj, detection_id, "resolved", note, None)


def _decide(
    where: tuple[Any, ...], detection_id: str, decision: str, note: str | None, until: str | None
) -> None:
    from .box_events.windows import parse_when
    from .detections import Decision, decide

    with user_errors():
        now = datetime.now(UTC)
        until_at = None
        if until is not None:
            try:
                until_at = now + parse_duration(until)
            except ConfigurationError:
                until_at = parse_when(until, now=now, name="--until")
        finding = decide(
            _pipeline(*where), detection_id, Decision(decision), now=now, note=note, until=until_at
        )
        suffix = f" until {until_at.isoformat(timespec='minutes')}" if until_at else ""
        typer.echo(f"{finding.detection_id}: {decision}{suffix} ({finding.summary})")


@app.command()
def emulator(
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0 = any free port).")
    ] = 8765,
    seed: Annotated[int, typer.Option(help="Seed of the generated enterprise.")] = 42,
    volume: Annotated[int, typer.Option(help="Events per day (on average).")] = 2000,
    profile: Annotated[str, typer.Option(help="clean, realistic or hostile.")] = "realistic",
) -> None:
    """Run the Box Events API emulator in the foreground; prints its URL and credentials.

    Ctrl-C stops it. Example: boxevents emulator --port 8765 --profile hostile
    """
    with user_errors():
        _need_emulator()
        from box_emulator import EmulatorConfig
        from box_emulator.server import PortInUse, serve_forever

        if profile not in ("clean", "realistic", "hostile"):
            raise ConfigurationError(f"unknown profile {profile!r}: use clean, realistic or hostile")
        config = EmulatorConfig(seed=seed, events_per_day=volume, profile=profile)
        try:
            serve_forever(config, "127.0.0.1", port)
        except PortInUse as exc:
            raise ConfigurationError(
                f"{exc}: pass --port with a free port, or --port 0 for any free port"
            ) from None
        except KeyboardInterrupt:  # Ctrl-C before the server was up: as quiet as after
            raise typer.Exit(130) from None


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Days of history to backfill.", min=1, max=365)] = 365,
    duckdb_path: DuckdbPath = None,
    volume: Annotated[int, typer.Option(help="Emulated events per day.", min=0)] = 2000,
    wait: Wait = None,
) -> None:
    """The whole product on the bundled emulator: backfill a year, sync, transform, status.

    It writes the default warehouse (box_audit.duckdb), so `boxevents status` finds it afterwards.

    Example: boxevents demo --days 30
    """
    with user_errors():
        _need_emulator()
        from .demo import run_demo

        run_demo(
            days=days, duckdb_path=duckdb_path, volume=volume, echo=typer.echo, wait_s=_wait_seconds(wait)
        )


def _need_emulator() -> None:
    """The emulator is an optional part of the package (the `emulator` extra, which `make install`
    includes): say how to get it rather than fail on a missing module."""
    import importlib.util

    if importlib.util.find_spec("uvicorn") is None:
        raise ConfigurationError(
            "the Box emulator is not installed: pip install 'box-audit-events[emulator]' "
            "(the repo's `make install` includes it)"
        )


def _expand_bare_wait(args: list[str]) -> list[str]:
    """`--wait` given alone (last, or before another option) means "as long as it takes"; click
    options cannot have an optional value, so the value is filled in here."""
    out: list[str] = []
    for index, arg in enumerate(args):
        out.append(arg)
        following = args[index + 1] if index + 1 < len(args) else None
        if arg == "--wait" and (following is None or following.startswith("-")):
            out.append(WAIT_FOREVER)
    return out


def run() -> None:
    """The `boxevents` console script: the typer app, with a usage mistake (an unknown option, a
    value of the wrong kind) printed as one line like every other error."""
    command = typer.main.get_command(app)
    try:
        args = _expand_bare_wait(sys.argv[1:])
        code = command.main(args=args, prog_name="boxevents", standalone_mode=False)
    except UsageError as exc:
        message = exc.format_message()
        if message:  # empty: `boxevents` alone, which has just printed the help
            where = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
            typer.echo(f"error: {message}{where}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
