"""Every model compiles for Snowflake, BigQuery and Databricks, parses in that warehouse's dialect, and
calls no function the warehouse lacks. We have no account on any of them, so this is compile-only:
dbt renders the models with the warehouse's own adapter and a dummy profile
(`profiles_compile/profiles.yml`), without a connection (`--no-populate-cache --no-introspect`), once
in the full-refresh form and once in the incremental form (`compile_only`, see
`sql/macros/compile_only.sql`); sqlglot then parses each model in the target's dialect.

sqlglot is lenient (it reads `->>` or `split_part` in any dialect), so a deny-list adds what each
warehouse does not have, each entry with the documentation that says so. DuckDB and PostgreSQL are
executed for real by the other transform tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlglot
from dbt.cli.main import dbtRunner
from sqlglot.errors import ErrorLevel, ParseError
from sqlglot.tokens import Token, TokenType

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
PROFILES_DIR = Path(__file__).resolve().parent / "profiles_compile"
FORMS = ("full", "incremental")
"""`var('compile_only')`: how `is_incremental()` answers while compiling."""


@dataclass(frozen=True)
class Dialect:
    """What one warehouse lacks, each entry with its reason (and where that is documented)."""

    functions: dict[str, str]
    """Function names (as written, lower case) the warehouse has not got."""
    types: dict[str, str] = field(default_factory=dict)
    """Type names after `AS` (in a cast) the warehouse has not got."""
    date_parts: dict[str, str] = field(default_factory=dict)
    """`extract(<part> from ...)` parts the warehouse has not got."""
    operators: dict[str, str] = field(default_factory=dict)
    """Operators, as sqlglot tokenizes them, that do not mean JSON access there."""
    wrapped: dict[str, tuple[str, str]] = field(default_factory=dict)
    """A function allowed only as the argument of another: name -> (outer function, reason)."""
    checks: tuple[Callable[[list[Token]], list[str]], ...] = ()
    """Further rules over the tokens (each returns its findings)."""


def _is_string(token: Token) -> bool:
    return token.token_type in (TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.RAW_STRING)


def _chained_colon_paths(tokens: list[Token]) -> list[str]:
    """Snowflake: `col:a:b` (a second `:` inside one path, written without spaces); the documented
    form goes on with `.` and `[]` after the first `:`, `col:a.b[0].c`."""
    findings = []
    for i, token in enumerate(tokens):
        if token.token_type != TokenType.COLON or (i and tokens[i - 1].token_type == TokenType.COLON):
            continue
        j = i + 1
        while j < len(tokens) and tokens[j].start == tokens[j - 1].end + 1:
            if tokens[j].token_type == TokenType.COLON:
                path = "".join(t.text for t in tokens[i - 1 : j + 2])
                findings.append(f"path {path}: after the first `:` a Snowflake path goes on with `.`")
                break
            j += 1
    return findings


def _bare_sequences(tokens: list[Token]) -> list[str]:
    """Snowflake: SEQ1/2/4/8 as a value (they may leave gaps); only as the order of ROW_NUMBER()."""
    findings = []
    for i, token in enumerate(tokens[1:-1], start=1):
        sequence = token.text.lower() in ("seq1", "seq2", "seq4", "seq8")
        called = tokens[i + 1].token_type == TokenType.L_PAREN
        if sequence and called and tokens[i - 1].token_type != TokenType.ORDER_BY:
            findings.append(
                f"{token.text.lower()}() as a value: it can leave gaps, number the rows with "
                "ROW_NUMBER() OVER (ORDER BY SEQ4())"
            )
    return findings


_POSTGRES_JSON = "PostgreSQL/DuckDB JSON arrow; use the json_text / json_value macros"
_SPARK_ONLY = "Spark/Databricks function"
_BIGQUERY_ONLY = "BigQuery function"
_SNOWFLAKE_ONLY = "Snowflake function"

DIALECTS: dict[str, Dialect] = {
    # docs.snowflake.com: LISTAGG ... WITHIN GROUP, BOOLOR_AGG, TRY_CAST (string input only), MD5 (hex),
    # SPLIT_PART; `->>` is the flow (pipe) operator that chains statements (operators-flow); semi-
    # structured paths are `<column>:<first>` then `.` and `[]` (querying-semistructured);
    # SEQ4 "does not necessarily produce a gap-free sequence" (seq1).
    "snowflake": Dialect(
        functions={
            "string_agg": "no STRING_AGG in Snowflake: LISTAGG(x, ',') WITHIN GROUP (ORDER BY x)",
            "bool_or": "no BOOL_OR in Snowflake: BOOLOR_AGG",
            "logical_or": _BIGQUERY_ONLY + "; Snowflake has BOOLOR_AGG",
            "safe_cast": _BIGQUERY_ONLY + "; Snowflake has TRY_CAST",
            "json_value": _BIGQUERY_ONLY + "; Snowflake reads paths with `column:path`",
            "json_query": _BIGQUERY_ONLY + "; Snowflake reads paths with `column:path`",
            "get_json_object": _SPARK_ONLY + "; Snowflake reads paths with `column:path`",
            "collect_list": _SPARK_ONLY + "; Snowflake has ARRAY_AGG",
            "array_join": _SPARK_ONLY + "; Snowflake has ARRAY_TO_STRING",
            "element_at": _SPARK_ONLY + "; Snowflake has GET or [i]",
            "to_hex": _BIGQUERY_ONLY + "; Snowflake's MD5 already returns hex",
            "generate_series": "no GENERATE_SERIES in Snowflake: TABLE(GENERATOR(ROWCOUNT => n))",
        },
        date_parts={"isodow": "no ISODOW date part in Snowflake: DAYOFWEEKISO"},
        operators={
            "->>": "in Snowflake `->>` chains statements (flow operator), it is not JSON access",
            "#>": _POSTGRES_JSON,
            "#>>": _POSTGRES_JSON,
        },
        checks=(_chained_colon_paths, _bare_sequences),
    ),
    # cloud.google.com/bigquery/docs/reference/standard-sql: string functions (SPLIT, no SPLIT_PART),
    # conversion functions (CAST, SAFE_CAST; no TRY_CAST), hash functions (MD5 returns BYTES),
    # aggregate functions (LOGICAL_OR, STRING_AGG(x, ',' ORDER BY x)); data types (STRING, FLOAT64).
    "bigquery": Dialect(
        functions={
            "split_part": "no SPLIT_PART in BigQuery: SPLIT(x, '@')[SAFE_OFFSET(1)]",
            "try_cast": "no TRY_CAST in BigQuery: SAFE_CAST",
            "bool_or": "no BOOL_OR in BigQuery: LOGICAL_OR",
            "boolor_agg": _SNOWFLAKE_ONLY + "; BigQuery has LOGICAL_OR",
            "listagg": "no LISTAGG in BigQuery: STRING_AGG(x, ',' ORDER BY x)",
            "get_json_object": _SPARK_ONLY + "; BigQuery has JSON_VALUE",
            "json_extract_path_text": "PostgreSQL/Snowflake function; BigQuery has JSON_VALUE",
            "collect_list": _SPARK_ONLY + "; BigQuery has ARRAY_AGG",
            "array_join": _SPARK_ONLY + "; BigQuery has ARRAY_TO_STRING",
            "element_at": _SPARK_ONLY + "; BigQuery has [SAFE_OFFSET(i)]",
            "convert_timezone": _SNOWFLAKE_ONLY + "; BigQuery takes the zone as an argument: DATE(ts, 'UTC')",
            "to_date": "no TO_DATE in BigQuery: DATE(ts, 'UTC')",
            "generate_series": "no GENERATE_SERIES in BigQuery: GENERATE_DATE_ARRAY",
        },
        date_parts={
            "isodow": "no ISODOW date part in BigQuery: DAYOFWEEK counts from Sunday = 1, "
            "so MOD(EXTRACT(DAYOFWEEK FROM d) + 5, 7) + 1"
        },
        types={
            "varchar": "no VARCHAR in BigQuery: STRING",
            "timestamptz": "no TIMESTAMPTZ in BigQuery: TIMESTAMP (always UTC)",
            "double": "no DOUBLE in BigQuery: FLOAT64",
        },
        operators={
            "->": _POSTGRES_JSON,
            "->>": _POSTGRES_JSON,
            "#>": _POSTGRES_JSON,
            "#>>": _POSTGRES_JSON,
            "::": "no `::` cast in BigQuery: CAST(x AS t)",
        },
        wrapped={"md5": ("to_hex", "BigQuery's MD5 returns BYTES: TO_HEX(MD5(x)) for the hex digest")},
    ),
    # docs.databricks.com/sql/language-manual: bool_or, split_part (11.3 LTS+, '' when out of range),
    # try_cast, md5 (hex); string_agg/listagg only from Databricks Runtime 16.4 and with WITHIN GROUP;
    # element_at raises INVALID_ARRAY_INDEX_IN_ELEMENT_AT under ANSI mode (use try_element_at);
    # JSON paths are `column:path` (colon sign operator), `->` is only a lambda arrow.
    "databricks": Dialect(
        functions={
            "string_agg": "Databricks has STRING_AGG only from Runtime 16.4, with WITHIN GROUP: "
            "array_join(array_sort(collect_list(x)), ',')",
            "listagg": "Databricks has LISTAGG only from Runtime 16.4: "
            "array_join(array_sort(collect_list(x)), ',')",
            "boolor_agg": _SNOWFLAKE_ONLY + "; Databricks has BOOL_OR",
            "logical_or": _BIGQUERY_ONLY + "; Databricks has BOOL_OR",
            "safe_cast": _BIGQUERY_ONLY + "; Databricks has TRY_CAST",
            "json_value": _BIGQUERY_ONLY + "; Databricks has get_json_object or `column:path`",
            "json_query": _BIGQUERY_ONLY + "; Databricks has get_json_object or `column:path`",
            "json_extract_path_text": "PostgreSQL/Snowflake function; Databricks has get_json_object",
            "to_hex": _BIGQUERY_ONLY + "; Databricks' md5 already returns hex",
            "generate_series": "no generate_series in Databricks: explode(sequence(a, b, interval 1 day))",
            "element_at": "element_at raises INVALID_ARRAY_INDEX_IN_ELEMENT_AT under ANSI mode when the "
            "index is out of range: try_element_at, or split_part for strings",
        },
        types={"timestamptz": "no TIMESTAMPTZ in Databricks: TIMESTAMP"},
        date_parts={"isodow": "no ISODOW field in Databricks: DAYOFWEEK_ISO (or DOW_ISO)"},
        operators={
            "->>": _POSTGRES_JSON,
            "#>": _POSTGRES_JSON,
            "#>>": _POSTGRES_JSON,
        },
    ),
}

_JSON_ARROW_BEFORE_STRING = "->"
"""`x -> '$.a'`: the DuckDB JSON arrow (a lambda arrow is never followed by a string literal)."""


@dataclass(frozen=True)
class Compiled:
    """One target's models, compiled in both forms: form -> model name -> SQL (None: did not
    compile), and the compile errors by model name."""

    target: str
    sql: dict[str, dict[str, str | None]]
    errors: dict[str, dict[str, str]]
    incremental_models: frozenset[str]
    incremental_strategies: dict[str, str]


def _dbt_args(command: str, target: str, workdir: Path) -> list[str]:
    return [
        command,
        "--project-dir",
        str(SQL_DIR),
        "--profiles-dir",
        str(PROFILES_DIR),
        "--target",
        target,
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        "--no-partial-parse",
        "--no-write-json",
        "--quiet",
    ]


def compile_target(target: str, workdir: Path) -> Compiled:
    """Parse the project once for `target`, then compile every model in both forms, offline."""
    parsed = dbtRunner().invoke(_dbt_args("parse", target, workdir))
    if not parsed.success:
        raise AssertionError(f"{target}: the dbt project does not parse: {parsed.exception}")
    manifest = parsed.result
    models = {n.name: n for n in manifest.nodes.values() if n.resource_type == "model"}
    sql: dict[str, dict[str, str | None]] = {}
    errors: dict[str, dict[str, str]] = {}
    for form in FORMS:
        args = [
            *_dbt_args("compile", target, workdir),
            "--no-populate-cache",
            "--no-introspect",
            "--select",
            "resource_type:model",
            "--vars",
            f"{{compile_only: {form}}}",
        ]
        result = dbtRunner(manifest=manifest).invoke(args)
        compiled = {name: None for name in models}
        form_errors: dict[str, str] = {}
        if result.result is None:
            form_errors["(every model)"] = str(result.exception)
        else:
            for run in result.result.results:
                if run.node.resource_type != "model":
                    continue
                if run.status in ("error", "fail") or run.node.compiled_code is None:
                    form_errors[run.node.name] = run.message or "no compiled SQL"
                else:
                    compiled[run.node.name] = run.node.compiled_code
        sql[form] = compiled
        errors[form] = form_errors
    incremental = {name for name, node in models.items() if node.config.materialized == "incremental"}
    return Compiled(
        target=target,
        sql=sql,
        errors=errors,
        incremental_models=frozenset(incremental),
        incremental_strategies={
            name: models[name].config.incremental_strategy or "default" for name in incremental
        },
    )


@pytest.fixture(scope="module", params=sorted(DIALECTS))
def compiled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    """One parse and two compiles per target for the whole module (the parse is most of the time)."""
    return compile_target(request.param, tmp_path_factory.mktemp(f"dbt_{request.param}"))


def _each_model(compiled: Compiled) -> Iterator[tuple[str, str, str]]:
    for form in FORMS:
        for name, sql in sorted(compiled.sql[form].items()):
            if sql is not None:
                yield form, name, sql


def test_every_model_compiles_in_both_forms(compiled: Compiled):
    problems = [
        f"{compiled.target}, {form} form: {name}: {message}"
        for form in FORMS
        for name, message in sorted(compiled.errors[form].items())
    ]
    missing = [
        f"{compiled.target}, {form} form: {name}: no compiled SQL"
        for form in FORMS
        for name, sql in sorted(compiled.sql[form].items())
        if sql is None and name not in compiled.errors[form]
    ]
    assert not problems + missing, "\n".join(problems + missing)
    assert compiled.sql["full"], f"{compiled.target}: no model compiled"


def test_incremental_form_differs_from_full_refresh(compiled: Compiled):
    """`compile_only: incremental` really renders the incremental branch of every incremental model
    (each reads only newer loads or touched days), and the full form never does."""
    assert compiled.incremental_models, "no incremental model found"
    same = [
        name
        for name in sorted(compiled.incremental_models)
        if compiled.sql["incremental"][name] == compiled.sql["full"][name]
    ]
    assert not same, f"{compiled.target}: incremental form equals the full refresh for {same}"
    for name in compiled.incremental_models:
        assert "_dlt_load_id) from" not in (compiled.sql["full"][name] or ""), name


def test_every_model_parses_in_the_target_dialect(compiled: Compiled):
    problems = []
    for form, name, sql in _each_model(compiled):
        try:
            sqlglot.parse_one(sql, read=compiled.target, error_level=ErrorLevel.RAISE)
        except ParseError as exc:
            problems.append(f"{compiled.target}, {form} form: {name}: {_first_line(exc)}")
    assert not problems, "\n".join(problems)


def test_no_model_calls_what_the_target_lacks(compiled: Compiled):
    dialect = DIALECTS[compiled.target]
    problems = [
        f"{compiled.target}, {form} form: {name}: {finding}"
        for form, name, sql in _each_model(compiled)
        for finding in denied(sql, compiled.target, dialect)
    ]
    assert not problems, "\n".join(problems)


def test_incremental_strategies_exist_on_the_target(compiled: Compiled):
    valid = {
        # dbt-snowflake impl.py valid_incremental_strategies; dbt-bigquery incremental.sql;
        # dbt-databricks impl.py valid_incremental_strategies
        "snowflake": {"append", "merge", "delete+insert", "microbatch", "insert_overwrite", "default"},
        "bigquery": {"merge", "insert_overwrite", "microbatch", "default"},
        "databricks": {"append", "merge", "insert_overwrite", "replace_where", "microbatch", "default"},
    }[compiled.target]
    unsupported = {n: s for n, s in sorted(compiled.incremental_strategies.items()) if s not in valid}
    assert not unsupported, f"{compiled.target} has no such incremental strategy: {unsupported}"


def denied(sql: str, dialect_name: str, dialect: Dialect) -> list[str]:
    """Every use in `sql` of a function, type or operator the dialect's deny-list names."""
    tokens = [t for t in sqlglot.tokenize(sql, read=dialect_name) if t.token_type != TokenType.SEMICOLON]
    findings = []
    for i, token in enumerate(tokens):
        word = token.text.lower()
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        before = tokens[i - 1] if i else None
        calls = after is not None and after.token_type == TokenType.L_PAREN and not _is_string(token)
        if calls and word in dialect.functions and (before is None or before.token_type != TokenType.DOT):
            findings.append(f"{word}(): {dialect.functions[word]}")
        if calls and word in dialect.wrapped:
            outer, reason = dialect.wrapped[word]
            wrapped = (
                i >= 2
                and tokens[i - 1].token_type == TokenType.L_PAREN
                and tokens[i - 2].text.lower() == outer
            )
            if not wrapped:
                findings.append(f"{word}() outside {outer}(): {reason}")
        if word == "extract" and calls and i + 2 < len(tokens):
            part = tokens[i + 2].text.lower()
            if part in dialect.date_parts:
                findings.append(f"extract({part} from ...): {dialect.date_parts[part]}")
        if before is not None and before.token_type == TokenType.ALIAS and word in dialect.types:
            findings.append(f"type {word}: {dialect.types[word]}")
        if token.text in dialect.operators and not _is_string(token):
            findings.append(f"operator {token.text}: {dialect.operators[token.text]}")
        elif token.text == _JSON_ARROW_BEFORE_STRING and after is not None and _is_string(after):
            findings.append(f"operator ->: {_POSTGRES_JSON}")
    for check in dialect.checks:
        findings.extend(check(tokens))
    return findings


