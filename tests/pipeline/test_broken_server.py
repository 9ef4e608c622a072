"""A server that answers 200 with something unusable: the window ends with one line naming the request
and what was wrong, nothing of it is loaded, and what earlier checkpoints committed stays."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from box_emulator import SystemClock
from box_emulator.testing import running_emulator
from pipelines import jobs
from pipelines.box_events.client import BoxEventsClient, Page
from pipelines.box_events.settings import BOUNDARY_SLACK, PAGE_LIMIT
from pipelines.cli import app
from tests.conftest import api_for

DAY = timedelta(days=1)

EXPECTED = {
    "invalid_json": "the answer is not JSON",
    "html": "the answer is not JSON (it starts '<html>",
    "null": "the answer is null, not an events object",
    "entries_not_list": "entries is an object, not a list",
    "missing_event_id": "has no event_id",
    "bad_created_at": "'yesterday at noon' is not an RFC 3339 date-time",
    "missing_position": "has entries but no next_stream_position",
    "stuck_position_same": "does not advance while pages keep coming",
    "stuck_position_new": "does not advance while pages keep coming",
}


def _requests_for(emu, start: datetime, end: datetime) -> int:
    """How many 200 answers a clean read of the window takes: its pages and the empty terminal one."""
    events = len(emu.oracle.event_ids(start - BOUNDARY_SLACK, end))
    return math.ceil(events / PAGE_LIMIT) + 1


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_an_unusable_page_ends_the_window_in_one_line_and_loads_nothing_of_it(warehouse, kind):
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = midnight - 8 * DAY, midnight - 5 * DAY
    with running_emulator(clock=SystemClock(), events_per_day=700) as (clean, _):
        # newest first: the newest window is read (and committed) first, the next one breaks
        good_answers = _requests_for(clean, end - DAY, end)
        first_window = clean.oracle.event_ids(end - DAY, end)
    with running_emulator(
        clock=SystemClock(), events_per_day=700, corrupt_answer=kind, corrupt_after_requests=good_answers
    ) as (emu, srv):
        env = {
            "SOURCES__BOX_EVENTS__API_BASE_URL": srv.api_base_url,
            "SOURCES__BOX_EVENTS__TOKEN_URL": srv.token_url,
            "SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN": emu.config.developer_token,
        }
        result = CliRunner().invoke(
            app,
            [
                "backfill",
                "--start",
                start.isoformat(),
                "--end",
                end.isoformat(),
                "--concurrency",
                "1",
                "--windows-per-run",
                "1",
                "--duckdb-path",
                str(warehouse.path),
                "--pipelines-dir",
                str(warehouse.pipelines_dir),
                "--no-transform",
            ],
            env=env,
        )
        corrupted = emu.stats_dict()["corrupt_answers"]
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert result.exit_code == 2, result.output
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    assert EXPECTED[kind] in errors[0], errors[0]
    assert "GET /2.0/events for window [" in errors[0] and emu.config.developer_token not in result.output
    assert corrupted >= 1
    # the first window's checkpoint is committed whole; nothing of the broken window is loaded
    assert set(warehouse.event_ids()) == first_window and len(warehouse.event_ids()) == len(first_window)
    assert [row[:2] for row in warehouse.ledger()] == [(end - DAY, end)]


def test_one_event_served_in_two_windows_of_a_run_is_loaded_once(warehouse, assert_exact, monkeypatch):
    """Box promises no duplicates; if it sends one event in two windows (with two created_at), the
    run still stages each event_id once, so the deduplicated merge cannot load it twice."""
    from box_emulator import ManualClock
    from tests.conftest import MIDNIGHT, NOW

    real_window_pages = BoxEventsClient.window_pages
    first_pages: list = []

    def window_pages_with_a_repeat(self, window, event_types=()):
        for page in real_window_pages(self, window, event_types):
            if window.start == MIDNIGHT - 2 * DAY:
                first_pages.append(page)
            elif first_pages:  # the later window also carries an event of the earlier one
                repeated = first_pages[0].events.slice(0, 1)
                moved = repeated.set_column(
                    repeated.schema.get_field_index("created_at"),
                    "created_at",
                    page.events.column("created_at").slice(0, 1),
                )
                page = Page(pa.concat_tables([page.events, moved]), page.next_position)
            yield page

    monkeypatch.setattr(BoxEventsClient, "window_pages", window_pages_with_a_repeat)
    with running_emulator(clock=ManualClock(NOW), events_per_day=600) as (emu, srv):
        api = api_for(srv, emu.config, concurrency=1)
        # oldest first: both windows in one run (newest first, the newest day commits alone)
        jobs.backfill(
            warehouse.pipeline(),
            start=MIDNIGHT - 2 * DAY,
            end=MIDNIGHT,
            api=api,
            now=NOW,
            order="oldest-first",
        )
        assert first_pages, "the repeat was never served: the test proves nothing"
        assert_exact(warehouse, emu.oracle.event_ids(MIDNIGHT - 2 * DAY, MIDNIGHT))
