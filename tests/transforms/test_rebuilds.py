"""Re-running is idempotent; transforms after a sync rebuild only the touched days and agree with
a full rebuild; changing the company domains rebuilds everything."""

from __future__ import annotations

from datetime import timedelta

from box_emulator.testing import running_emulator
from pipelines import jobs
from tests.conftest import NOW, api_for
from tests.transforms.world import DAY, snapshot
from transforms import Tuning, run_transforms
from transforms.project import list_models

TABLES = [m.name for m in list_models() if m.materialized not in ("seed", "view")]


def _snapshots(pipeline) -> dict:
    return {name: snapshot(pipeline, name) for name in TABLES}


def test_a_second_run_with_nothing_loaded_changes_nothing(world):
    before = {name: world.table(name) for name in ("stg_box__events", "detections")}
    report = run_transforms(world.pipeline)
    assert report.mode == "noop"
    assert {name: world.table(name) for name in before} == before


def test_transforms_after_a_sync_rebuild_only_touched_days_and_match_a_full_rebuild(tmp_path):
    pipeline = jobs.make_pipeline(
        duckdb_path=tmp_path / "warehouse.duckdb", pipelines_dir=tmp_path / "pipelines"
    )
    with running_emulator(now=NOW, seed=3, events_per_day=800) as (emu, srv):
        api = api_for(srv, emu.config)
        jobs.backfill(pipeline, start=NOW - 8 * DAY, end=NOW - 2 * DAY, api=api, now=NOW)
        first = run_transforms(pipeline)
        sync = jobs.sync(pipeline, api=api, lag=timedelta(minutes=2), now=NOW)
        assert sync.events > 0
        served = emu.oracle.event_ids(NOW - 8 * DAY, NOW - timedelta(minutes=2))
        previews = emu.oracle.counts_by_type(NOW - 8 * DAY, NOW - timedelta(minutes=2))["PREVIEW"]

    after_sync = run_transforms(pipeline)
    assert first.mode == "full" and after_sync.mode == "incremental"
    assert 1 <= len(after_sync.days) <= 4, after_sync.days  # the overlap day(s) and the new ones
    assert after_sync.model("stg_box__events").rows == len(served)
    built = {run.name: run.materialized for run in after_sync.models}
    assert "detections" in built and "view" not in built.values(), "an incremental run re-created views"
    incremental = _snapshots(pipeline)

    rebuilt = run_transforms(pipeline, full_rebuild=True)
    assert rebuilt.mode == "full"
    assert _snapshots(pipeline) == incremental
    assert run_transforms(pipeline).mode == "noop"

    # rows removed from the raw table (a dlt refresh, a manual delete): only a full build follows
    with pipeline.sql_client() as client:
        client.execute_sql(f"delete from {client.make_qualified_table_name('admin_logs')} "
                           "where event_type = 'PREVIEW'")  # fmt: skip
    after_delete = run_transforms(pipeline)
    assert after_delete.mode == "full" and "removed" in after_delete.reason
    assert after_delete.model("stg_box__events").rows == len(served) - previews

    # a view dropped by hand: the next run builds everything again, the view included
    with pipeline.sql_client() as client:
        client.execute_sql(f"drop view {client.make_qualified_table_name('det_password_spray')}")
    after_drop = run_transforms(pipeline)
    assert (after_drop.mode, after_drop.reason) == ("full", "det_password_spray is missing")
    with pipeline.sql_client() as client:
        client.execute_sql(f"select count(*) from {client.make_qualified_table_name('det_password_spray')}")


def test_changing_the_company_domains_rebuilds_and_reclassifies_externals(world, tmp_path):
    partner = "partner.example.org"
    query = (
        "select count(*) from audit_collaboration "
        f"where collaborator_is_external and collaborator_domain = '{partner}'"
    )
    assert world.query(query)[0][0] > 0, "no partner collaborators: the test would prove nothing"
    try:
        report = run_transforms(
            world.pipeline, tuning=Tuning.of(company_domains=["example.com", f"@{partner}"])
        )
        assert report.mode == "full"
        assert world.query(query) == [(0,)]
    finally:  # the world is shared: put it back as it was
        assert run_transforms(world.pipeline).mode == "full"
    assert world.query(query)[0][0] > 0
