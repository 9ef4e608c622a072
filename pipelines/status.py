"""`boxevents status`: what the warehouse holds, read from its own tables, as text or as one JSON
object, and the freshness verdict of `--max-age` (a list of problems, empty when all is well).

A job (one `backfill` or `sync` call) is a loop of dlt runs, one per checkpoint; the last run of each
kind is reported as the whole job, its checkpoints summed (see `ledger.last_run`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt

from .box_events import ledger
from .box_events.windows import Window, duration_text, gaps
from .wording import human_duration, plural


@dataclass
class StatusReport:
    """What the warehouse holds, from its own tables, as of `now`."""

    now: datetime
    covered: list[Window]
    """Ranges covered for all event types."""
    covered_by_filter: dict[str, list[Window]]
    """Per `--event-types` filter (a comma list): the ranges covered for it, all-types ones included."""
    gaps: list[Window]
    newest_event: datetime | None
    last_runs: dict[str, ledger.LastRun | None]
    """The newest job of each kind in `ledger.RUN_KINDS` (None: no such job yet)."""
    rows_per_type: list[tuple[str, int]]
    warehouse: dict[str, str]
    company_domains: list[tuple[str, str]]
    """(domain, where it comes from: configured, inferred, box service accounts), once transformed."""
    new_findings: dict[str, int]
    """Findings still new (not acknowledged, suppressed or resolved), per severity."""

    @property
    def total_rows(self) -> int:
        return sum(n for _, n in self.rows_per_type)

    @property
    def covered_to(self) -> datetime | None:
        """The end of the newest all-types coverage: what freshness is measured by."""
        return self.covered[-1].end if self.covered else None

    @property
    def newest_event_age(self) -> timedelta | None:
        return self.now - self.newest_event if self.newest_event else None

    @property
    def last_sync(self) -> ledger.LastRun | None:
        return self.last_runs.get("sync")

    @property
    def last_run(self) -> ledger.LastRun | None:
        """The newest job of any kind."""
        runs = [run for run in self.last_runs.values() if run is not None]
        return max(runs, key=lambda run: run.finished_at, default=None)

    def lines(self, *, top: int | None = None) -> list[str]:
        out = [f"warehouse: {', '.join(f'{k} {v}' for k, v in self.warehouse.items())}"]
        out.append(f"events loaded: {self.total_rows:,} in {plural(len(self.rows_per_type), 'event type')}")
        if self.covered:
            out.append("covered ranges:")
            out += [f"  {_range(w)}" for w in self.covered]
        else:
            out.append("covered ranges: none yet (run `boxevents backfill`)")
        for types, ranges in self.covered_by_filter.items():
            out.append(f"covered for {types}:")
            out += [f"  {_range(w)}" for w in ranges]
        out.append("gaps: none" if not self.gaps else "gaps (run `boxevents backfill` over them):")
        out += [f"  {_range(w)}" for w in self.gaps]
        if self.newest_event is not None and self.newest_event_age is not None:
            age = human_duration(self.newest_event_age.total_seconds())
            out.append(f"newest event: {_when(self.newest_event)} ({age} ago)")
        for kind, run in self.last_runs.items():
            out.append(f"last {kind}: {_job_line(run) if run else 'none yet'}")
        if self.company_domains:
            out.append(f"company domains: {_domains_line(self.company_domains)}")
        if self.company_domains or self.new_findings:
            out.append(f"detections: {_findings_line(self.new_findings)}")
        if self.rows_per_type:
            shown = self.rows_per_type[:top] if top else self.rows_per_type
            out.append("rows per event type:")
            out += [f"  {name:<58} {count:>10,}" for name, count in shown]
            if top and len(self.rows_per_type) > top:
                more = plural(len(self.rows_per_type) - top, "more type")
                out.append(f"  … and {more} (boxevents status --all)")
        return out

    def as_dict(self, *, max_age: timedelta | None = None) -> dict[str, Any]:
        """The same facts as `lines()`, JSON-ready (timestamps ISO 8601 UTC); with `max_age`, also
        the freshness verdict. The keys are documented in the README ("Monitoring with status --json")."""
        age = self.newest_event_age
        out: dict[str, Any] = {
            "warehouse": dict(self.warehouse),
            "checked_at": _iso(self.now),
            "events_loaded": self.total_rows,
            "event_types": len(self.rows_per_type),
            "rows_per_type": dict(self.rows_per_type),
            "covered": _ranges(self.covered),
            "covered_to": _iso(self.covered_to) if self.covered_to else None,
            "covered_by_filter": {types: _ranges(ranges) for types, ranges in self.covered_by_filter.items()},
            "gaps": _ranges(self.gaps),
            "newest_event": _iso(self.newest_event) if self.newest_event else None,
            "newest_event_age_seconds": age.total_seconds() if age is not None else None,
            "last_runs": {kind: _job_dict(run) if run else None for kind, run in self.last_runs.items()},
            "company_domains": [{"domain": d, "source": source} for d, source in self.company_domains],
            "new_findings": dict(self.new_findings),
        }
        if max_age is not None:
            problems = freshness_problems(self, max_age)
            out.update(max_age_seconds=max_age.total_seconds(), fresh=not problems, problems=problems)
        return out


def status(pipeline: dlt.Pipeline, *, now: datetime | None = None) -> StatusReport:
    """Coverage (all types and per filter) and gaps from the ledger, freshness, and the last job of
    each kind."""
    now = now or datetime.now(UTC)
    covered = ledger.covered(pipeline)
    return StatusReport(
        now=now,
        covered=covered,
        covered_by_filter={
            types: ledger.covered(pipeline, tuple(types.split(",")))
            for types in ledger.event_type_filters(pipeline)
        },
        gaps=gaps(covered[0].start, covered[-1].end, covered) if covered else [],
        newest_event=ledger.newest_event(pipeline),
        last_runs={kind: ledger.last_run(pipeline, kind) for kind in ledger.RUN_KINDS},
        rows_per_type=ledger.rows_per_type(pipeline),
        warehouse=_warehouse(pipeline),
        company_domains=[
            (str(d), str(src))
            for d, src in _rows_if_transformed(
                pipeline, "select domain, source from {table} order by source, domain", "company_domains"
            )
        ],
        new_findings={
            str(sev): int(n)
            for sev, n in _rows_if_transformed(
                pipeline,
                "select severity, count(*) from {table} where status = 'new' group by severity",
                "detection_findings",
            )
        },
    )


SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


def _rows_if_transformed(pipeline: dlt.Pipeline, sql: str, table: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` on a table the transforms build; none when they have not run yet."""
    try:
        with pipeline.sql_client() as client:
            return list(client.execute_sql(sql.format(table=client.make_qualified_table_name(table))) or [])
    except Exception:  # no such table yet (or no dataset): the transforms have not run
        return []


