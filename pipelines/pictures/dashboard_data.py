"""What the dashboard reads: a few small queries per refresh, on a read-only connection of its own.

Why a connection per refresh: DuckDB lets no process read while another writes, so a dashboard that
held a connection open would block every `sync` and `stream --follow` for as long as a browser tab
stays open. Each refresh opens a `Reader` instead (`reading`, over `pipelines.query.open_session`),
which opens the file read-only (waiting up to `READ_WAIT_S` for a writer's load to end), runs its
few statements and closes it; on PostgreSQL they run in one read-only transaction. The same
functions work on both.

Why the events table: the filters combine a user and a category, and only `stg_box__events` has
both (`mart_daily_event_counts` has no actor, `mart_user_daily_activity` no category). The date
range (`occurred_on`, a UTC day) comes first in every WHERE clause: the table is read in day order,
so DuckDB skips the days outside it. The range's bounds and the user list come from the marts.

Every value a person chose (dates, login, category, the clicked bar) is a bound parameter; the SQL
text holds only our own names. Definitions follow the report's (`pipelines.pictures.marts`):
events are rows, users are distinct actors other than Box's anonymous one, and actors are named
the way its top-actors list names them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt

from ..box_events.exceptions import ConfigurationError
from ..query import Execute, open_session, placeholder
from . import marts
from .marts import ANONYMOUS, TOP_ACTORS

DEFAULT_DAYS = 30
"""The range the dashboard opens on: the last 30 days that hold data."""
DRILL_ROWS = 500
"""Events the drill-down table shows at most (it says how many there are in all)."""
TABLES = ("stg_box__events", "mart_daily_event_counts", "mart_user_daily_activity")
"""What the dashboard reads: all built by `boxevents transform`."""
EVENT_COLUMNS = ("event_id", "occurred_at", "actor", "event_type", "item", "ip_address")
"""The drill-down table's columns, in order."""

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Filters:
    """What a person chose: UTC days `first` through `last` (both included), one actor login or
    all (None), one category or all (None)."""

    first: date
    last: date
    user: str | None = None
    category: str | None = None

    def where(self, mark: str) -> tuple[str, list[Any]]:
        """The WHERE clause over `stg_box__events` and its parameters (`mark`: the placeholder)."""
        clauses, params = [f"occurred_on between {mark} and {mark}"], [self.first, self.last]
        if self.user:
            clauses.append(f"actor_login = {mark}")
            params.append(self.user)
        if self.category:
            clauses.append(f"category = {mark}")
            params.append(self.category)
        return " and ".join(clauses), params


@dataclass(frozen=True)
class Bounds:
    """The first and last UTC day that hold events (None in a warehouse without any)."""

    first: date | None
    last: date | None

    def default_filters(self, today: date | None = None) -> Filters:
        """The last `DEFAULT_DAYS` days of data; today's date when there is none yet."""
        last = self.last or today or datetime.now(UTC).date()
        first = max(self.first or last, last - timedelta(days=DEFAULT_DAYS - 1))
        return Filters(first, last)


@dataclass(frozen=True)
class Summary:
    events: int
    users: int


@dataclass(frozen=True)
class Drill:
    """The events behind one bar (a UTC day and a category): `rows` (`EVENT_COLUMNS`, at most
    `DRILL_ROWS`, oldest first) of `total`."""

    day: date
    category: str
    rows: list[Row]
    total: int


@dataclass(frozen=True)
class Reader:
    """One open read-only session: `rows(sql, params)`, with `mark` the warehouse's placeholder."""

    execute: Execute
    mark: str

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(row) for row in self.execute(sql, params).fetchall()]


@contextmanager
def reading(pipeline: dlt.Pipeline) -> Iterator[Reader]:
    """A read-only session on the pipeline's warehouse, closed on exit: open it for one refresh."""
    with open_session(pipeline) as execute:
        yield Reader(execute, placeholder(pipeline))


def require_tables(read: Reader, dataset: str) -> None:
    """Refuse, in one line, a warehouse whose tables the transforms have not built yet."""
    missing = marts.missing_tables(read.execute, dataset, TABLES)
    if missing:
        raise ConfigurationError(
            f"the warehouse has no {missing[0]} yet: run `boxevents transform` "
            "(a backfill or sync builds it too), then start the dashboard again"
        )


def bounds(read: Reader) -> Bounds:
    [(first, last)] = read.rows("select min(occurred_on), max(occurred_on) from mart_daily_event_counts")
    return Bounds(_as_date(first), _as_date(last))


def users(read: Reader) -> list[str]:
    """Every login that acted in the warehouse, sorted: the user filter's choices."""
    sql = (
        "select distinct actor_login from mart_user_daily_activity "
        "where actor_login is not null and actor_login <> '' order by actor_login"
    )
    return [login for (login,) in read.rows(sql)]


def summary(read: Reader, filters: Filters) -> Summary:
    where, params = filters.where(read.mark)
    sql = (
        "select count(*), count(distinct case when not actor_is_anonymous then actor_id end) "
        f"from stg_box__events where {where}"
    )
    [(events, people)] = read.rows(sql, params)
    return Summary(int(events), int(people))


def daily_events_by_category(read: Reader, filters: Filters) -> list[Row]:
    """`(day, category, events)`: the rows `figures.daily_events_by_category` draws."""
    where, params = filters.where(read.mark)
    sql = (
        f"select occurred_on, category, count(*) from stg_box__events where {where} "
        "group by occurred_on, category order by occurred_on, category"
    )
    return read.rows(sql, params)


def top_actors(read: Reader, filters: Filters, *, limit: int = TOP_ACTORS) -> list[Row]:
    """`(actor, events)`, busiest first (ties by name): the rows `figures.top_actors` draws."""
    mark = read.mark
    where, params = filters.where(mark)
    sql = f"""
        select
            case when max(case when actor_is_anonymous then 1 else 0 end) = 1 then {mark}
                 else coalesce(max(nullif(actor_login, '')), max(nullif(actor_name, '')), actor_id)
            end as actor,
            count(*) as events
        from stg_box__events
        where actor_id is not null and {where}
        group by actor_id
        order by events desc, actor
        limit {int(limit)}
    """
    return read.rows(sql, [ANONYMOUS, *params])


def events_behind(
    read: Reader, filters: Filters, day: date, category: str, *, limit: int = DRILL_ROWS
) -> Drill:
    """The events of one bar of the daily chart, under the same filters; the total counted in the
    same statement (a window over the rows before the limit)."""
    mark = read.mark
    where, params = filters.where(mark)
    sql = f"""
        select event_id, occurred_at, coalesce(actor_login, actor_name, actor_id) as actor,
            event_type, coalesce(item_name, item_id) as item, ip_address, count(*) over () as total
        from stg_box__events
        where {where} and occurred_on = {mark} and category = {mark}
        order by occurred_at, event_id
        limit {int(limit)}
    """
    rows = read.rows(sql, [*params, day, category])
    return Drill(day, category, [row[:-1] for row in rows], int(rows[0][-1]) if rows else 0)


def _as_date(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value
