"""`boxevents query`: CSV and JSON lines that parse back to the exact rows, a row cap that reads one
row past it, full-width tables in pipes, and a warehouse that a query without --write cannot change."""

from __future__ import annotations

import csv
import io
import json
from contextlib import ExitStack
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines import jobs, query
from pipelines.box_events.exceptions import ConfigurationError, ReadOnlyQueryError
from pipelines.cli import app
from tests.conftest import Warehouse

LONG_NOTE = "n" * 150 + " with spaces " + "m" * 137
"""300 characters: a piped table must show it whole, on one line."""
assert len(LONG_NOTE) == 300

EVENTS = [
    # event_id, created_at, amount, login, note, additional_details (JSON), raw (BLOB)
    ("e1", datetime(2026, 11, 23, 8, 0, 1, 250000, tzinfo=UTC), Decimal("12.50"), "alice@example.com",
     'says "hi", then\nleaves', '{"shared_link": {"access": "open"}}', b"caf\xc3\xa9"),
    ("e2", datetime(2026, 11, 23, 9, 30, tzinfo=UTC), Decimal("-0.01"), "bob@example.com", None, None, None),
    ("e3", datetime(2026, 11, 23, 10, 0, tzinfo=UTC), Decimal("123456789.99"), "carol@example.com",
     LONG_NOTE, '[1, 2]', b""),
]  # fmt: skip
DETECTIONS = 2500
"""Rows of `detections`: more than the table's default cap."""
SELECT_EVENTS = "SELECT * FROM box_events.admin_logs ORDER BY event_id"
COUNT_EVENTS = "SELECT COUNT(*) FROM box_events.admin_logs"


@pytest.fixture
def where(warehouse: Warehouse) -> list[str]:
    """A small DuckDB warehouse (no Box involved); the CLI options that find it."""
    with duckdb.connect(str(warehouse.path)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("CREATE SCHEMA box_events")
        con.execute(
            "CREATE TABLE box_events.admin_logs (event_id VARCHAR, created_at TIMESTAMPTZ, "
            "amount DECIMAL(12, 2), login VARCHAR, note VARCHAR, additional_details JSON, raw BLOB)"
        )
        con.executemany("INSERT INTO box_events.admin_logs VALUES (?, ?, ?, ?, ?, ?, ?)", EVENTS)
        con.execute(
            f"CREATE TABLE box_events.detections AS SELECT i AS id, 'rule_' || (i % 7) AS rule "
            f"FROM range({DETECTIONS}) t(i)"
        )
    return ["--duckdb-path", str(warehouse.path), "--pipelines-dir", str(warehouse.pipelines_dir)]


def run(*args: str):
    return CliRunner().invoke(app, ["query", *args])


def test_csv_parses_back_to_the_exact_rows(where):
    result = run(SELECT_EVENTS, "--format", "csv", *where)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    raw_text = result.stdout_bytes.decode()  # `stdout` would turn CRLF into LF
    assert raw_text.count("\r\n") == len(EVENTS) + 1, "RFC 4180 ends every record with CRLF"
    records = list(csv.reader(io.StringIO(raw_text, newline="")))
    assert records[0] == ["event_id", "created_at", "amount", "login", "note", "additional_details", "raw"]
    assert records[1:] == [
        [
            event_id,
            created_at.isoformat(),
            str(amount),
            login,
            note or "",
            details or "",
            raw.decode() if raw is not None else "",
        ]
        for event_id, created_at, amount, login, note, details, raw in EVENTS
    ]


def test_json_lines_parse_to_the_exact_objects(where):
    result = run(SELECT_EVENTS, "--format", "json", *where)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert [json.loads(line, parse_float=Decimal) for line in lines] == [
        {
            "event_id": event_id,
            "created_at": created_at.isoformat(),
            "amount": amount,  # an exact JSON number
            "login": login,
            "note": note,
            "additional_details": details,  # JSON columns come back as text and stay text
            "raw": raw.decode() if raw is not None else None,
        }
        for event_id, created_at, amount, login, note, details, raw in EVENTS
    ]
    assert '"amount": 12.50' in lines[0] and '"amount": 123456789.99' in lines[2]


def test_json_lines_carry_nested_values_and_durations(where):
    sql = "SELECT [1, 2] AS l, {'k': 'v'} AS s, INTERVAL 90 MINUTE AS d, 'NaN'::DOUBLE AS f, true AS b"
    result = run(sql, "--format", "json", *where)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "l": [1, 2],
        "s": {"k": "v"},
        "d": "P0DT1H30M0S",
        "f": "NaN",
        "b": True,
    }


