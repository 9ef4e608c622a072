"""The SQL behind the pictures: every aggregation runs in the warehouse and returns a small row set.

Each function takes a session's `execute` (`with connect(pipeline) as execute`: one read-only
connection through `pipelines.query.open_session`, over the pipeline's own SQL client) and a `Days`
range, and returns a list of tuples in the column order its docstring names, which is the order
`pipelines.pictures.figures` reads. Table names are unqualified: the session resolves them in the
pipeline's dataset. The SQL is the dialect DuckDB and PostgreSQL share (`extract(isodow …)`,
`at time zone 'UTC'`, `date '…'` literals, `nulls last`); nothing reads raw events into Python, so
a report over 10M events costs a few small queries.

The range is in whole UTC days (`occurred_on`), the unit of the marts; the hour-of-week heatmap
reads `audit_authentication`, the only per-event table here, filtered on the same days.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt

from ..box_events.exceptions import ConfigurationError
from ..query import Execute, open_session

ANONYMOUS = "anonymous (shared link)"
"""How top actors names Box's anonymous user (someone who opened a shared link without logging in)."""
TOP_ACTORS = 10
NEWEST_ROWS = 15
"""Rows of each "what is exposed now" and "newest findings" table."""
MART_TABLES = (
    "mart_daily_event_counts",
    "mart_user_daily_activity",
    "mart_external_sharing",
    "audit_authentication",
    "cur_open_shared_links",
    "cur_external_collaborations",
    "detection_findings",
)


@dataclass(frozen=True)
class Days:
    """UTC days `first` through `last`, both included."""

    first: date
    last: date

    @classmethod
    def ending(cls, now: datetime, days: int) -> Days:
        """The `days` UTC days that end with the day of `now` (today included)."""
        if days < 1:
            raise ConfigurationError(f"--days must be at least 1 (got {days})")
        last = now.astimezone(UTC).date()
        return cls(last - timedelta(days=days - 1), last)

    @property
    def count(self) -> int:
        return (self.last - self.first).days + 1

    def where(self, column: str = "occurred_on") -> str:
        """`column between date 'first' and date 'last'` (dates are ours, never user text)."""
        return f"{column} between date '{self.first.isoformat()}' and date '{self.last.isoformat()}'"


Row = tuple[Any, ...]


def _rows(execute: Execute, sql: str) -> list[Row]:
    return [tuple(row) for row in execute(sql, ()).fetchall()]


def missing_tables(execute: Execute, dataset: str, tables: Sequence[str]) -> list[str]:
    """Which of `tables` the dataset lacks, in their order: one look at the catalog (a failed probe
    would end PostgreSQL's read-only transaction)."""
    present = {
        str(name).lower()
        for (name,) in _rows(
            execute,
            "select table_name from information_schema.tables "
            f"where table_schema = '{dataset.replace(chr(39), '')}'",
        )
    }
    return [table for table in tables if table not in present]


@contextmanager
def connect(pipeline: dlt.Pipeline) -> Iterator[Execute]:
    """One read-only session for all the queries of a picture; refuses a warehouse without the marts
    (one look at the catalog: a failed probe would end PostgreSQL's read-only transaction)."""
    with open_session(pipeline) as execute:
        missing = missing_tables(execute, pipeline.dataset_name, MART_TABLES)
        if missing:
            raise ConfigurationError(
                f"the warehouse has no {', '.join(missing)} yet: run `boxevents transform` "
                "(or a backfill or sync, which build them) first"
            )
        yield execute


def headline(execute: Execute, days: Days) -> dict[str, int]:
    """The four numbers at the top: events, active users (not anonymous), external shares (links
    opened to anyone and external collaborators added), open findings (status `new`) in `days`."""
    sql = f"""
        select
            (select coalesce(sum(events), 0) from mart_daily_event_counts where {days.where()}),
            (select count(distinct actor_id) from mart_user_daily_activity
             where {days.where()} and not coalesce(actor_is_anonymous, false)),
            (select count(*) from mart_external_sharing where {days.where()}),
            (select count(*) from detection_findings where {days.where()} and status = 'new')
    """
    events, users, shares, findings = _rows(execute, sql)[0]
    return {"events": int(events), "users": int(users), "external_shares": int(shares),
            "open_findings": int(findings)}  # fmt: skip


def daily_events_by_category(execute: Execute, days: Days) -> list[Row]:
    """`(day, category, events)` per UTC day and category."""
    return _rows(
        execute,
        f"""
        select occurred_on, coalesce(category, 'uncategorized') as category, sum(events) as events
        from mart_daily_event_counts
        where {days.where()}
        group by occurred_on, coalesce(category, 'uncategorized')
        order by occurred_on, category
        """,
    )


