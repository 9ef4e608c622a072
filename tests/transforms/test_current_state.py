"""The current-state tables say what is true now, net of later events, computed here independently
from what the emulator served."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

CLOSING = {"UNSHARE", "SHARE_EXPIRATION", "ITEM_SHARED_UNSHARE"}
SHARING = {"SHARE", "UNSHARE", "ITEM_SHARED_UPDATE", "SHARE_EXPIRATION", "UPDATE_SHARE_EXPIRATION"}


def _when(event: dict[str, Any]) -> tuple[datetime, str]:
    return datetime.fromisoformat(event["created_at"]), event["event_id"]


def _item_id(event: dict[str, Any]) -> str | None:
    source = event.get("source") or {}
    return source.get("item_id") or source.get("id")


def expected_open_links(events: list[dict[str, Any]]) -> set[str]:
    return {item for item, access in expected_shared_links(events).items() if access == "open"}


def expected_shared_links(events: list[dict[str, Any]]) -> dict[str, str | None]:
    """Every item whose link is shared now (not removed or expired since), with its newest access."""
    by_item: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if event["event_type"] in SHARING and _item_id(event):
            by_item.setdefault(_item_id(event), []).append(event)
    shared_now: dict[str, str | None] = {}
    now = datetime.now(UTC)
    for item, history in by_item.items():
        history.sort(key=_when)
        closes = [i for i, e in enumerate(history) if e["event_type"] in CLOSING]
        since = history[closes[-1] + 1 :] if closes else history
        if not since:
            continue
        details = [e.get("additional_details") or {} for e in since]
        access = next(
            (d["shared_link_access"] for d in reversed(details) if d.get("shared_link_access")), None
        )
        expiry = next(
            (d["shared_link_expires_at"] for d in reversed(details) if d.get("shared_link_expires_at")), None
        )
        if expiry is None or datetime.fromisoformat(expiry) > now:
            shared_now[item] = access
    return shared_now


def test_open_shared_links_now_are_net_of_unshares_and_expiries(world):
    expected = expected_open_links(world.events)
    ever_opened = {
        _item_id(e)
        for e in world.events
        if e["event_type"] in SHARING
        and (e.get("additional_details") or {}).get("shared_link_access") == "open"
    }
    assert expected and ever_opened - expected, "nothing was closed again: the test would prove nothing"
    assert {row[0] for row in world.query("select item_id from cur_open_shared_links")} == expected


def test_admins_now_follow_the_newest_role_change_and_deletions(world):
    newest: dict[str, tuple[tuple[datetime, str], str]] = {}
    deleted: dict[str, datetime] = {}
    for event in world.events:
        source = event.get("source") or {}
        if event["event_type"] == "CHANGE_ADMIN_ROLE" and source.get("type") == "user":
            role = (event.get("additional_details") or {}).get("new_role")
            if source["id"] not in newest or _when(event) > newest[source["id"]][0]:
                newest[source["id"]] = (_when(event), role)
        if event["event_type"] == "DELETE_USER" and source.get("type") == "user":
            deleted[source["id"]] = _when(event)[0]
    expected = {
        user for user, (_, role) in newest.items() if role in ("admin", "coadmin") and user not in deleted
    }
    assert expected, "no admins: the test would prove nothing"
    assert {row[0] for row in world.query("select user_id from cur_admins")} == expected


def test_the_promotions_question_lists_no_demotion(world):
    from tests.transforms.test_analyst_guide import EXAMPLES

    promotions = next(sql for sql in EXAMPLES if "promotions" in sql or "as was" in sql)
    rank = {"admin": 2, "coadmin": 1}
    rows = world.query(promotions.replace("and occurred_on >= date_trunc('quarter', current_date)", ""))
    assert rows, "no promotion in the world: the test would prove nothing"
    for *_, was, now in rows:
        assert rank.get(now, 0) > rank.get(was, 0), (was, now)


def test_links_removed_in_a_later_load_leave_the_current_state_of_an_incremental_run(tmp_path):
    """`int_shared_links` is rebuilt only for the items a newer load touched: a link shared in the
    first load and removed in the second drops out of cur_shared_links on the incremental run, a link
    changed in the second shows its new access, an untouched one stays, and the whole equals what the
    events say."""
    from datetime import timedelta

    from box_emulator.testing import running_emulator
    from pipelines import jobs
    from tests.conftest import NOW, api_for
    from tests.transforms.detection_cases import ANCHOR, events_from_specs
    from transforms import run_transforms

    def link(kind: str, item: str, at: str, access: str | None = None) -> dict[str, Any]:
        details = {"shared_link_id": f"link-{item}", **({"shared_link_access": access} if access else {})}
        return {"type": kind, "actor": "sharer", "item": item, "at": at, "details": details}

    events = events_from_specs(
        "links",
        [
            link("SHARE", "closed.pdf", "-3d", "open"),
            link("SHARE", "changed.pdf", "-3d", "company"),
            link("SHARE", "kept.pdf", "-3d", "open"),
            link("UNSHARE", "closed.pdf", "+1h"),
            link("ITEM_SHARED_UPDATE", "changed.pdf", "+2h", "open"),
            link("SHARE", "new.pdf", "+3h", "collaborators"),
        ],
    )
    pipeline = jobs.make_pipeline(
        duckdb_path=tmp_path / "warehouse.duckdb", pipelines_dir=tmp_path / "pipelines"
    )
    start, split = ANCHOR - timedelta(days=4), ANCHOR - timedelta(days=1)
    with running_emulator(now=NOW, replay_events=events) as (emu, srv):
        api = api_for(srv, emu.config)
        jobs.backfill(pipeline, start=start, end=split, api=api, now=NOW)
        assert run_transforms(pipeline).mode == "full"
        first = dict(_query(pipeline, "select item_id, shared_link_access from cur_shared_links"))
        jobs.backfill(pipeline, start=split, end=NOW, api=api, now=NOW)
    assert run_transforms(pipeline).mode == "incremental"
    expected = expected_shared_links(events)
    assert len(first) == 3 and len(expected) == 3 and set(first) - set(expected), (first, expected)
    assert sorted(set(first.values())) == ["company", "open"] and "collaborators" in expected.values()
    assert dict(_query(pipeline, "select item_id, shared_link_access from cur_shared_links")) == expected


def _query(pipeline: Any, sql: str) -> list[tuple[Any, ...]]:
    with pipeline.sql_client() as client:
        return list(client.execute_sql(sql) or [])
