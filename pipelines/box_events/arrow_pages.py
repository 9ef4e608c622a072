"""Pages of Box events → Arrow tables with a fixed schema: the fast path into parquet.

dlt's per-row normaliser is the slow part of loading dicts; an Arrow table skips it. The typed core
columns are pulled out, the nested objects are kept whole as JSON text (dlt `json` columns), and any
top-level field Box adds later lands in `extra`, so nothing Box sends is ever dropped.

Two decoders, one result. The fast one (msgspec) decodes each event straight into a typed struct and
keeps each nested object as its raw JSON bytes: no Python dict is built for it and nothing is
re-serialized. It refuses an event with a field it does not know; that event (a few per thousand) goes
through the general decoder (orjson → dict), which keeps unknown fields in `extra`. Tests hold the two
to identical tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.schema.typing import TTableSchemaColumns

from .exceptions import BoxResponseError

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

TEXT_FIELDS = ("event_id", "event_type", "ip_address", "session_id", "type")
JSON_FIELDS = ("created_by", "source", "additional_details", "action_by", "accessible_by")
TIME_FIELDS = ("created_at", "recorded_at")
KNOWN_FIELDS = frozenset((*TEXT_FIELDS, *JSON_FIELDS, *TIME_FIELDS))

ACTOR_FIELDS = (("created_by_id", "id"), ("created_by_name", "name"), ("created_by_login", "login"))

EVENTS_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("event_type", pa.string()),
        pa.field("created_at", UTC_TIMESTAMP),
        *(pa.field(name, pa.string()) for name, _ in ACTOR_FIELDS),
        pa.field("ip_address", pa.string()),
        pa.field("session_id", pa.string()),
        pa.field("type", pa.string()),
        pa.field("recorded_at", UTC_TIMESTAMP),
        *(pa.field(name, pa.string()) for name in JSON_FIELDS),
        pa.field("extra", pa.string()),
    ]
)

EVENTS_COLUMNS: TTableSchemaColumns = {
    "event_id": {"data_type": "text", "nullable": False, "primary_key": True},
    "event_type": {"data_type": "text"},
    "created_at": {"data_type": "timestamp", "timezone": True},
    **{name: {"data_type": "text"} for name, _ in ACTOR_FIELDS},
    "ip_address": {"data_type": "text"},
    "session_id": {"data_type": "text"},
    "type": {"data_type": "text"},
    "recorded_at": {"data_type": "timestamp", "timezone": True},
    **{name: {"data_type": "json"} for name in (*JSON_FIELDS, "extra")},
}
"""dlt column hints matching EVENTS_SCHEMA: the JSON text columns become `json` in the warehouse."""


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def events_to_table(entries: Sequence[Any]) -> pa.Table:
    """Turn Box event objects into one Arrow table of EVENTS_SCHEMA (row order kept).

    Raises BoxResponseError for an entry that is not an event object with a text `event_id`:
    without its id an event cannot be deduplicated, so it is never loaded half-known."""
    for index, event in enumerate(entries):
        if not isinstance(event, dict):
            raise BoxResponseError(f"entry {index} is {json_kind(event)}, not an event object")
        event_id = event.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            raise BoxResponseError(f"entry {index} has no event_id (got {json_kind(event_id)})")
        created_at = event.get("created_at")
        if not isinstance(created_at, str):
            raise BoxResponseError(
                f"entry {index} (event_id {event_id}) has no created_at (got {json_kind(created_at)})"
            )
    columns: dict[str, list[Any]] = {field.name: [] for field in EVENTS_SCHEMA}
    text_columns = [(name, columns[name]) for name in TEXT_FIELDS]
    json_columns = [(name, columns[name]) for name in JSON_FIELDS]
    actor_columns = [(columns[name], key) for name, key in ACTOR_FIELDS]
    created_at, recorded_at, extra = columns["created_at"], columns["recorded_at"], columns["extra"]
    for event in entries:
        for name, column in text_columns:
            column.append(_text(event.get(name)))
        for name, column in json_columns:
            column.append(_json_text(event.get(name)))
        actor = event.get("created_by") or {}
        for column, key in actor_columns:
            column.append(_text(actor.get(key)))
        created_at.append(event.get("created_at"))
        recorded_at.append(event.get("recorded_at"))
        unknown = event.keys() - KNOWN_FIELDS
        extra.append(_json_text({k: event[k] for k in sorted(unknown)}) if unknown else None)
    return _columns_to_table(columns)


def _columns_to_table(columns: dict[str, list[Any] | pa.Array]) -> pa.Table:
    """Python column lists (or columns already converted), in EVENTS_SCHEMA's order, → the Arrow
    table both decoders return."""
    arrays = [
        values
        if isinstance(values, pa.Array)
        else _timestamps(field.name, values)
        if field.type == UTC_TIMESTAMP
        else _texts(field.name, values)
        for field, values in zip(EVENTS_SCHEMA, columns.values(), strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=EVENTS_SCHEMA)


def _texts(name: str, values: list[Any]) -> pa.Array:
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        bad = next((v for v in values if v is not None and not isinstance(v, str | bytes)), None)
        raise BoxResponseError(f"an entry's {name} is {json_kind(bad)}, not text") from None


def _timestamps(name: str, values: list[Any]) -> pa.Array:
    """RFC 3339 strings with any offset → UTC microsecond timestamps (Arrow parses the offsets)."""
    try:
        return pa.array(values, type=pa.string()).cast(UTC_TIMESTAMP)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        bad = next((v for v in values if not _is_rfc3339(v)), None)
        raise BoxResponseError(f"an entry's {name} {_shown(bad)} is not an RFC 3339 date-time") from None


def _is_rfc3339(value: Any) -> bool:
    if value is None:
        return True
    try:
        pa.array([value], type=pa.string()).cast(UTC_TIMESTAMP)
        return True
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False


def json_kind(value: Any) -> str:
    """How a wrong value reads in an error: its JSON kind, never its (possibly long) content."""
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def within(table: pa.Table, start: datetime, end: datetime) -> pa.Table:
    """Rows whose `created_at` lies in `[start, end)`: the window's exact share of a page."""
    created = table.column("created_at")
    mask = pc.and_(
        pc.greater_equal(created, pa.scalar(start, type=UTC_TIMESTAMP)),
        pc.less(created, pa.scalar(end, type=UTC_TIMESTAMP)),
    )
    return table.filter(mask)


