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
    by_item: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if event["event_type"] in SHARING and _item_id(event):
            by_item.setdefault(_item_id(event), []).append(event)
    open_now = set()
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
        if access == "open" and (expiry is None or datetime.fromisoformat(expiry) > now):
            open_now.add(item)
    return open_now


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
