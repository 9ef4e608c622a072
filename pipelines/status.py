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
from .box_events.settings import (
    ADMIN_LOGS_STREAMING,
    BUDGET_WARNING_SHARE,
    DEFAULT_SETTLE_AGE,
    STREAMING_RETENTION,
)
from .box_events.streams import ENTERPRISE, StoredPosition, stored_position
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
    provisional: list[Window]
    """Read, but not yet by admin_logs a settle age after their end: `sync` reads them again."""
    settled: list[Window]
    """Read by admin_logs at least a settle age after their end: nothing more will arrive."""
    live_lane: StoredPosition | None
    """The admin_logs_streaming lane's committed position (None: never started)."""
    sweep: ledger.LiveLaneCounts
    api_calls: list[ledger.LaneCalls]
    monthly_call_budget: int | None

    @property
    def live_lane_gap(self) -> bool:
        return self.live_lane is not None and self.live_lane.outlived(STREAMING_RETENTION, self.now)

    @property
    def calls_this_month(self) -> int:
        return sum(c.month for c in self.api_calls)

    @property
    def budget_share(self) -> float | None:
        return self.calls_this_month / self.monthly_call_budget if self.monthly_call_budget else None

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
        if self.settled:
            out.append("settled (read again a day after their end; nothing more will arrive):")
            out += [f"  {_range(w)}" for w in self.settled]
        if self.provisional:
            out.append("provisional (read before they settled; `sync` reads them again once 24 h old):")
            out += [f"  {_range(w)}" for w in self.provisional]
        out.append(f"live lane: {_live_line(self)}")
        if self.sweep.missed_by_live_lane or self.sweep.late_arrivals:
            out.append(
                f"sweep: {plural(self.sweep.missed_by_live_lane, 'event')} the live lane missed, "
                f"{plural(self.sweep.late_arrivals, 'event')} that arrived after its window was read"
            )
        for kind, run in self.last_runs.items():
            out.append(f"last {kind}: {_job_line(run) if run else 'none yet'}")
        out.append(f"API calls: {_calls_line(self)}")
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
            "settled": _ranges(self.settled),
            "provisional": _ranges(self.provisional),
            "live_lane": {
                "position": self.live_lane.position,
                "read_at": _iso(self.live_lane.read_at),
                "watched_to": _iso(self.live_lane.covered_to) if self.live_lane.covered_to else None,
                "gap": self.live_lane_gap,
            }
            if self.live_lane
            else None,
            "missed_by_live_lane": self.sweep.missed_by_live_lane,
            "late_arrivals": self.sweep.late_arrivals,
            "api_calls": {c.lane: {"today": c.today, "month": c.month} for c in self.api_calls},
            "monthly_call_budget": self.monthly_call_budget,
            "budget_share": self.budget_share,
        }
        if max_age is not None:
            problems = freshness_problems(self, max_age)
            out.update(max_age_seconds=max_age.total_seconds(), fresh=not problems, problems=problems)
        return out


def status(
    pipeline: dlt.Pipeline, *, now: datetime | None = None, settle_age: timedelta = DEFAULT_SETTLE_AGE
) -> StatusReport:
    """Coverage (all types and per filter), gaps and provisional ranges from the ledger, freshness,
    the live lane, the API calls, and the last job of each kind."""
    now = now or datetime.now(UTC)
    readings = ledger.readings(pipeline)  # once: every range below is derived from it
    covered = ledger.covered_by(readings)
    budget = dlt.config.get("sources.box_events.monthly_call_budget")
    settlement = ledger.settlement_of(readings, (), settle_age)
    return StatusReport(
        now=now,
        covered=covered,
        covered_by_filter={
            types: ledger.covered_by(readings, tuple(types.split(",")))
            for types in ledger.event_type_filters(readings)
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
        provisional=settlement.provisional,
        settled=settlement.settled,
        live_lane=stored_position(pipeline, ADMIN_LOGS_STREAMING, ENTERPRISE),
        sweep=ledger.sweep_counts(pipeline),
        api_calls=ledger.api_calls(pipeline, now),
        monthly_call_budget=int(budget) if budget else None,
    )


def _live_line(report: StatusReport) -> str:
    live = report.live_lane
    if live is None:
        return "not started (boxevents stream --follow)"
    watched = f"watched to {_when(live.covered_to)}, " if live.covered_to else ""
    line = f"{watched}last read {_when(live.read_at)}"
    if report.live_lane_gap:
        line += (
            f": GAP, the position is older than Box's {duration_text(STREAMING_RETENTION)}; restart "
            "with `boxevents stream --from now` and backfill the gap"
        )
    return line


def _calls_line(report: StatusReport) -> str:
    if not report.api_calls:
        return "none recorded yet"
    today = sum(c.today for c in report.api_calls)
    per_lane = ", ".join(f"{c.lane} {c.month:,}" for c in report.api_calls)
    line = f"{today:,} today, {report.calls_this_month:,} this month ({per_lane})"
    share = report.budget_share
    if share is not None:
        line += f", {share:.0%} of the monthly budget of {report.monthly_call_budget:,}"
        if share >= BUDGET_WARNING_SHARE:
            line += " (WARNING: over 80%)"
    return line


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
    if report.live_lane_gap:
        problems.append("gap: the live lane's position is older than 14 days (boxevents stream --from now)")
    share = report.budget_share
    if share is not None and share >= BUDGET_WARNING_SHARE:
        problems.append(f"budget: {share:.0%} of the monthly API budget is used")
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
