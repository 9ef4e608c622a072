"""Every rule and hunt against its own cases (a planted positive, near-miss negatives), on DuckDB and
PostgreSQL, through the whole chain: the cases' Box events are replayed by the emulator over HTTP,
loaded by the pipeline and transformed by dbt with the tuning the cases are written against."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from box_emulator.testing import running_emulator
from pipelines import jobs
from tests.conftest import NOW, api_for
from tests.transforms.detection_cases import RULE_DIRS, SETTINGS, Case, load_cases, replay_events
from tests.transforms.pg import throwaway_postgres
from tests.transforms.world import World
from transforms import Tuning, run_transforms
from transforms.project import manifest

CASES = load_cases()
SEVERITIES = {"info", "low", "medium", "high", "critical"}
TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
ENGINES = ("duckdb", "postgres")


def _build(root: Path, destination: str, credentials: str | None = None) -> World:
    pipeline = jobs.make_pipeline(
        destination,
        duckdb_path=root / "warehouse.duckdb",
        pipelines_dir=root / "pipelines",
        credentials=credentials,
        pipeline_name=f"rules_{root.name}",
    )
    events = replay_events(CASES)
    with running_emulator(now=NOW, replay_events=events) as (emu, srv):
        start = min(e["created_at"] for e in events)
        jobs.backfill(pipeline, start=_day_before(start), end=NOW, api=api_for(srv, emu.config), now=NOW)
    world = World(pipeline=pipeline, events=events, counts={}, planted=[])
    world.reports.append(run_transforms(pipeline, tuning=Tuning.of(**SETTINGS)))
    return world


def _day_before(created_at: str):
    from datetime import datetime

    return (datetime.fromisoformat(created_at) - timedelta(days=1)).replace(hour=0, minute=0, second=0)


@pytest.fixture(scope="module", params=ENGINES)
def cases_world(request, tmp_path_factory) -> Iterator[World]:
    root = tmp_path_factory.mktemp(f"rules_{request.param}")
    if request.param == "postgres":
        with throwaway_postgres() as dsn:
            yield _build(root, "postgres", dsn)
    else:
        yield _build(root, "duckdb")


def _findings_touching(world: World, case: Case, ids: set[str]) -> list[tuple]:
    rule = (
        "rule_id like 'catalog\\_%' escape '\\'"
        if case.rule_id == "catalog_severity"
        else f"rule_id = '{case.rule_id}'"
    )
    rows = world.query(
        f"select detection_id, severity, event_ids, summary, rule_id from detections where {rule}"
    )
    return [row for row in rows if set(row[2].split(",")) & ids]


def _hunt_entities(world: World, case: Case) -> set[str]:
    return {row[0] for row in world.query(f"select entity from {case.model}")}


@pytest.mark.parametrize("case", [c for c in CASES if c.model.startswith("det_")], ids=str)
def test_rule_case(cases_world, case):
    if case.expect == "none":
        # a near-miss's history (baseline events) may raise findings of its own; its probe may not
        found = _findings_touching(cases_world, case, case.finding_ids)
        assert found == [], f"{case}: a near-miss raised {found}"
        return
    assert case.expect == "finding", case
    found = _findings_touching(cases_world, case, case.all_ids)
    assert len(found) == 1, f"{case}: expected one finding, got {found}"
    _, severity, event_ids, summary, _ = found[0]
    assert case.finding_ids <= set(event_ids.split(",")), f"{case}: the finding misses planted events"
    assert summary and "None" not in summary, case
    if case.severity:
        assert severity == case.severity, f"{case}: severity {severity}"


@pytest.mark.parametrize("case", [c for c in CASES if c.model.startswith("hunt_")], ids=str)
def test_hunt_case(cases_world, case):
    entities = _hunt_entities(cases_world, case)
    if case.expect == "none":
        assert case.entity not in entities, f"{case}: a near-miss is listed"
    else:
        assert case.expect == "row", case
        assert case.entity in entities, f"{case}: {case.entity} is not listed in {sorted(entities)[:20]}"


def _rule_nodes() -> dict[str, dict]:
    return {n["name"]: n for n in manifest()["nodes"].values() if "detection" in n.get("tags", [])}


def test_the_registry_names_exactly_the_rule_files():
    files = {p.stem for d in RULE_DIRS for p in d.glob("*.sql")}
    assert set(_rule_nodes()) == files
    registry = manifest()["macros"]["macro.box_audit.detection_models"]["macro_sql"]
    assert set(re.findall(r"'((?:det|hunt)_\w+)'", registry)) == files


def test_every_rule_has_its_metadata_and_a_positive_and_a_near_miss_case():
    by_model: dict[str, set[str]] = {}
    for case in CASES:
        by_model.setdefault(case.model, set()).add(case.expect)
    nodes = _rule_nodes()
    assert len(nodes) >= 35
    for name, node in nodes.items():
        meta = node["config"]["meta"]["detection"]
        assert meta["severity"] in SEVERITIES, name
        assert TECHNIQUE.match(meta["technique"]), f"{name}: {meta['technique']}"
        for key in ("title", "tactic", "technique_name", "false_positives", "runbook"):
            assert meta[key].strip(), f"{name} has no {key}"
        assert node["description"].strip(), f"{name} has no description in its .yml"
        positive = "row" if name.startswith("hunt_") else "finding"
        assert by_model.get(name, set()) >= {positive, "none"}, (
            f"{name} needs a positive and a near-miss case"
        )


def test_detection_rules_lists_every_rule_with_its_thresholds(cases_world):
    rows = cases_world.query("select rule_id, kind, enabled, thresholds, technique from detection_rules")
    ids = {row[0] for row in rows}
    assert {n.split("_", 1)[1] for n in _rule_nodes()} - {"catalog_severity"} <= ids
    assert any(i.startswith("catalog_") for i in ids)
    assert len(rows) >= 35
    thresholds = dict((row[0], row[3]) for row in rows)
    assert '"downloads": 100' in thresholds["mass_download"]


def test_findings_have_stable_ids_and_summaries_that_are_never_empty(cases_world):
    rows = cases_world.query(
        "select detection_id, summary, first_seen_at, last_seen_at, event_ids from detections"
    )
    assert rows
    assert len({r[0] for r in rows}) == len(rows)
    for _, summary, first, last, event_ids in rows:
        assert summary and summary.strip()
        assert first <= last and event_ids
