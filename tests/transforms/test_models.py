"""The models themselves: the catalog, the derived build order, and SQL that transpiles to every
warehouse we claim (checked by parsing the generated SQL again in the target dialect)."""

from __future__ import annotations

import pytest
import sqlglot

from box_emulator.event_types import BOX_EVENT_TYPES, UNLISTED_EVENT_TYPES
from transforms import list_models
from transforms.catalog import SEVERITIES, UNCATEGORIZED, categories, load_catalog
from transforms.dialects import TARGET_DIALECTS, render
from transforms.models import PARTITION_COLUMN, SOURCES, event_type_view_name

MODELS = list_models()
BY_NAME = {m.name: m for m in MODELS}


def test_catalog_names_every_official_type_with_a_category_severity_and_description():
    catalog = load_catalog()
    assert {row.event_type for row in catalog} >= set(BOX_EVENT_TYPES)
    assert not {row.event_type for row in catalog} & set(UNLISTED_EVENT_TYPES)
    for row in catalog:
        assert row.category != UNCATEGORIZED and row.severity in SEVERITIES and row.description


def test_every_category_has_exactly_one_audit_table_and_every_type_a_view():
    catalog = load_catalog()
    audit_tables = {m.name for m in MODELS if m.layer == "audit"}
    assert audit_tables == {f"audit_{category}" for category in categories(catalog)}
    for row in catalog:
        view = BY_NAME[event_type_view_name(row.event_type)]
        assert view.materialized == "view" and view.depends_on == (f"audit_{row.category}",)


def test_models_come_after_everything_they_select_from():
    position = {m.name: i for i, m in enumerate(MODELS)}
    for model in MODELS:
        for dependency in model.depends_on:
            assert position[dependency] < position[model.name], (model.name, dependency)


def test_every_model_has_a_description_and_incremental_models_are_day_partitioned(world):
    for model in MODELS:
        assert model.description, model.name
        if model.materialized == "incremental":
            columns = [row[0] for row in world.query(f"describe {model.name}")]
            assert PARTITION_COLUMN in columns, model.name


@pytest.mark.parametrize("dialect", [d for d in TARGET_DIALECTS if d != "duckdb"])
def test_every_model_transpiles_and_parses_in(dialect):
    names = [m.name for m in MODELS] + list(SOURCES)
    for model in MODELS:
        if model.sql is None:
            continue
        sql = render(model.sql, dialect, names=names, qualify_path=lambda n: ["analytics", "box_events", n])
        parsed = sqlglot.parse_one(sql, read=dialect)
        tables = {t.name for t in parsed.find_all(sqlglot.exp.Table)}
        assert set(model.depends_on) <= tables, (dialect, model.name)
        assert "box_events" in sql, (dialect, model.name)
