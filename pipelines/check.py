"""`boxevents check`: the freshness verdict of `status`, for a monitor.

One line on stdout (`ok: …` or one line per problem), exit 0 fresh and 1 stale or gapped (the CLI
turns any error into exit 2), and optionally the same facts as a Prometheus text file, written
whole or not at all (a temporary file renamed into place), for node_exporter's textfile collector.
"""

from __future__ import annotations

from datetime import timedelta

from .box_events.windows import duration_text
from .status import StatusReport, freshness_problems
from .wording import human_duration

PREFIX = "box_audit"


def verdict(report: StatusReport, max_age: timedelta) -> tuple[bool, list[str]]:
    """(fresh, the lines to print): `ok: …` when fresh, else one line per problem."""
    problems = freshness_problems(report, max_age)
    if problems:
        return False, problems
    covered_to = report.covered_to
    assert covered_to is not None  # fresh implies covered
    age = human_duration((report.now - covered_to).total_seconds())
    limit = duration_text(max_age)
    return True, [f"ok: covered to {covered_to.isoformat(timespec='seconds')} ({age} ago, limit {limit})"]


def prometheus_text(report: StatusReport, max_age: timedelta, fresh: bool) -> str:
    """The report as Prometheus text exposition format (gauges, one sample per line)."""
    lines: list[str] = []

    def gauge(name: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {PREFIX}_{name} {help_text}")
        lines.append(f"# TYPE {PREFIX}_{name} gauge")
        lines.extend(f"{PREFIX}_{name}{labels} {value:.17g}" for labels, value in samples)

    gauge("fresh", "1 when the coverage is within the max age and has no gaps.", [("", int(fresh))])
    gauge("max_age_seconds", "The max age the check was run with.", [("", max_age.total_seconds())])
    if report.covered_to is not None:
        gauge(
            "covered_to_timestamp_seconds",
            "End of the newest all-types coverage (Unix time).",
            [("", report.covered_to.timestamp())],
        )
    gauge(
        "gaps", "Ranges between the first and last coverage that are not covered.", [("", len(report.gaps))]
    )
    gauge("events_loaded", "Rows in admin_logs.", [("", report.total_rows)])
    if report.newest_event_age is not None:
        gauge(
            "newest_event_age_seconds",
            "Age of the newest created_at loaded.",
            [("", report.newest_event_age.total_seconds())],
        )
    gauge(
        "live_lane_gap",
        "1 when the live lane's stored position is older than Box's 14 days.",
        [("", int(report.live_lane_gap))],
    )
    gauge(
        "api_calls_month",
        "API calls this calendar month, per lane.",
        [(f'{{lane="{c.lane}"}}', c.month) for c in report.api_calls],
    )
    gauge(
        "new_findings",
        "Detection findings still new, per severity.",
        [(f'{{severity="{s}"}}', n) for s, n in sorted(report.new_findings.items())],
    )
    return "\n".join(lines) + "\n"