def logins_by_hour_of_week(execute: Execute, days: Days) -> list[Row]:
    """`(iso_day_of_week 1..7, hour 0..23, logins, failed_logins)`, UTC; hours without any absent."""
    dow = "cast(extract(isodow from occurred_at at time zone 'UTC') as integer)"
    hour = "cast(extract(hour from occurred_at at time zone 'UTC') as integer)"
    return _rows(
        execute,
        f"""
        select {dow} as day_of_week, {hour} as hour_of_day,
            count(case when event_type = 'LOGIN' then 1 end) as logins,
            count(case when event_type = 'FAILED_LOGIN' then 1 end) as failed_logins
        from audit_authentication
        where event_type in ('LOGIN', 'FAILED_LOGIN') and {days.where()}
        group by {dow}, {hour}
        order by day_of_week, hour_of_day
        """,
    )


def top_actors(execute: Execute, days: Days, *, limit: int = TOP_ACTORS) -> list[Row]:
    """`(actor, events)`: the `limit` actors with the most events, busiest first (ties by name);
    `actor` is the login, else the name, else the id; Box's anonymous user is `ANONYMOUS`."""
    return _rows(
        execute,
        f"""
        select
            case when max(case when actor_is_anonymous then 1 else 0 end) = 1 then '{ANONYMOUS}'
                 else coalesce(max(nullif(actor_login, '')), max(nullif(actor_name, '')), actor_id)
            end as actor,
            sum(events) as events
        from mart_user_daily_activity
        where {days.where()}
        group by actor_id
        order by events desc, actor
        limit {int(limit)}
        """,
    )


def external_sharing_over_time(execute: Execute, days: Days) -> list[Row]:
    """`(day, exposure, events)`: exposures per UTC day (`open_shared_link`, `external_collaborator`)."""
    return _rows(
        execute,
        f"""
        select occurred_on, exposure, count(*) as events
        from mart_external_sharing
        where {days.where()}
        group by occurred_on, exposure
        order by occurred_on, exposure
        """,
    )


def findings_by_severity(execute: Execute, days: Days) -> list[Row]:
    """`(severity, status, findings)` of the findings whose day is in `days`."""
    return _rows(
        execute,
        f"""
        select severity, status, count(*) as findings
        from detection_findings
        where {days.where()}
        group by severity, status
        order by severity, status
        """,
    )


NEWEST_FINDINGS_COLUMNS = ("last_seen_at", "severity", "status", "rule_title", "actor_login", "summary")


def newest_findings(execute: Execute, days: Days, *, limit: int = NEWEST_ROWS) -> list[Row]:
    """The newest findings in `days`, newest first: `NEWEST_FINDINGS_COLUMNS`."""
    return _rows(
        execute,
        f"""
        select {", ".join(NEWEST_FINDINGS_COLUMNS)}
        from detection_findings
        where {days.where()}
        order by last_seen_at desc, detection_id
        limit {int(limit)}
        """,
    )


@dataclass(frozen=True)
class Exposure:
    """What is exposed now (the `cur_*` tables: net of unshares, expiries and removals)."""

    open_links: int
    open_links_newest: list[Row]
    """`OPEN_LINK_COLUMNS`, newest change first."""
    external_collaborations: int
    external_collaborators: int
    external_domains: int
    collaborations_newest: list[Row]
    """`COLLABORATION_COLUMNS`, newest change first."""
    by_domain: list[Row]
    """`(domain, people, items)`, most people first."""


OPEN_LINK_COLUMNS = (
    "item_name",
    "item_type",
    "owner_login",
    "last_changed_by",
    "last_changed_at",
    "expires_at",
)
COLLABORATION_COLUMNS = (
    "collaborator_login", "collaborator_domain", "item_name", "collaborator_role", "last_changed_by",
    "last_changed_at", "expires_at",
)  # fmt: skip


def exposure_now(execute: Execute, *, limit: int = NEWEST_ROWS) -> Exposure:
    """Open shared links and external collaborations as they are now (no date range: current state)."""
    counts = _rows(
        execute,
        """
        select
            (select count(*) from cur_open_shared_links),
            (select count(*) from cur_external_collaborations),
            (select count(distinct collaborator_id) from cur_external_collaborations),
            (select count(distinct collaborator_domain) from cur_external_collaborations)
        """,
    )[0]
    links = _rows(
        execute,
        f"""
        select {", ".join(OPEN_LINK_COLUMNS)} from cur_open_shared_links
        order by last_changed_at desc nulls last, item_id limit {int(limit)}
        """,
    )
    collaborations = _rows(
        execute,
        f"""
        select {", ".join(COLLABORATION_COLUMNS)} from cur_external_collaborations
        order by last_changed_at desc nulls last, item_id, collaborator_id limit {int(limit)}
        """,
    )
    by_domain = _rows(
        execute,
        f"""
        select coalesce(collaborator_domain, '(no domain)') as domain,
            count(distinct collaborator_id) as people, count(distinct item_id) as items
        from cur_external_collaborations
        group by coalesce(collaborator_domain, '(no domain)')
        order by people desc, items desc, domain
        limit {int(limit)}
        """,
    )
    return Exposure(
        open_links=int(counts[0]),
        open_links_newest=links,
        external_collaborations=int(counts[1]),
        external_collaborators=int(counts[2]),
        external_domains=int(counts[3]),
        collaborations_newest=collaborations,
        by_domain=by_domain,
    )
