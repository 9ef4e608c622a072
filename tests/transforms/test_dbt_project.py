"""The dbt project itself: it parses, every model is documented, the layers read what they should,
the invariants are data tests, and every catalogued type gets its own view."""

from __future__ import annotations

from box_emulator.event_types import BOX_EVENT_TYPES, UNLISTED_EVENT_TYPES
from pipelines.box_events.event_types import SEVERITIES, UNCATEGORIZED, categories, load_catalog
from transforms.project import data_tests, event_type_view, list_models, manifest

MODELS = {m.name: m for m in list_models()}


def test_catalog_names_every_official_type_with_a_category_severity_and_description():
    catalog = load_catalog()
    assert {row.event_type for row in catalog} >= set(BOX_EVENT_TYPES)
    assert not {row.event_type for row in catalog} & set(UNLISTED_EVENT_TYPES)
    for row in catalog:
        assert row.category != UNCATEGORIZED and row.severity in SEVERITIES and row.description


def test_every_category_has_exactly_one_audit_table():
    audit_tables = {name for name, m in MODELS.items() if m.layer == "audit" and name != "audit_event_types"}
    assert audit_tables == {f"audit_{category}" for category in categories(load_catalog())}


def test_every_model_is_documented_and_selects_from_the_layer_below():
    below = {
        "staging": {"seeds", "staging"},
        "audit": {"staging", "seeds", "audit"},
        "intermediate": {"staging", "audit", "intermediate"},
        # marts: dim_date sums the daily mart's counts instead of counting every staged event
        "dimensions": {"staging", "intermediate", "current", "marts", "dimensions"},
        "current": {"audit", "intermediate", "dimensions", "current"},
        "marts": {"staging", "audit", "marts"},
        # staging: the touched days; seeds: the catalog's severities; marts: a user's usual day;
        # current, dimensions: who is admin now, who owns what now, who a user is (hunts);
        # intermediate: the logins per user and day the history rules read of older days
        "detections": {
            "staging",
            "audit",
            "seeds",
            "intermediate",
            "marts",
            "current",
            "dimensions",
            "detections",
        },
        "interop": {"staging", "audit", "seeds", "detections", "interop"},
    }
    for model in MODELS.values():
        if model.layer == "seeds":
            continue
        assert model.description, f"{model.name} has no description in its .yml"
        layers = {MODELS[d].layer for d in model.depends_on}
        assert layers <= below[model.layer], (model.name, layers)
    readers = {
        source: {
            n["name"]
            for n in manifest()["nodes"].values()
            if n["resource_type"] == "model"
            and any(d.startswith(f"source.box_audit.{source}.") for d in n["depends_on"]["nodes"])
        }
        for source in ("box_events", "box_audit_state")
    }
    assert readers["box_events"] == {"stg_box__events"}, "only staging reads the raw tables"
    assert readers["box_audit_state"] == {"detection_findings"}, "only the findings read the triage state"


def test_the_invariants_are_data_tests_the_warehouse_runs():
    tests = data_tests()
    assert len(tests) >= 25, tests
    for expected in (
        "unique_stg_box__events_event_id",
        "not_null_stg_box__events_event_id",
        "unique_dim_users_user_id",
        "unique_dim_items_item_id",
        "unique_dim_date_day",
        "unique_detections_detection_id",
    ):
        assert expected in tests
    assert any(t.startswith("accepted_values_stg_box__events_category") or "category" in t for t in tests)
    assert any(t.startswith("relationships_") for t in tests)


def test_every_catalogued_type_has_a_view_in_its_own_schema(world):
    views = {
        row[0]
        for row in world.query(
            "select table_name from information_schema.tables where table_schema = 'box_events_by_event_type'"
        )
    }
    assert views == {event_type_view(row.event_type).split(".")[1] for row in load_catalog()}
    main = {
        row[0]
        for row in world.query(
            "select table_name from information_schema.tables where table_schema = 'box_events'"
        )
    }
    assert not {v for v in main if v.startswith("audit_") and v not in MODELS}, (
        "per-type views in the main schema"
    )