def test_the_table_is_capped_by_default_and_says_so_on_stderr(where):
    table = run("SELECT id FROM box_events.detections ORDER BY id", *where)
    assert table.exit_code == 0, table.output
    shown = [line.strip("│ ") for line in table.stdout.splitlines() if line.startswith("│")]
    assert shown == [str(i) for i in range(query.DEFAULT_TABLE_LIMIT)]
    assert table.stderr.splitlines() == [
        "(showing 1,000 of more rows; pass --limit N or --format csv for all)"
    ]


def test_csv_and_json_are_not_capped_unless_limited(where):
    sql = "SELECT id FROM box_events.detections ORDER BY id"
    every = run(sql, "--format", "csv", *where)
    assert every.exit_code == 0, every.output
    assert every.stdout.split() == ["id", *map(str, range(DETECTIONS))] and every.stderr == ""
    every_json = run(sql, "--format", "json", *where)
    assert len(every_json.stdout.splitlines()) == DETECTIONS and every_json.stderr == ""
    cut = run(sql, "--format", "json", "--limit", "10", *where)
    assert [json.loads(line)["id"] for line in cut.stdout.splitlines()] == list(range(10))
    assert cut.stderr.splitlines() == ["(showing 10 of more rows; pass a larger --limit for more)"]


def test_a_limit_that_cuts_nothing_adds_no_note(where):
    exact = run("SELECT id FROM box_events.detections", "--format", "csv", "--limit", str(DETECTIONS), *where)
    assert exact.exit_code == 0, exact.output
    assert len(exact.stdout.split()) == DETECTIONS + 1 and exact.stderr == ""
    table = run("SELECT id FROM box_events.detections", "--limit", str(DETECTIONS), *where)
    assert sum(line.startswith("│") for line in table.stdout.splitlines()) == DETECTIONS
    assert table.stderr == ""


class CountingCursor:
    """A cursor over `n` rows that counts how many rows were fetched from it."""

    description = (("id",),)

    def __init__(self, n: int) -> None:
        self.rows = iter(range(n))
        self.fetched = 0

    def fetchmany(self, size: int) -> list[tuple[int]]:
        batch = [(i,) for _, i in zip(range(size), self.rows, strict=False)]
        self.fetched += len(batch)
        return batch


@pytest.mark.parametrize("limit", [1, 999, query.FETCH_BATCH, query.FETCH_BATCH + 5])
def test_a_limit_of_n_fetches_n_plus_one_rows_not_all(limit):
    cursor = CountingCursor(1_000_000)
    rows = query.Rows(cursor, limit)
    assert list(rows) == [(i,) for i in range(limit)]
    assert rows.more and rows.shown == limit
    assert cursor.fetched == limit + 1


@pytest.mark.parametrize("limit", ["0", "-5"])
def test_a_limit_below_one_is_a_one_line_error(where, limit):
    result = run("SELECT 1", "--limit", limit, *where)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: --limit must be at least 1 (got {limit}); leave it out for the default"
    ]


def test_a_piped_table_shows_a_long_value_whole_on_one_line(where):
    result = run("SELECT event_id, note FROM box_events.admin_logs WHERE event_id = 'e3'", *where)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if LONG_NOTE in line]
    assert len(lines) == 1 and "e3" in lines[0]
    assert max(map(len, result.stdout.splitlines())) > 300, "the table is as wide as its widest row"