def without_ids(table: pa.Table, ids: set[str]) -> pa.Table:
    """The rows whose `event_id` is not in `ids` (the ones the warehouse already has)."""
    if not ids:
        return table
    keep = [event_id not in ids for event_id in table.column("event_id").to_pylist()]
    return table if all(keep) else table.filter(pa.array(keep, pa.bool_()))


def with_constants(table: pa.Table, columns: dict[str, pa.Scalar]) -> pa.Table:
    """`table` with one more column per entry, every row holding that value."""
    for name, value in columns.items():
        table = table.append_column(name, pa.repeat(value, table.num_rows))
    return table


class _Actor(msgspec.Struct, gc=False):
    id: str | int | None = None
    name: str | None = None
    login: str | None = None


NULL = msgspec.Raw(b"null")


class _Event(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """An event with only the fields Box documents; any other field sends the page to the general path."""

    event_id: str
    type: str | None = None
    event_type: str | None = None
    created_at: str | None = None
    recorded_at: str | None = None
    ip_address: str | None = None
    session_id: str | None = None
    created_by: msgspec.Raw = NULL
    source: msgspec.Raw = NULL
    additional_details: msgspec.Raw = NULL
    action_by: msgspec.Raw = NULL
    accessible_by: msgspec.Raw = NULL


class _Envelope(msgspec.Struct):
    entries: list[msgspec.Raw] = []
    next_stream_position: str | int | None = None


_decode_envelope = msgspec.json.Decoder(_Envelope).decode
_decode_event = msgspec.json.Decoder(_Event).decode
_decode_actor = msgspec.json.Decoder(_Actor).decode


def _raw_json(values: list[msgspec.Raw]) -> pa.Array:
    """Nested objects, kept as the JSON bytes Box sent (JSON `null` as NULL), as a text column.

    Built from one joined buffer and the values' offsets, so no Python object is made per value:
    copying each value out as `bytes` and converting the list was the largest part of the fast
    decoder in a profile (cProfile, 235 pages); in the local benchmark the gain is within its noise.
    The cast to text checks the UTF-8 of the whole column in one pass. JSON `null` becomes NULL
    through the validity bitmap over the same buffers: `if_else` copied every byte again, more than
    half of this function's time (213,499 emulator events: 0.31 s of 0.57 s)."""
    lengths = pa.array([len(value) for value in values], pa.int32())
    offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(lengths)]).buffers()[1]
    data = pa.py_buffer(b"".join(values))
    texts = pa.Array.from_buffers(pa.binary(), len(values), [None, offsets, data]).cast(pa.string())
    # `texts` has no validity bitmap, so neither has `present`: its values buffer is the bitmap
    present = pc.invert(pc.equal(texts, "null"))
    return pa.Array.from_buffers(pa.string(), len(values), [present.buffers()[1], offsets, data])


def decode_page(body: bytes) -> tuple[pa.Table, str | None]:
    """A page's events as an Arrow table of EVENTS_SCHEMA and its `next_stream_position` (exact).

    Events with fields the fast decoder does not know take the general path; their rows follow the
    others (row order carries no meaning: the window filter and the merge do not depend on it).
    Raises msgspec errors only for a page that is not an events envelope at all."""
    envelope = _decode_envelope(body)
    entries: list[_Event] = []
    unknown_shape: list[dict[str, Any]] = []
    for raw in envelope.entries:
        try:
            entries.append(_decode_event(raw))
        except msgspec.ValidationError:
            unknown_shape.append(orjson.loads(bytes(raw)))
    table = _structs_to_table(entries)
    if unknown_shape:
        table = pa.concat_tables([table, events_to_table(unknown_shape)])
    position = envelope.next_stream_position
    return table, None if position is None else str(position)


def _structs_to_table(entries: list[_Event]) -> pa.Table:
    for index, event in enumerate(entries):
        if not event.event_id:
            raise BoxResponseError(f"entry {index} has an empty event_id")
        if event.created_at is None:
            raise BoxResponseError(f"entry {index} (event_id {event.event_id}) has no created_at")
    actors = [_decode_actor(e.created_by) if e.created_by != NULL else _Actor() for e in entries]
    columns: dict[str, list[Any]] = {
        "event_id": [e.event_id for e in entries],
        "event_type": [e.event_type for e in entries],
        "created_at": [e.created_at for e in entries],
        "created_by_id": [None if a.id is None else str(a.id) for a in actors],
        "created_by_name": [a.name for a in actors],
        "created_by_login": [a.login for a in actors],
        "ip_address": [e.ip_address for e in entries],
        "session_id": [e.session_id for e in entries],
        "type": [e.type for e in entries],
        "recorded_at": [e.recorded_at for e in entries],
        "created_by": _raw_json([e.created_by for e in entries]),
        "source": _raw_json([e.source for e in entries]),
        "additional_details": _raw_json([e.additional_details for e in entries]),
        "action_by": _raw_json([e.action_by for e in entries]),
        "accessible_by": _raw_json([e.accessible_by for e in entries]),
        "extra": [None] * len(entries),
    }
    return _columns_to_table(columns)