def _domains_line(domains: list[tuple[str, str]]) -> str:
    shown = [d for d, source in domains if source != "box service accounts"]
    sources = {source for _, source in domains} - {"box service accounts"}
    if not shown:
        return "none found yet (set [transforms] company_domains in .dlt/config.toml)"
    if sources == {"inferred"}:
        how = "inferred from the events; set [transforms] company_domains to override"
    else:
        how = "configured"
    return f"{', '.join(shown)} ({how})"


def _findings_line(new_findings: dict[str, int]) -> str:
    total = sum(new_findings.values())
    if not total:
        return "no new findings"
    parts = [f"{new_findings[s]:,} {s}" for s in SEVERITY_ORDER if new_findings.get(s)]
    return f"{plural(total, 'new finding')} ({', '.join(parts)}): boxevents detections --status new"


def freshness_problems(report: StatusReport, max_age: timedelta) -> list[str]:
    """Why the warehouse is not fresh, one line each; empty when the all-types coverage reaches
    within `max_age` of the report's `now` and has no gaps."""
    problems = []
    covered_to = report.covered_to
    if covered_to is None:
        problems.append("stale: nothing is covered yet (run `boxevents backfill`)")
    elif report.now - covered_to > max_age:
        problems.append(
            f"stale: the warehouse is covered to {_when(covered_to)} "
            f"({human_duration((report.now - covered_to).total_seconds())} ago, "
            f"more than {duration_text(max_age)})"
        )
    if report.gaps:
        n = len(report.gaps)
        problems.append(f"gaps: {plural(n, 'range')} {'is' if n == 1 else 'are'} not covered")
    return problems


def _warehouse(pipeline: dlt.Pipeline) -> dict[str, str]:
    """Where the report was read: destination, dataset, and for DuckDB the file (other destinations'
    credentials may hold secrets, so they are not shown)."""
    out = {"destination": pipeline.destination.destination_name, "dataset": pipeline.dataset_name}
    credentials = pipeline.destination.config_params.get("credentials")
    if out["destination"] == "duckdb" and isinstance(getattr(credentials, "database", None), str):
        out["file"] = credentials.database
    return out


def _job_line(run: ledger.LastRun) -> str:
    return (
        f"{plural(run.windows, 'window')}, {plural(run.events, 'event')}, "
        f"{plural(run.requests, 'request')}, {plural(run.retries, 'retry', 'retries')}, "
        f"{run.throttled:,} answered 429 ({plural(run.checkpoints, 'checkpoint')} in "
        f"{_duration(run.duration)}, finished {_when(run.finished_at)})"
    )


def _job_dict(run: ledger.LastRun) -> dict[str, Any]:
    return {
        "job_id": run.job_id,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "duration_seconds": run.duration.total_seconds(),
        "checkpoints": run.checkpoints,
        "windows": run.windows,
        "events": run.events,
        "requests": run.requests,
        "retries": run.retries,
        "throttled": run.throttled,
    }


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _range(window: Window) -> str:
    return f"{window.start.astimezone(UTC):%Y-%m-%d %H:%M:%S} → {_when(window.end)}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _ranges(windows: list[Window]) -> list[dict[str, str]]:
    return [{"start": _iso(w.start), "end": _iso(w.end)} for w in windows]


def _duration(delta: timedelta) -> str:
    """A job's wall time: tenths of a second while short, else as `human_duration` writes it."""
    return (
        f"{delta.total_seconds():.1f}s"
        if delta < timedelta(minutes=2)
        else human_duration(delta.total_seconds())
    )