def test_table_cells_are_text_not_rich_markup(where):
    result = run("SELECT '[bold]x[/bold] [/]' AS \"[red]name\"", *where)
    assert result.exit_code == 0, result.output
    assert "[bold]x[/bold] [/]" in result.stdout and "[red]name" in result.stdout


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM box_events.admin_logs",
        "delete from admin_logs",  # the dataset is the search path
        "SELECT 1; DELETE FROM box_events.admin_logs",
        "DROP TABLE box_events.admin_logs",
        "CREATE TABLE box_events.copy AS SELECT * FROM box_events.admin_logs",
    ],
)
def test_a_write_without_write_is_refused_and_changes_nothing(where, warehouse, sql):
    before = warehouse.query(COUNT_EVENTS)
    result = run(sql, *where)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("error: the query tried to write (")
    assert line.endswith("); boxevents query is read-only: pass --write to change the warehouse")
    assert warehouse.query(COUNT_EVENTS) == before == [(len(EVENTS),)]
    assert warehouse.query("SELECT COUNT(*) FROM duckdb_tables() WHERE table_name = 'copy'") == [(0,)]


def test_the_refused_write_names_the_statement(where):
    result = run("DELETE FROM box_events.admin_logs", *where)
    assert "(DELETE)" in result.stderr


def test_with_write_the_query_changes_the_warehouse(where, warehouse):
    result = run("DELETE FROM box_events.admin_logs WHERE event_id = 'e2'", "--write", *where)
    assert result.exit_code == 0, result.output
    assert warehouse.query("SELECT event_id FROM box_events.admin_logs ORDER BY 1") == [("e1",), ("e3",)]


def test_a_sql_error_is_one_line(where):
    result = run("SELECT * FROM box_events.no_such_table", *where)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: the query failed: Catalog Error:")


def test_a_read_only_query_does_not_create_a_missing_duckdb_file(tmp_path):
    path = tmp_path / "missing.duckdb"
    pipeline = jobs.make_pipeline(duckdb_path=path, pipelines_dir=tmp_path / "pipelines")
    with pytest.raises(ConfigurationError, match="no DuckDB warehouse at"):
        query.run_query(pipeline, "SELECT 1")
    assert not path.exists()


