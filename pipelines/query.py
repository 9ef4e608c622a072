"""`boxevents query`: one SQL statement on the warehouse, printed as a table, CSV or JSON lines.

Read-only unless the caller passes `write=True`: the warehouse holds the audit history, and a stray
`DELETE` typed into a query prompt must not change it. Where the warehouse can enforce that, it does:
- DuckDB: the file is opened read-only, so DuckDB refuses every write (and never creates the file);
- PostgreSQL: every transaction of the session is read-only, so PostgreSQL refuses; and the input
  must be one statement, so that a `COMMIT; SET default_transaction_read_only = off; COMMIT; …`
  inside it cannot lift that;
- any other warehouse: sqlglot must classify every statement as a read, or it does not run.

Rows are read in batches: with a limit of N, at most N + 1 rows leave the warehouse (the extra one
only tells that there are more), and CSV or JSON without a limit streams to the output.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import re
import sys
import time as clock
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import count
from pathlib import Path
from typing import Any, TextIO

import dlt
from dlt.destinations.exceptions import DatabaseException, DestinationConnectionError
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .box_events.exceptions import BoxEventsError, ConfigurationError, ReadOnlyQueryError
from .box_events.lake import destination_name

DEFAULT_TABLE_LIMIT = 1000
"""Rows the table shows unless `limit` says otherwise: a screenful of rows is what a table is for;
CSV and JSON, which feed other programs, get every row unless limited."""

FETCH_BATCH = 10_000
"""Rows fetched from the warehouse at a time."""


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@dataclass
class QueryResult:
    """Column names and rows of one statement; `more`: the warehouse had rows beyond the limit."""

    header: list[str]
    rows: list[tuple[Any, ...]]
    more: bool = False


def run_query(
    pipeline: dlt.Pipeline,
    sql: str,
    *,
    params: Sequence[Any] = (),
    limit: int | None = None,
    write: bool = False,
) -> QueryResult:
    """The rows of `sql` on the pipeline's warehouse, at most `limit` of them; read-only unless `write`.
    `params` are bound to the statement's placeholders (`placeholder(pipeline)` writes one)."""
    _check_limit(limit)
    with open_query(pipeline, sql, params=params, write=write) as cursor:
        rows = Rows(cursor, limit)
        return QueryResult(rows.header, list(rows), rows.more)


