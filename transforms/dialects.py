"""Turn DuckDB-dialect SQL into the destination's dialect, with every model name qualified.

Models are written once, in DuckDB's dialect. sqlglot transpiles them; two adjustments happen on
the parsed tree before it is generated:

- every reference to a model, seed or raw table is qualified with the pipeline's dataset (and
  catalog, where the destination has one), so the SQL never depends on a session's search path;
- on PostgreSQL, JSON paths become `#>` / `#>>` operators: dlt stores JSON there as `jsonb`, and
  sqlglot's default `JSON_EXTRACT_PATH[_TEXT]` functions only accept `json`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import sqlglot
from sqlglot import exp

QualifyPath = Callable[[str], list[str]]
"""Maps a table name to its qualified path, e.g. `["box_events", "stg_box__events"]`."""

TARGET_DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "databricks")
"""Dialects every model is checked against (tests transpile and re-parse each model)."""


def _qualify(tree: exp.Expression, names: set[str], qualify_path: QualifyPath) -> None:
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if table.args.get("db") or table.name not in names or table.name in ctes:
            continue
        *prefix, name = qualify_path(table.name)
        table.set("this", exp.to_identifier(name, quoted=True))
        if prefix:
            table.set("db", exp.to_identifier(prefix[-1], quoted=True))
        if len(prefix) > 1:
            table.set("catalog", exp.to_identifier(prefix[-2], quoted=True))


def _postgres_json_operators(tree: exp.Expression) -> exp.Expression:
    """`x ->> '$.a.b'` -> `x #>> '{a,b}'`: works on `json` and `jsonb` alike."""
    extracts = list(tree.find_all(exp.JSONExtract, exp.JSONExtractScalar))
    for node in reversed(extracts):  # innermost first, so nested paths are rewritten too
        path = node.expression
        if not isinstance(path, exp.JSONPath):
            continue
        keys = [str(part.this) for part in path.expressions if isinstance(part, exp.JSONPathKey)]
        if len(keys) != len(path.expressions) - 1:  # only plain `$.a.b` paths are rewritten
            continue
        operator = exp.JSONBExtractScalar if isinstance(node, exp.JSONExtractScalar) else exp.JSONBExtract
        node.replace(operator(this=node.this, expression=exp.Literal.string("{" + ",".join(keys) + "}")))
    return tree


def _narrow(tree: exp.Expression, filters: Mapping[str, str]) -> None:
    """Replace each read of a filtered table by a subquery that keeps only the matching rows."""
    for table in list(tree.find_all(exp.Table)):
        predicate = filters.get(table.name)
        if predicate is None or table.args.get("db"):
            continue
        alias = table.alias or table.name
        subquery = (
            exp.select("*")
            .from_(exp.to_table(table.name))
            .where(sqlglot.parse_one(predicate, read="duckdb"))
            .subquery(alias)
        )
        table.replace(subquery)


def render(
    sql: str,
    dialect: str,
    *,
    names: Iterable[str] = (),
    qualify_path: QualifyPath | None = None,
    filters: Mapping[str, str] | None = None,
) -> str:
    """Transpile one DuckDB statement into `dialect`, qualifying references to `names`.

    `filters` maps a table name to a predicate on its columns: every read of that table then sees
    only the matching rows (the incremental build narrows the raw table to the touched days).
    """
    tree = sqlglot.parse_one(sql, read="duckdb")
    if filters:
        _narrow(tree, filters)
    if qualify_path is not None:
        _qualify(tree, set(names), qualify_path)
    if dialect == "postgres":
        tree = _postgres_json_operators(tree)
    return tree.sql(dialect=dialect, comments=False)


def literal(value: object) -> str:
    """A SQL literal for a string, number or None, quoted safely (DuckDB syntax, transpiled later)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return exp.Literal.string(str(value)).sql(dialect="duckdb")