def test_a_warehouse_loaded_by_dlt_answers_from_its_dataset(tmp_path):
    pipeline = jobs.make_pipeline(duckdb_path=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pipelines")
    pipeline.run([{"event_id": "a"}, {"event_id": "b"}], table_name="admin_logs")
    result = query.run_query(pipeline, "SELECT event_id FROM admin_logs ORDER BY 1", limit=1)
    assert (result.header, result.rows, result.more) == (["event_id"], [("a",)], True)


def test_bound_parameters_are_values_never_sql(tmp_path):
    pipeline = jobs.make_pipeline(duckdb_path=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "pipelines")
    pipeline.run([{"event_id": "a"}, {"event_id": "b"}], table_name="admin_logs")
    mark = query.placeholder(pipeline)
    sql = f"SELECT event_id FROM admin_logs WHERE event_id = {mark} OR event_id = {mark} ORDER BY 1"
    assert mark == "?"
    assert query.run_query(pipeline, sql, params=["a", "b' OR 'x' = 'x"]).rows == [("a",)]


def test_a_session_runs_several_reads_on_one_read_only_connection(where, warehouse):
    with query.open_session(warehouse.pipeline()) as execute:
        assert execute(COUNT_EVENTS, ()).fetchall() == [(len(EVENTS),)]
        assert execute("SELECT login FROM box_events.admin_logs WHERE event_id = ?", ["e2"]).fetchall() == [
            ("bob@example.com",)
        ]
        with pytest.raises(ReadOnlyQueryError, match=r"tried to write \(DELETE\)"):
            execute("DELETE FROM box_events.admin_logs", ())
    assert warehouse.query(COUNT_EVENTS) == [(len(EVENTS),)]


def test_other_warehouses_run_only_what_sqlglot_calls_a_read(where, warehouse, monkeypatch):
    """On a warehouse that cannot be opened read-only, sqlglot decides; shown on DuckDB through
    dlt's ordinary (writable) connection."""
    monkeypatch.setattr(query, "destination_name", lambda pipeline: "somewarehouse")
    pipeline = warehouse.pipeline()
    assert query.run_query(pipeline, COUNT_EVENTS).rows == [(len(EVENTS),)]
    with pytest.raises(ReadOnlyQueryError, match=r"tried to write \(DELETE\)"):
        query.run_query(pipeline, "WITH x AS (SELECT 1) DELETE FROM box_events.admin_logs")
    with pytest.raises(ReadOnlyQueryError, match="cannot tell that the query only reads"):
        query.run_query(pipeline, "SELECT (((")
    assert warehouse.query(COUNT_EVENTS) == [(len(EVENTS),)]
    assert query.run_query(pipeline, "DELETE FROM box_events.admin_logs", write=True).rows == [(len(EVENTS),)]
    assert warehouse.query(COUNT_EVENTS) == [(0,)]


READS = [
    "SELECT 1",
    "WITH d AS (SELECT 1 AS a) SELECT * FROM d",
    "SELECT 1 UNION ALL SELECT 2",
    "VALUES (1)",
    "SHOW TABLES",
    "DESCRIBE t",
    "EXPLAIN SELECT * FROM t",
    "PRAGMA table_info(t)",
]
WRITES = {
    "DELETE FROM t": "DELETE",
    "INSERT INTO t VALUES (1)": "INSERT",
    "UPDATE t SET a = 1": "UPDATE",
    "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE": "MERGE",
    "CREATE TABLE x AS SELECT 1": "CREATE",
    "DROP TABLE t": "DROP",
    "ALTER TABLE t ADD COLUMN b INT": "ALTER",
    "TRUNCATE TABLE t": "TRUNCATE",
    "GRANT SELECT ON t TO u": "GRANT",
    "SELECT * INTO x FROM t": "SELECT … INTO",
    "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d": "DELETE",
    "SELECT 1; DELETE FROM t": "DELETE",
    "EXPLAIN ANALYZE DELETE FROM t": "EXPLAIN ANALYZE",
    "PRAGMA x = 1": "PRAGMA assignment",
    "SET x = 1": "SET",
    "COMMIT": "COMMIT",
}


@pytest.mark.parametrize("dialect", ["postgres", "bigquery", "databricks", None])
def test_sqlglot_tells_reads_from_writes(dialect):
    not_bigquery = ("VALUES (1)", "RETURNING")  # not BigQuery SQL (VALUES would be refused there)
    for sql in READS:
        if dialect != "bigquery" or not any(part in sql for part in not_bigquery):
            assert query.statement_writes(sql, dialect) is None, sql
    for sql, what in WRITES.items():
        if dialect != "bigquery" or not any(part in sql for part in not_bigquery):
            assert query.statement_writes(sql, dialect) == what, sql


# --- PostgreSQL: the read-only transaction ------------------------------------------------------


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """A throwaway PostgreSQL holding three events loaded by dlt; the CLI options that find it."""
    from tests.transforms.pg import throwaway_postgres

    with ExitStack() as stack:
        try:
            dsn = stack.enter_context(throwaway_postgres())
        except RuntimeError as exc:  # no server binaries on this machine
            pytest.skip(str(exc))
        pipelines_dir = tmp_path_factory.mktemp("postgres")
        pipeline = jobs.make_pipeline("postgres", credentials=dsn, pipelines_dir=pipelines_dir)
        pipeline.run(
            [{"event_id": e, "amount": a, "created_at": c} for e, c, a, *_ in EVENTS], table_name="admin_logs"
        )
        yield dsn, ["--destination", "postgres", "--pipelines-dir", str(pipelines_dir)]


def run_pg(postgres, monkeypatch, *args: str):
    dsn, options = postgres
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", dsn)
    return run(*args, *options)


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM admin_logs",
        "WITH d AS (DELETE FROM admin_logs RETURNING *) SELECT * FROM d",
        "CREATE TABLE copy AS SELECT * FROM admin_logs",
    ],
)
def test_postgres_refuses_writes_in_a_read_only_transaction(postgres, monkeypatch, sql):
    result = run_pg(postgres, monkeypatch, sql)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("error: the query tried to write (")
    assert run_pg(
        postgres, monkeypatch, "SELECT COUNT(*) FROM admin_logs", "--format", "csv"
    ).stdout.split() == [
        "count",
        str(len(EVENTS)),
    ]


