"""`boxevents detections`: list findings for a person or a SIEM, and record what was decided on them.

Listing reads `detection_findings` (the `detections` table with its triage state). Deciding appends
a row to `detection_triage` (acknowledged, suppressed until a time, resolved; a note; who and when),
a table the SQL layer creates and never rebuilds, so decisions survive `boxevents transform --full`.
A finding is named by its `detection_id` or any unambiguous prefix of it (at least 6 characters),
as `git` names commits.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TextIO

import dlt

from .box_events.exceptions import ConfigurationError
from .query import OutputFormat, print_query, run_query

SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")
LIST_COLUMNS = "detection_id, status, severity, rule_id, last_seen_at, actor_login, summary"
"""What a person reads in a terminal (the summary says the rest); JSON carries every column."""
ALL_COLUMNS = "*"
"""A SIEM, a webhook or a spreadsheet (json, csv) gets every column: event ids, rule title, tactic,
triage."""
MIN_PREFIX = 6


class Status(StrEnum):
    new = "new"
    acknowledged = "acknowledged"
    suppressed = "suppressed"
    resolved = "resolved"


class Decision(StrEnum):
    """What a triage command records (`ack` is the command's name for acknowledged)."""

    acknowledged = "acknowledged"
    suppressed = "suppressed"
    resolved = "resolved"


@dataclass(frozen=True)
class Finding:
    detection_id: str
    rule_id: str
    entity: str | None
    summary: str


def list_findings(
    pipeline: dlt.Pipeline,
    *,
    since: timedelta | None,
    status: Status | None,
    severity: str | None,
    rule: str | None,
    now: datetime,
    output_format: OutputFormat = OutputFormat.table,
    limit: int | None = None,
    out: TextIO | None = None,
) -> None:
    """Print the findings last seen within `since` (None: all), of `status`, of at least `severity`,
    of `rule` (an id or a prefix such as `catalog_`), newest first."""
    conditions = ["true"]
    if since is not None:
        conditions.append(f"last_seen_at >= {_timestamp(now - since)}")
    if status is not None:
        conditions.append(f"status = '{status.value}'")
    if severity is not None:
        conditions.append(f"severity in ({', '.join(_quoted(s) for s in at_least(severity))})")
    if rule is not None:
        conditions.append(f"rule_id like {_quoted(_like_prefix(rule))} escape '\\'")
    columns = LIST_COLUMNS if output_format is OutputFormat.table else ALL_COLUMNS
    sql = (
        f"select {columns} from detection_findings where {' and '.join(conditions)} "
        "order by last_seen_at desc, detection_id"
    )
    with _needs_transforms():
        print_query(pipeline, sql, output_format=output_format, limit=limit, out=out)


def list_rules(pipeline: dlt.Pipeline, *, output_format: OutputFormat = OutputFormat.table) -> None:
    """Print the rule library (`detection_rules`)."""
    sql = (
        "select rule_id, kind, severity, enabled, technique, tactic, title, thresholds "
        "from detection_rules order by kind desc, rule_id"
    )
    with _needs_transforms():
        print_query(pipeline, sql, output_format=output_format)


def decide(
    pipeline: dlt.Pipeline,
    detection_id: str,
    decision: Decision,
    *,
    now: datetime,
    note: str | None = None,
    until: datetime | None = None,
) -> Finding:
    """Record `decision` on the finding named by `detection_id` (or a prefix); return the finding."""
    if decision is Decision.suppressed and until is None:
        raise ConfigurationError(
            "suppress needs --until: a duration such as 7d, or a date such as 2027-01-31"
        )
    if decision is not Decision.suppressed and until is not None:
        raise ConfigurationError("--until only applies to suppress")
    if until is not None and until <= now:
        raise ConfigurationError(f"--until {until.isoformat()} is not in the future")
    finding = find(pipeline, detection_id)
    values = ", ".join(
        (
            _quoted(finding.detection_id),
            _quoted(finding.rule_id),
            _quoted(finding.entity),
            _quoted(decision.value),
            _quoted(note),
            _timestamp(until) if until else "null",
            _timestamp(now),
            _quoted(_who()),
        )
    )
    run_query(
        pipeline,
        "insert into detection_triage (detection_id, rule_id, entity, status, note, suppressed_until, "
        f"changed_at, changed_by) values ({values})",
        write=True,
    )
    return finding


def find(pipeline: dlt.Pipeline, detection_id: str) -> Finding:
    """The one finding whose id is `detection_id` or starts with it."""
    wanted = detection_id.strip().lower()
    if len(wanted) < MIN_PREFIX or not wanted.isalnum():
        raise ConfigurationError(
            f"{detection_id!r} is not a detection id: give the id `boxevents detections` shows, "
            f"or its first {MIN_PREFIX} characters or more"
        )
    with _needs_transforms():
        result = run_query(
            pipeline,
            "select detection_id, rule_id, entity, summary from detections "
            f"where detection_id like '{wanted}%' order by detection_id",
            limit=2,
        )
    if not result.rows:
        raise ConfigurationError(
            f"no finding has the id {detection_id}: see `boxevents detections` for the ids"
        )
    if len(result.rows) > 1:
        raise ConfigurationError(f"{detection_id} names more than one finding: give more of the id")
    return Finding(*result.rows[0])


def at_least(severity: str) -> tuple[str, ...]:
    """The severities at or above `severity`."""
    level = severity.strip().lower()
    if level not in SEVERITY_ORDER:
        raise ConfigurationError(f"--severity {severity!r}: choose one of {', '.join(SEVERITY_ORDER)}")
    return SEVERITY_ORDER[SEVERITY_ORDER.index(level) :]


class _needs_transforms:
    """Turns "no such table" into the one thing to do about it."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, ConfigurationError) and _missing_relation(str(exc)):
            raise ConfigurationError(
                "the warehouse has no detections yet: run `boxevents transform` (or a backfill or sync "
                "without --no-transform) first"
            ) from None
        return False


def _missing_relation(message: str) -> bool:
    lowered = message.lower()
    return any(
        hint in lowered
        for hint in ("does not exist", "not found", "no such table", "catalog error", "undefinedtable")
    )


def _quoted(value: str | None) -> str:
    return "null" if value is None else "'" + value.replace("'", "''") + "'"


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _timestamp(moment: datetime) -> str:
    return f"cast('{moment.isoformat()}' as timestamp with time zone)"


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"
