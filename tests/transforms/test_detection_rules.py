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
from pipelines.box_events.exceptions import ConfigurationError
from tests.conftest import NOW, api_for
from tests.transforms.detection_cases import (
    ANCHOR,
    RULE_DIRS,
    SETTINGS,
    Case,
    events_from_specs,
    load_cases,
    replay_events,
)
from tests.transforms.pg import throwaway_postgres
from tests.transforms.world import World
from transforms import TransformFailed, Tuning, run_transforms
from transforms.project import manifest
from transforms.runner import dbt_target, invoke_dbt, transform_variables

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


@pytest.mark.parametrize("cases_world", ["duckdb"], indirect=True)
def test_thresholds_and_switches_are_tuned_without_editing_sql(cases_world):
    """A threshold raised past a planted positive silences it, a switched-off rule raises nothing and
    says so in detection_rules, and a mistake in either names itself in one line."""
    burst = next(c for c in CASES if c.rule_id == "mass_download" and c.expect == "finding")
    tuned = {
        **SETTINGS,
        "rule_thresholds": {"mass_download": {"downloads": 101}},
        "disabled_rules": ["password_spray"],
    }
    try:
        run_transforms(cases_world.pipeline, tuning=Tuning.of(**tuned))
        assert _findings_touching(cases_world, burst, burst.all_ids) == []
        rules = {
            row[0]: row[1:]
            for row in cases_world.query("select rule_id, enabled, thresholds from detection_rules")
        }
        assert rules["mass_download"] == (True, '{"downloads": 101, "window_minutes": 60}')
        assert rules["password_spray"][0] is False
        assert cases_world.query("select count(*) from detections where rule_id = 'password_spray'") == [(0,)]
        # a mistake names itself (dbt compiles the rule and the rule list, as `dbt build` would)
        target = dbt_target(cases_world.pipeline)
        for mistake, message in (
            (
                {"rule_thresholds": {"mass_download": {"download": 5}}},
                "rule mass_download has no threshold 'download'; it has: downloads, window_minutes",
            ),
            ({"disabled_rules": ["mass_downloads"]}, "name the rule 'mass_downloads', which does not exist"),
        ):
            variables = transform_variables(cases_world.pipeline, Tuning.of(**SETTINGS, **mistake))
            with pytest.raises(TransformFailed) as failed:
                invoke_dbt(
                    cases_world.pipeline,
                    target,
                    ["compile", "--select", "det_mass_download detection_rules"],
                    variables,
                )
            assert message in str(failed.value)
    finally:  # the world is shared by the other tests of this module
        run_transforms(cases_world.pipeline, tuning=Tuning.of(**SETTINGS))
    assert len(_findings_touching(cases_world, burst, burst.all_ids)) == 1


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("trusted_ip_ranges", ["10.0.0/8"], "'10.0.0/8' is not an address range such as 203.0.113.0/24"),
        ("trusted_ip_ranges", ["2001:db8::/36"], "a multiple of 16"),
        ("partner_domains", ["partner"], "'partner' is not an email domain such as acme.com"),
        (
            "rule_thresholds",
            {"mass_download": {"downloads": "many"}},
            "must be a number (or a list), not 'many'",
        ),
        ("rule_thresholds", ["mass_download"], "must be a table of rules"),
    ],
)
def test_settings_are_checked_before_dbt_runs(setting, value, message):
    with pytest.raises(ConfigurationError) as failed:
        Tuning.of(**{setting: value})
    assert message in str(failed.value) and "\n" not in str(failed.value)


def test_settings_come_from_the_environment_by_their_names(monkeypatch):
    """`[transforms]` in .dlt/config.toml and TRANSFORMS__<NAME> reach Tuning by the same names (dlt
    reads both; the environment is what a test can set without touching the project's config)."""
    monkeypatch.setenv("TRANSFORMS__PARTNER_DOMAINS", '["LawFirm.example"]')
    monkeypatch.setenv("TRANSFORMS__SERVICE_ACCOUNTS", "svc@acme.example")
    monkeypatch.setenv("TRANSFORMS__TRUSTED_IP_RANGES", "198.51.100.0/24,2001:db8::/32")
    monkeypatch.setenv("TRANSFORMS__RULE_THRESHOLDS", '{"mass_download": {"downloads": 200}}')
    tuning = Tuning.from_config(company_domains=["acme.example"])
    assert tuning == Tuning(
        company_domains=("acme.example",),
        partner_domains=("lawfirm.example",),
        service_accounts=("svc@acme.example",),
        trusted_ip_ranges=("198.51.100.0/24", "2001:db8::/32"),
        rule_thresholds={"mass_download": {"downloads": 200}},
    )
    assert tuning.variables()["rule_thresholds"] == {"mass_download": {"downloads": 200}}