def _first_line(exc: ParseError) -> str:
    return str(exc).strip().splitlines()[0]


def test_the_deny_list_catches_what_it_names():
    """The checker itself: each kind of rule fires on a line that breaks it, and not on its fix."""
    bigquery, snowflake, databricks = DIALECTS["bigquery"], DIALECTS["snowflake"], DIALECTS["databricks"]
    assert denied("select split_part(a, '@', 2) from t", "bigquery", bigquery)
    assert not denied("select split(a, '@')[safe_offset(1)] from t", "bigquery", bigquery)
    assert denied("select md5(a) from t", "bigquery", bigquery)
    assert not denied("select to_hex(md5(a)) from t", "bigquery", bigquery)
    assert denied("select cast(a as varchar) from t", "bigquery", bigquery)
    assert denied("select a ->> '$.b' from t", "databricks", databricks)
    assert denied("select a -> '$.b' from t", "databricks", databricks)
    assert not denied("select transform(xs, x -> x + 1) from t", "databricks", databricks)
    assert denied("select bool_or(a) from t", "snowflake", snowflake)
    assert not denied("select bool_or(a) from t", "databricks", databricks)
    assert denied("select (d:a:b::string) from t", "snowflake", snowflake)
    assert not denied("select (d:a.b[0].c::string), a::string from t", "snowflake", snowflake)
    assert not denied("select 'a:b:c' as s from t", "snowflake", snowflake)
