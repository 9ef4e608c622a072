"""`corrupt_answer`: from the (N+1)-th admin_logs page on, the emulator answers 200 with a broken page.

Every test reads the same window from a twin emulator without corruption (same seed, same clock,
so the same pages) and checks that the corrupted one answers exactly the documented thing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from box_emulator import EmulatorServer
from box_emulator.config import CORRUPT_KINDS, EmulatorConfig
from box_emulator.corruption import STUCK_START_POSITION
from box_emulator.testing import running_emulator

AFTER = datetime(2026, 11, 18, tzinfo=UTC)
BEFORE = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW = {
    "stream_type": "admin_logs",
    "created_after": AFTER.isoformat(),
    "created_before": BEFORE.isoformat(),
    "limit": 5,
}
TOKEN = EmulatorConfig().developer_token


def client_for(srv: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=srv.api_base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)


@contextmanager
def corrupted_and_twin(**config: Any) -> Iterator[tuple[Any, httpx.Client, httpx.Client]]:
    """(corrupted emulator, a client on it, a client on an uncorrupted twin)."""
    twin_config = {k: v for k, v in config.items() if not k.startswith("corrupt_")}
    with ExitStack() as stack:
        emu, srv = stack.enter_context(running_emulator(**config))
        _, twin_srv = stack.enter_context(running_emulator(**twin_config))
        yield emu, stack.enter_context(client_for(srv)), stack.enter_context(client_for(twin_srv))


def get(client: httpx.Client, position: str | None = None, **params: Any) -> httpx.Response:
    query = {**WINDOW, **params}
    if position is not None:
        query["stream_position"] = position
    response = client.get("/events", params=query)
    assert response.status_code == 200
    return response


def real_pages(client: httpx.Client, n: int) -> list[dict[str, Any]]:
    """The first n pages of the window, following positions."""
    pages, position = [], None
    for _ in range(n):
        page = orjson.loads(get(client, position).content)
        pages.append(page)
        position = str(page["next_stream_position"])
    return pages


def positions(pages: list[dict[str, Any]]) -> list[str]:
    return [str(p["next_stream_position"]) for p in pages]


def test_an_unknown_kind_or_a_negative_count_is_a_value_error_that_lists_the_kinds():
    with pytest.raises(ValueError, match="stuck_position_new"):
        EmulatorConfig(corrupt_answer="garbage")
    with pytest.raises(ValueError, match="corrupt_after_requests"):
        EmulatorConfig(corrupt_answer="null", corrupt_after_requests=-1)
    assert EmulatorConfig().corrupt_answer is None and EmulatorConfig().corrupt_after_requests == 0


@pytest.mark.parametrize(
    ("kind", "content_type", "body"),
    [
        ("invalid_json", "application/json", b'{"entries": ['),
        ("html", "text/html", b"<html><body>Service temporarily unavailable</body></html>"),
        ("null", "application/json", b"null"),
    ],
)
def test_after_n_real_pages_every_answer_is_the_broken_body(kind, content_type, body):
    with corrupted_and_twin(corrupt_answer=kind, corrupt_after_requests=2) as (emu, client, twin):
        expected = real_pages(twin, 3)
        first = get(client)
        second = get(client, positions(expected)[0])
        assert [orjson.loads(first.content), orjson.loads(second.content)] == expected[:2]
        for _ in range(2):  # and every later one
            broken = get(client, positions(expected)[1])
            assert broken.content == body
            assert broken.headers["content-type"] == content_type
        stats = emu.stats_dict()
        assert stats["corrupt_answers"] == 2 and stats["responses_200"] == 4
        assert stats["events_served"] == 10  # the two real pages only


def test_entries_not_list_keeps_the_real_next_position():
    with corrupted_and_twin(corrupt_answer="entries_not_list", corrupt_after_requests=1) as (_, client, twin):
        expected = real_pages(twin, 2)
        assert orjson.loads(get(client).content) == expected[0]
        broken = orjson.loads(get(client, positions(expected)[0]).content)
        assert broken == {
            "chunk_size": 1,
            "entries": {"oops": 1},
            "next_stream_position": expected[1]["next_stream_position"],
        }
        assert list(broken) == ["chunk_size", "entries", "next_stream_position"]


def _without_event_id(page: dict[str, Any]) -> None:
    del page["entries"][0]["event_id"]


def _bad_created_at(page: dict[str, Any]) -> None:
    page["entries"][0]["created_at"] = "yesterday at noon"


def _without_position(page: dict[str, Any]) -> None:
    del page["next_stream_position"]


@pytest.mark.parametrize(
    ("kind", "damage"),
    [
        ("missing_event_id", _without_event_id),
        ("bad_created_at", _bad_created_at),
        ("missing_position", _without_position),
    ],
)
def test_the_real_page_with_one_thing_broken(kind, damage):
    with corrupted_and_twin(corrupt_answer=kind, corrupt_after_requests=1) as (emu, client, twin):
        expected = real_pages(twin, 3)
        assert orjson.loads(get(client).content) == expected[0]
        for page, position in zip(expected[1:], positions(expected)[:2], strict=True):
            damage(page)
            assert orjson.loads(get(client, position).content) == page
        assert emu.stats.corrupt_answers == 2
        assert emu.oracle.event_ids(AFTER, BEFORE)  # the data is untouched


def test_an_empty_page_has_no_first_entry_to_break():
    with corrupted_and_twin(corrupt_answer="missing_event_id") as (emu, client, twin):
        empty = {"event_type": "NO_SUCH_TYPE"}
        assert get(client, **empty).content == get(twin, **empty).content
        assert emu.stats.corrupt_answers == 0


def test_stuck_position_same_serves_the_first_page_with_the_position_sent():
    with corrupted_and_twin(corrupt_answer="stuck_position_same") as (emu, client, twin):
        first = real_pages(twin, 1)[0]
        assert orjson.loads(get(client).content) == first  # no position sent: the real one
        for _ in range(3):  # the client follows it, and gets the same page and position forever
            assert orjson.loads(get(client, positions([first])[0]).content) == first
        assert emu.stats.corrupt_answers == 4


def test_stuck_position_same_after_n_pages_echoes_the_position_the_client_reached():
    with corrupted_and_twin(corrupt_answer="stuck_position_same", corrupt_after_requests=2) as (
        _,
        client,
        twin,
    ):
        expected = real_pages(twin, 2)
        assert real_pages(client, 2) == expected
        reached = positions(expected)[1]
        for _ in range(2):
            page = orjson.loads(get(client, reached).content)
            assert page == {**expected[0], "next_stream_position": reached}


def test_stuck_position_same_writes_positions_as_numbers_when_the_emulator_does():
    config = {"corrupt_answer": "stuck_position_same", "positions_as_numbers": True}
    with corrupted_and_twin(**config) as (_, client, twin):
        first = real_pages(twin, 1)[0]
        assert isinstance(first["next_stream_position"], int)
        assert orjson.loads(get(client, str(first["next_stream_position"])).content) == first


def test_stuck_position_new_makes_up_fresh_events_in_the_window_and_never_moves():
    with corrupted_and_twin(corrupt_answer="stuck_position_new") as (emu, client, twin):
        real = real_pages(twin, 1)[0]["entries"]
        seen: set[str] = set()
        position = None
        for _ in range(3):
            page = orjson.loads(get(client, position).content)
            assert page["next_stream_position"] == (position or STUCK_START_POSITION)
            position = page["next_stream_position"]
            entries = page["entries"]
            assert page["chunk_size"] == len(entries) == len(real)
            ids = {e["event_id"] for e in entries}
            assert len(ids) == len(entries) and not ids & seen  # fresh every time
            seen |= ids
            for made_up, template in zip(entries, real, strict=True):
                assert made_up.keys() == template.keys()
                assert AFTER <= datetime.fromisoformat(made_up["created_at"]) < BEFORE
        assert not seen & emu.oracle.event_ids(AFTER, BEFORE)  # made up: not in the oracle


def test_stuck_position_new_after_n_pages_echoes_the_position_sent():
    with corrupted_and_twin(corrupt_answer="stuck_position_new", corrupt_after_requests=1) as (
        _,
        client,
        twin,
    ):
        expected = real_pages(twin, 1)
        assert real_pages(client, 1) == expected
        sent = positions(expected)[0]
        page = orjson.loads(get(client, sent).content)
        assert page["next_stream_position"] == sent
        assert {e["event_id"] for e in page["entries"]}.isdisjoint(
            e["event_id"] for e in expected[0]["entries"]
        )


def test_stuck_position_new_in_an_empty_window_makes_up_one_event_inside_it():
    with running_emulator(corrupt_answer="stuck_position_new") as (_, srv), client_for(srv) as client:
        page = orjson.loads(get(client, event_type="NO_SUCH_TYPE").content)
        [event] = page["entries"]
        assert event["event_type"] == "NO_SUCH_TYPE" and event["event_id"]
        assert AFTER <= datetime.fromisoformat(event["created_at"]) < BEFORE


def test_only_admin_logs_pages_count_and_are_broken():
    with running_emulator(corrupt_answer="null", corrupt_after_requests=1) as (emu, srv):
        with client_for(srv) as client:
            assert client.get("/events", params={"stream_type": "admin_logs_streaming"}).json()["entries"]
            unauthorized = httpx.get(f"{srv.api_base_url}/events", params=WINDOW, timeout=10)
            assert unauthorized.status_code == 401  # errors are not answered pages
            assert orjson.loads(get(client).content)["entries"]  # still the first page
            assert get(client).content == b"null"
            assert client.get("/events", params={"stream_type": "admin_logs_streaming"}).json()["entries"]
            bad = client.get("/events", params={**WINDOW, "limit": 501})
            assert bad.status_code == 400  # validation still comes first
        assert emu.stats.corrupt_answers == 1


def test_every_kind_is_covered_here():
    covered = {
        "invalid_json",
        "html",
        "null",
        "entries_not_list",
        "missing_event_id",
        "bad_created_at",
        "missing_position",
        "stuck_position_same",
        "stuck_position_new",
    }
    assert set(CORRUPT_KINDS) == covered
