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


def test_fast_and_general_decoders_build_identical_tables():
    from pipelines.box_events.arrow_pages import decode_page

    event = {
        "type": "event",
        "event_id": "e1",
        "event_type": "COLLABORATION_INVITE",
        "created_at": "2026-07-04T09:02:47-07:00",
        "created_by": {"type": "user", "id": "7", "name": "Ann", "login": "ann@example.com"},
        "source": {"item_type": "folder", "item_id": "12", "item_name": "Deals"},
        "accessible_by": {"type": "user", "id": "9", "name": "Ext", "login": "ext@gmail.com"},
        "additional_details": {"collab_id": "55", "role": "editor", "is_performed_by_admin": False},
        "ip_address": "10.0.0.1",
        "session_id": "s-1",
        "action_by": None,
    }
    body = json.dumps(
        {
            "chunk_size": 2,
            "next_stream_position": BIG,
            "entries": [event, {**event, "event_id": "e2", "created_by": None}],
        }
    ).encode()
    fast, position = decode_page(body)
    assert position == str(BIG)
    general = events_to_table(json.loads(body)["entries"])
    for name in general.column_names:
        if name in ("source", "additional_details", "accessible_by", "created_by", "action_by"):
            # same JSON, whitespace aside
            assert [None if v is None else json.loads(v) for v in fast[name].to_pylist()] == [
                None if v is None else json.loads(v) for v in general[name].to_pylist()
            ]
        else:
            assert fast[name].equals(general[name]), name


def test_a_page_with_a_field_box_added_takes_the_general_path_and_keeps_it():
    body = json.dumps(
        {
            "next_stream_position": "9",
            "entries": [
                {
                    "event_id": "x",
                    "event_type": "LOGIN",
                    "created_at": "2026-01-01T00:00:00-08:00",
                    "region": "eu",
                }
            ],
        }
    ).encode()
    page = parse_page(body)
    assert page.next_position == "9"
    assert json.loads(page.events.column("extra")[0].as_py()) == {"region": "eu"}


def test_a_checkpoint_never_yields_the_same_event_twice():
    from pipelines.box_events.fetch import FirstSightings

    first_sightings = FirstSightings()
    page = pa.table({"event_id": ["a", "b", "a", "c"]})
    assert first_sightings(page).column("event_id").to_pylist() == ["a", "b", "c"]
    assert first_sightings(pa.table({"event_id": ["c", "d"]})).column("event_id").to_pylist() == ["d"]
    clean = pa.table({"event_id": ["e", "f"]})
    assert first_sightings(clean) is clean
