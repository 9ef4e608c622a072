"""Acceptance: Box's official SDK (box_sdk_gen) pages a window and reads every event type.

Note: the SDK appends `/2.0/events` to `BaseUrls.base_url`, so the right value is
`srv.base_url`; the emulator also tolerates `srv.api_base_url` (a doubled `/2.0`).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from box_sdk_gen import BaseUrls, BoxClient, BoxDeveloperTokenAuth, NetworkSession
from box_sdk_gen.managers.events import GetEventsStreamType
from box_sdk_gen.schemas.event import EventEventTypeField

from box_emulator.event_types import BOX_EVENT_TYPES, UNLISTED_EVENT_TYPES
from box_emulator.testing import DEFAULT_TEST_NOW


@pytest.mark.parametrize("base", ["base_url", "api_base_url"])
def test_box_sdk_pages_a_window_and_reads_every_type(emulator_server, base):
    emu, srv = emulator_server(events_per_day=300)
    urls = BaseUrls(
        base_url=getattr(srv, base), oauth_2_url=f"{srv.base_url}/oauth2", upload_url=f"{srv.base_url}/api"
    )
    client = BoxClient(
        auth=BoxDeveloperTokenAuth(token=emu.config.developer_token),
        network_session=NetworkSession(base_urls=urls),
    )
    # ten whole UTC days (the floor puts every type into any ten) and the parts around them
    after = DEFAULT_TEST_NOW - timedelta(days=11)
    before = DEFAULT_TEST_NOW
    position = None
    events = []
    positions = []
    for _ in range(200):
        page = client.events.get_events(
            stream_type=GetEventsStreamType.ADMIN_LOGS,
            created_after=after,
            created_before=before,
            limit=500,
            stream_position=position,
        )
        positions.append(page.next_stream_position)
        if not page.entries:
            break
        events.extend(page.entries)
        position = str(page.next_stream_position)
    assert positions[-1] == positions[-2]
    ids = [e.event_id for e in events]
    assert set(ids) == emu.oracle.event_ids(after, before) and len(ids) == len(set(ids))
    raw_types = {e.raw_data.get("event_type") if e.raw_data else None for e in events}
    types = {
        e.event_type.value if isinstance(e.event_type, EventEventTypeField) else e.event_type for e in events
    }
    assert raw_types in ({None}, types)
    assert set(BOX_EVENT_TYPES) <= types, set(BOX_EVENT_TYPES) - types
    assert types & set(UNLISTED_EVENT_TYPES)
    unknown = [e for e in events if not isinstance(e.event_type, EventEventTypeField)]
    assert unknown and all(isinstance(e.event_type, str) for e in unknown)
    for e in events:
        assert e.created_at.tzinfo is not None
        assert e.created_by is not None and e.created_by.id