def test_the_rule_catalogue_in_the_docs_lists_every_rule_with_its_severity_and_technique():
    catalogue = (Path(__file__).resolve().parents[2] / "docs" / "detections.md").read_text()
    for node in _rule_nodes().values():
        meta = node["config"]["meta"]["detection"]
        row = next(
            (line for line in catalogue.splitlines() if line.startswith(f"| `{meta['rule_id']}`")), None
        )
        assert row is not None, f"docs/detections.md does not list {meta['rule_id']}"
        assert f"| {meta['severity']} | {meta['technique']} " in row, f"{meta['rule_id']}: {row}"


@pytest.mark.parametrize("history", ["loaded first", "loaded last"])
def test_history_rules_find_the_same_as_a_full_build_whichever_part_came_first(tmp_path, history):
    """A history rule (each login compared with every earlier one of the user) reads the days from the
    first touched one whole and everything older as a summary per user. With the cases' history
    loaded and transformed first and the rest synced after it (a sync), or the recent days first and
    the history after them (a newest-first backfill, whose older loads change what every later day
    compares with), the incremental run finds exactly what a full build finds, the planted
    positives included."""
    history_rules = {
        name.split("_", 1)[1] for name, node in _rule_nodes().items() if "history" in node["tags"]
    }
    assert {"login_new_network", "inactive_user_login"} <= history_rules
    cases = [c for c in CASES if c.rule_id in history_rules]
    events = replay_events(CASES)
    split = (ANCHOR - timedelta(days=1)).replace(hour=0)
    pipeline = jobs.make_pipeline(
        duckdb_path=tmp_path / "warehouse.duckdb", pipelines_dir=tmp_path / "pipelines"
    )
    tuning = Tuning.of(**SETTINGS)
    with running_emulator(now=NOW, replay_events=events) as (emu, srv):
        api = api_for(srv, emu.config)
        older = (_day_before(min(e["created_at"] for e in events)), split)
        parts = [older, (split, NOW)] if history == "loaded first" else [(split, NOW), older]
        jobs.backfill(pipeline, start=parts[0][0], end=parts[0][1], api=api, now=NOW)
        assert run_transforms(pipeline, tuning=tuning).mode == "full"
        jobs.backfill(pipeline, start=parts[1][0], end=parts[1][1], api=api, now=NOW)
    world = World(pipeline=pipeline, events=events, counts={}, planted=[])
    incremental = run_transforms(pipeline, tuning=tuning)
    assert incremental.mode == "incremental"
    if history == "loaded first":
        assert min(incremental.days) >= split.date(), incremental.days
    findings = "select detection_id, event_ids, summary from detections order by 1"
    found = world.query(findings)
    for case in cases:
        hits = _findings_touching(world, case, case.all_ids if case.expect == "finding" else case.finding_ids)
        assert len(hits) == (1 if case.expect == "finding" else 0), f"{case}: {hits}"
    assert run_transforms(pipeline, tuning=tuning, full_rebuild=True).mode == "full"
    assert world.query(findings) == found


def test_a_day_whose_findings_all_went_away_is_emptied_by_the_incremental_run(tmp_path):
    """A late login from a network on the day before makes the next day's login from it not new:
    that day's only finding goes away. dbt's delete+insert replaces the days its new rows are on, so
    the emptied day kept its finding; the day-local models replace every day they rebuilt."""
    specs = [
        {
            "type": "LOGIN",
            "actor": "traveller",
            "at": "-12d",
            "count": 10,
            "every": "1d",
            "ip": "203.0.113.60",
        },
        {"type": "LOGIN", "actor": "traveller", "at": "-1d", "ip": "185.220.101.9"},  # loaded late
        {"type": "LOGIN", "actor": "traveller", "at": "+2h", "ip": "185.220.101.10"},  # same /16
    ]
    events = events_from_specs("vanishing", specs)
    late_day = (ANCHOR - timedelta(days=1)).replace(hour=0)
    pipeline = jobs.make_pipeline(
        duckdb_path=tmp_path / "warehouse.duckdb", pipelines_dir=tmp_path / "pipelines"
    )
    tuning = Tuning.of(**SETTINGS)
    query = "select occurred_on from {table} where {rule} order by 1"
    tables = {"detections": "rule_id = 'login_new_network'", "det_login_new_network": "true"}
    with running_emulator(now=NOW, replay_events=events) as (emu, srv):
        api = api_for(srv, emu.config)
        start = _day_before(min(e["created_at"] for e in events))
        jobs.backfill(pipeline, start=start, end=late_day, api=api, now=NOW)
        jobs.backfill(pipeline, start=late_day + timedelta(days=1), end=NOW, api=api, now=NOW)
        assert run_transforms(pipeline, tuning=tuning).mode == "full"
        world = World(pipeline=pipeline, events=events, counts={}, planted=[])
        found = world.query(query.format(table="detections", rule=tables["detections"]))
        assert found == [(ANCHOR.date(),)], "no finding to go away: the test proves nothing"
        jobs.backfill(pipeline, start=late_day, end=late_day + timedelta(days=1), api=api, now=NOW)
    assert run_transforms(pipeline, tuning=tuning).mode == "incremental"
    for table, rule in tables.items():
        assert world.query(query.format(table=table, rule=rule)) == [(late_day.date(),)], table