def test_postgres_takes_one_statement_at_a_time_without_write(postgres, monkeypatch):
    """So that no `COMMIT; SET default_transaction_read_only = off; COMMIT; …` can lift read-only."""
    lift = "COMMIT; SET default_transaction_read_only = off; COMMIT; DELETE FROM admin_logs"
    result = run_pg(postgres, monkeypatch, lift)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: the query holds 4 statements; read-only, boxevents query runs one at a time on "
        "PostgreSQL: run them one by one, or pass --write"
    ]
    count = run_pg(postgres, monkeypatch, "SELECT COUNT(*) AS n FROM admin_logs", "--format", "json")
    assert json.loads(count.stdout) == {"n": len(EVENTS)}


def test_postgres_reads_rows_exactly_and_cuts_at_the_limit(postgres, monkeypatch):
    sql = "SELECT event_id, amount, created_at FROM admin_logs ORDER BY event_id"
    result = run_pg(postgres, monkeypatch, sql, "--format", "json", "--limit", "2")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line, parse_float=Decimal) for line in result.stdout.splitlines()]
    assert [(r["event_id"], r["amount"], datetime.fromisoformat(r["created_at"])) for r in rows] == [
        (e, a, c) for e, c, a, *_ in EVENTS[:2]
    ]
    assert result.stderr.splitlines() == ["(showing 2 of more rows; pass a larger --limit for more)"]
    shown = run_pg(postgres, monkeypatch, "SHOW default_transaction_read_only", "--format", "csv")
    assert shown.stdout.split() == ["default_transaction_read_only", "on"]


def test_postgres_changes_with_write(postgres, monkeypatch):
    result = run_pg(postgres, monkeypatch, "DELETE FROM admin_logs WHERE event_id = 'e2'", "--write")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["(1 row changed)"]
    after = run_pg(postgres, monkeypatch, "SELECT event_id FROM admin_logs ORDER BY 1", "--format", "csv")
    assert after.stdout.split() == ["event_id", "e1", "e3"]


def test_postgres_binds_parameters_in_its_read_only_transaction(postgres):
    dsn, options = postgres
    pipeline = jobs.make_pipeline("postgres", credentials=dsn, pipelines_dir=options[-1])
    mark = query.placeholder(pipeline)
    sql = f"SELECT event_id FROM admin_logs WHERE event_id IN ({mark}, {mark}) AND event_id LIKE 'e%%'"
    assert mark == "%s"
    assert query.run_query(pipeline, sql, params=["e1", "e3' OR 'x' = 'x"]).rows == [("e1",)]
    with query.open_session(pipeline) as execute:  # two server-side cursors in one transaction
        first, second = execute(sql, ["e1", "e3"]), execute(sql, ["e3", "-"])
        assert (first.fetchall(), second.fetchall()) == ([("e1",), ("e3",)], [("e3",)])


def test_postgres_sql_error_is_one_line(postgres, monkeypatch):
    result = run_pg(postgres, monkeypatch, "SELECT * FROM no_such_table")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith('error: the query failed: relation "no_such_table" does not exist')