def print_query(
    pipeline: dlt.Pipeline,
    sql: str,
    *,
    output_format: OutputFormat = OutputFormat.table,
    limit: int | None = None,
    write: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> None:
    """Print the rows of `sql` to `out` (stdout) in `output_format`; notes (rows cut at the limit) go
    to `err` (stderr), so that `out` holds nothing but the rows. `limit` None means
    `DEFAULT_TABLE_LIMIT` for the table and every row for CSV and JSON."""
    _check_limit(limit)
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    capped = limit is None and output_format is OutputFormat.table
    with open_query(pipeline, sql, write=write) as cursor:
        rows = Rows(cursor, DEFAULT_TABLE_LIMIT if capped else limit)
        WRITERS[output_format](rows.header, rows, out)
        out.flush()
        if rows.more:
            hint = "pass --limit N or --format csv for all" if capped else "pass a larger --limit for more"
            print(f"(showing {rows.shown:,} of more rows; {hint})", file=err)
        elif not rows.header:
            changed = getattr(cursor, "rowcount", -1)
            rows_changed = f"({changed:,} row{'' if changed == 1 else 's'} changed)"
            print("(no result rows)" if changed < 0 else rows_changed, file=err)


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise ConfigurationError(f"--limit must be at least 1 (got {limit}); leave it out for the default")


# --- reading the rows ---------------------------------------------------------------------------


class Rows:
    """The rows of an executed DB-API cursor, at most `limit` of them, fetched in batches as they
    are iterated. Once iterated, `shown` counts them and `more` says whether the cursor had more."""

    def __init__(self, cursor: Any, limit: int | None) -> None:
        self.header = [column[0] for column in cursor.description or []]
        self.shown = 0
        self.more = False
        self._cursor = cursor
        self._limit = limit

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        if not self.header:  # a statement without a result set (SET, or a write with --write)
            return
        left = None if self._limit is None else self._limit + 1
        while left is None or left > 0:
            batch = self._cursor.fetchmany(FETCH_BATCH if left is None else min(FETCH_BATCH, left))
            if not batch:
                return
            if left is not None:
                left -= len(batch)
            for row in batch:
                if self.shown == self._limit:
                    self.more = True
                    return
                self.shown += 1
                yield tuple(row)


Execute = Callable[[str, Sequence[Any]], Any]
"""`execute(sql, params)`: runs one statement and returns its executed DB-API cursor, which stays
readable until the next call or the session's end."""


@contextmanager
def open_query(
    pipeline: dlt.Pipeline, sql: str, *, params: Sequence[Any] = (), write: bool = False
) -> Iterator[Any]:
    """An executed DB-API cursor on the pipeline's warehouse; read-only unless `write` (see the
    module's docstring for how). `params` are bound by the driver, never pasted into the text: the
    way to put a user's input into SQL. Database errors, here or while the caller reads the cursor,
    become one-line `BoxEventsError`s."""
    with open_session(pipeline, write=write) as execute:
        yield execute(sql, params)


@contextmanager
def open_session(pipeline: dlt.Pipeline, *, write: bool = False) -> Iterator[Execute]:
    """One connection to the pipeline's warehouse for several statements, read-only unless `write`,
    closed on exit: hold it for one piece of work (a dashboard's refresh), never longer, because on
    DuckDB no one can write while it is open. Errors are `open_query`'s."""
    client = pipeline.sql_client()
    dbapi_error = getattr(getattr(client, "dbapi", None), "Error", DatabaseException)
    kind = destination_name(pipeline)
    if write:
        opened = _through_dlt(client)
    elif kind == "duckdb":
        opened = _duckdb_read_only(client)
    elif kind == "postgres":
        opened = _postgres_read_only(client)
    else:
        opened = _through_dlt(client, reads_only=client.capabilities.sqlglot_dialect or "")
    with _one_line_errors(dbapi_error, write), opened as execute:

        def one_line_execute(sql: str, params: Sequence[Any]) -> Any:
            with _one_line_errors(dbapi_error, write):
                return execute(sql, params)

        yield one_line_execute


@contextmanager
def _one_line_errors(dbapi_error: type[Exception], write: bool) -> Iterator[None]:
    """Database errors as one-line `BoxEventsError`s: a refused write says so, anything else is the
    database's first line."""
    try:
        yield
    except BoxEventsError:
        raise
    except (DatabaseException, DestinationConnectionError, dbapi_error) as exc:
        refused = None if write else _refused_write(exc)
        if refused:
            raise ReadOnlyQueryError(_tried_to_write(refused)) from None
        raise ConfigurationError(f"the query failed: {_first_line(exc)}") from None


_PLACEHOLDERS = {"duckdb": "?", "motherduck": "?"}
"""The drivers' DB-API placeholder (`paramstyle`): DuckDB's `qmark`; psycopg2 (PostgreSQL, Redshift)
and most others dlt drives take `format`, `%s` (and then a literal `%` in the SQL is written `%%`)."""


def placeholder(pipeline: dlt.Pipeline) -> str:
    """The placeholder a bound parameter takes in SQL for the pipeline's warehouse: `?` or `%s`."""
    return _PLACEHOLDERS.get(destination_name(pipeline), "%s")


@contextmanager
def _through_dlt(client: Any, *, reads_only: str | None = None) -> Iterator[Execute]:
    """dlt's own connection; with `reads_only` (a sqlglot dialect, "" for sqlglot's default), each
    statement runs only if sqlglot calls it a read."""
    with client, ExitStack() as cursors:

        def execute(sql: str, params: Sequence[Any]) -> Any:
            if reads_only is not None:
                _refuse_unless_read(sql, reads_only or None)
            return cursors.enter_context(client.execute_query(sql, *params))

        yield execute


@contextmanager
def _duckdb_read_only(client: Any) -> Iterator[Execute]:
    """The DuckDB file opened read-only, with dlt's settings for it and the dataset as search path."""
    import duckdb

    credentials = client.credentials
    path = credentials.database
    if not Path(path).exists():
        raise ConfigurationError(
            f"no DuckDB warehouse at {path}: load one first (boxevents backfill) or pass --duckdb-path"
        )
    connection = _connect_when_free(path, dict(credentials.global_config or {}))
    try:
        for extension in credentials.extensions or ():
            connection.load_extension(extension)
        if credentials.session_timezone:
            connection.execute("SET TimeZone = ?", [credentials.session_timezone])
        with suppress(duckdb.CatalogException):  # no dataset yet: only qualified names resolve
            connection.execute("SET search_path = ?", [client.fully_qualified_dataset_name()])
        yield lambda sql, params: connection.execute(sql, list(params)) if params else connection.execute(sql)
    finally:
        connection.close()


READ_WAIT_S = 30.0
"""DuckDB lets one process write at a time and no one read meanwhile: a read waits this long for a
writer's load (a `stream --follow` poll, a sync checkpoint: seconds) before giving up."""


def _connect_when_free(path: str, config: dict[str, Any]) -> Any:
    import duckdb

    deadline = clock.monotonic() + READ_WAIT_S
    while True:
        try:
            return duckdb.connect(path, read_only=True, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if clock.monotonic() >= deadline:
                raise ConfigurationError(
                    f"another process is writing {path} and kept it for more than {READ_WAIT_S:.0f}s: "
                    "try again when its load ends (a `stream --follow` lets go between polls)"
                ) from None
            clock.sleep(0.2)


@contextmanager
def _postgres_read_only(client: Any) -> Iterator[Execute]:
    """Statements in one read-only transaction of a read-only session, through dlt's connection.

    A plain query runs in a server-side cursor, so that PostgreSQL sends only the rows fetched
    (psycopg2's ordinary cursor receives the whole result first)."""
    with client:
        connection = client.native_connection
        with connection.cursor() as setup:
            setup.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        connection.autocommit = False
        opened = count()

        def execute(sql: str, params: Sequence[Any]) -> Any:
            statements = _statement_count(sql, "postgres")
            if statements > 1:
                raise ReadOnlyQueryError(
                    f"the query holds {statements} statements; read-only, boxevents query runs one at "
                    "a time on PostgreSQL: run them one by one, or pass --write"
                )
            plain = _is_plain_query(sql)
            cursor = (
                connection.cursor(name=f"boxevents_query_{next(opened)}") if plain else connection.cursor()
            )
            cursor.execute(sql, tuple(params) or None)  # None: no binding, so a `%` stays as it is
            if cursor.name:
                cursor.fetchmany(0)  # a server-side cursor learns its columns at the first fetch
            return cursor

        try:
            yield execute
        finally:
            connection.rollback()  # nothing to keep, and it ends the server-side cursors
            connection.autocommit = True


# --- telling reads from writes ------------------------------------------------------------------


def _tried_to_write(what: str) -> str:
    return (
        f"the query tried to write ({what}); boxevents query is read-only: "
        "pass --write to change the warehouse"
    )


_REFUSED_WRITE = (
    # DuckDB, on a file opened read-only
    re.compile(
        r'Cannot execute statement of type "([^"]+)" on database "[^"]*" which is attached in read-only'
    ),
    # PostgreSQL, in a read-only transaction
    re.compile(r"cannot execute (.+?) in a read-only transaction"),
)


def _refused_write(exc: BaseException) -> str | None:
    """The statement the warehouse refused because it is read-only (e.g. `DELETE`), if that is what
    `exc` (or an exception it wraps) says."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for pattern in _REFUSED_WRITE:
            if match := pattern.search(str(current)):
                return match.group(1)
        current = current.__cause__ or current.__context__
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot warns when it keeps a statement it does not model (SHOW, EXPLAIN) as raw text: that
    is expected here, not news for the user."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


_EXPLAIN_ANALYZE = re.compile(r"^\s*(\([^)]*\bANALY[SZ]E\b|ANALY[SZ]E\b)", re.IGNORECASE)
_STATEMENT_NAMES = {"truncatetable": "TRUNCATE", "into": "SELECT … INTO"}


def statement_writes(sql: str, dialect: str | None = None) -> str | None:
    """What in `sql` is not a read according to sqlglot (e.g. `DELETE`), or None when every
    statement only reads: SELECT (WITH …, set operations, VALUES), SHOW, DESCRIBE, EXPLAIN without
    ANALYZE, and PRAGMA without an assignment. A data-modifying CTE or `SELECT … INTO` is a write.
    Raises sqlglot's `ParseError` when sqlglot cannot parse `sql`."""
    import sqlglot
    from sqlglot import exp

    reads = (exp.Query, exp.Values, exp.Show, exp.Describe, exp.Pragma)
    writes = (exp.DML, exp.DDL, exp.Drop, exp.Alter, exp.TruncateTable, exp.Into, exp.Command, exp.Grant)
    with _quiet_sqlglot():
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    for statement in statements:
        if isinstance(statement, exp.Command):
            verb = statement.name.upper()
            rest = statement.expression.name if statement.expression else ""
            if verb in ("SHOW", "DESCRIBE", "DESC") or (
                verb == "EXPLAIN" and not _EXPLAIN_ANALYZE.match(rest)
            ):
                continue
            return f"{verb} ANALYZE" if verb == "EXPLAIN" else verb
        if not isinstance(statement, reads):
            return _statement_name(statement)
        if isinstance(statement, exp.Pragma) and isinstance(statement.this, exp.EQ):
            return "PRAGMA assignment"
        for node in statement.walk():
            if isinstance(node, writes):
                return _statement_name(node)
    return None


def _statement_name(node: Any) -> str:
    return _STATEMENT_NAMES.get(node.key, node.key.upper())


def _refuse_unless_read(sql: str, dialect: str | None) -> None:
    from sqlglot.errors import SqlglotError

    try:
        what = statement_writes(sql, dialect)
    except SqlglotError as exc:
        raise ReadOnlyQueryError(
            f"cannot tell that the query only reads (sqlglot: {_first_line(exc)}); "
            "boxevents query is read-only: pass --write to run it as it is"
        ) from None
    if what:
        raise ReadOnlyQueryError(_tried_to_write(what))


def _statement_count(sql: str, dialect: str) -> int:
    """Statements in `sql`, counted by sqlglot's tokenizer (which knows quotes, comments and
    dollar-quoting, so a `;` inside them does not count)."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import SqlglotError
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError as exc:
        raise ConfigurationError(f"the query failed: {_first_line(exc)}") from None
    count, open_statement = 0, False
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            count += open_statement
            open_statement = False
        else:
            open_statement = True
    return count + open_statement


def _is_plain_query(sql: str) -> bool:
    """A single SELECT (or set operation) that writes nothing: what PostgreSQL can DECLARE a cursor for."""
    import sqlglot
    from sqlglot import exp

    try:
        with _quiet_sqlglot():
            statements = sqlglot.parse(sql, read="postgres")
        return (
            len(statements) == 1
            and isinstance(statements[0], exp.Select | exp.SetOperation)
            and statement_writes(sql, "postgres") is None
        )
    except sqlglot.errors.SqlglotError:
        return False


# --- output -------------------------------------------------------------------------------------


def text_value(value: Any) -> str:
    """A value as the table and CSV show it: empty for NULL, ISO 8601 for times and durations,
    decimals exactly, bytes as UTF-8 text, nested values (lists, structs) as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _iso_duration(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="backslashreplace")
    if isinstance(value, dict | list | tuple):
        return json_text(value)
    return str(value)


def json_text(value: Any) -> str:
    """A value as JSON text: decimals as exact JSON numbers, non-finite numbers as strings ("NaN"),
    times, durations and bytes as `text_value` writes them. JSON columns arrive as text and stay so."""
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else json.dumps(str(value))
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps("NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    if value is None or isinstance(value, bool | int | float | str):
        return json.dumps(value)
    return json.dumps(text_value(value))


def _iso_duration(value: timedelta) -> str:
    """ISO 8601 duration, e.g. `P0DT1H30M0S`, `-P1DT0H0M0.5S` (exact to the microsecond)."""
    magnitude = abs(value)
    hours, rest = divmod(magnitude.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = f".{magnitude.microseconds:06d}".rstrip("0") if magnitude.microseconds else ""
    sign = "-" if value < timedelta(0) else ""
    return f"{sign}P{magnitude.days}DT{hours}H{minutes}M{seconds}{fraction}S"


def write_table(header: Sequence[str], rows: Iterable[tuple[Any, ...]], out: TextIO) -> None:
    """A rich table. On a terminal it fits the screen; anywhere else (a pipe, a file) it is as wide
    as its widest row, so no value is cut or wrapped."""
    if not header:
        return
    table = Table()
    for name in header:
        table.add_column(Text(name))  # Text: brackets in names or values are not rich markup
    for row in rows:
        table.add_row(*(Text(text_value(value)) for value in row))
    console = Console(file=out, highlight=False)
    if not console.is_terminal:
        console.width = Measurement.get(console, console.options.update_width(sys.maxsize), table).maximum
    console.print(table)


def write_csv(header: Sequence[str], rows: Iterable[tuple[Any, ...]], out: TextIO) -> None:
    """RFC 4180: a header row, then one record per row (NULL and the empty string both print empty)."""
    if not header:
        return
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([text_value(value) for value in row] for row in rows)


def write_json_lines(header: Sequence[str], rows: Iterable[tuple[Any, ...]], out: TextIO) -> None:
    """One JSON object per row and line, keyed by column name."""
    keys = [json.dumps(name) for name in header]
    for row in rows:
        out.write("{" + ", ".join(f"{k}: {json_text(v)}" for k, v in zip(keys, row, strict=True)) + "}\n")


WRITERS = {OutputFormat.table: write_table, OutputFormat.csv: write_csv, OutputFormat.json: write_json_lines}
