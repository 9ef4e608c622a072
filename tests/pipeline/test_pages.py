"""Page parsing and the Arrow conversion: positions exact, every field kept."""

import json

import pyarrow as pa

from pipelines.box_events.arrow_pages import EVENTS_SCHEMA, events_to_table
from pipelines.box_events.client import parse_page

BIG = 2**60 + 12345678901  # above 2^53: a float would round it


def test_positions_stay_exact_strings_as_bare_numbers_and_above_64_bits():
    assert parse_page(json.dumps({"entries": [], "next_stream_position": BIG}).encode()).next_position == str(
        BIG
    )
    huge = 2**70 + 1
    assert parse_page(f'{{"entries": [], "next_stream_position": {huge}}}'.encode()).next_position == str(
        huge
    )
    assert parse_page(b'{"entries": [], "next_stream_position": "1152922976252290886"}').next_position == (
        "1152922976252290886"
    )


def test_every_field_is_kept_and_unknown_top_level_fields_land_in_extra():
    event = {
        "type": "event",
        "event_id": "b7d41e09",
        "event_type": "DOWNLOAD",
        "created_at": "2024-03-04T09:02:47-08:00",
        "created_by": {"type": "user", "id": "2", "name": "Unknown User", "login": ""},
        "source": {"item_type": "file", "item_id": "1398745521003", "parent": {"type": "folder", "id": "1"}},
        "ip_address": "203.0.113.7",
        "session_id": None,
        "action_by": None,
        "additional_details": {"size": 482133, "shared_link_id": "k3v9q2w8"},
        "region": "us-west",
    }
    table = events_to_table([event])
    assert table.schema == EVENTS_SCHEMA
    row = table.to_pylist()[0]
    assert row["created_at"].isoformat() == "2024-03-04T17:02:47+00:00"
    assert (row["created_by_id"], row["created_by_login"]) == ("2", "")
    assert json.loads(row["source"]) == event["source"]
    assert json.loads(row["additional_details"]) == event["additional_details"]
    assert json.loads(row["extra"]) == {"region": "us-west"}
    assert row["action_by"] is None and row["accessible_by"] is None


def test_an_empty_page_makes_an_empty_table_of_the_same_schema():
    assert events_to_table([]).schema == EVENTS_SCHEMA
    assert events_to_table([]).num_rows == 0
    assert isinstance(events_to_table([]), pa.Table)
