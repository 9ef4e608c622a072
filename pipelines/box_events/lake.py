"""The filesystem destination (a local folder, S3, GCS, Azure): how the tables are stored there, and
how the pipeline reads its own facts (the ledger, the ids already loaded) back from the files.

The table format is one setting, `destination.filesystem.table_format` (`delta` by default, or
`parquet`: see `settings.DEFAULT_TABLE_FORMAT`), read here by name and handed to the lanes' hints
(`resources.lane_load(table_format=...)`), where dlt acts on it.

Why the reads need a hand: the ledger's SQL runs on every destination through dlt's `sql_client`.
On a bucket that client is an in-memory DuckDB with a view per table over the files: parquet and
jsonl (dlt's `_dlt_loads`) it reads itself, but a Delta table it reads with DuckDB's `delta`
extension, which DuckDB downloads on first use and cannot where the network is closed. So
`sql_client` here first defines each Delta table it is asked for as a view over the table's current
snapshot as `deltalake` reads it (an Arrow dataset: DuckDB pushes the filters and columns down), and
the ledger's SQL stays the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, cast

import dlt
from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.common.schema.utils import has_table_seen_data

from .exceptions import ConfigurationError
from .settings import DEFAULT_TABLE_FORMAT, EVENTS_TABLE, TABLE_FORMATS

FILESYSTEM = "filesystem"
TABLE_FORMAT_KEY = "destination.filesystem.table_format"
BUCKET_URL_KEY = "destination.filesystem.bucket_url"

TableFormat = Literal["delta", "parquet"]


def destination_name(pipeline: dlt.Pipeline) -> str:
    """`duckdb`, `postgres`, `filesystem`, ... (dlt names its destinations by module path)."""
    return str(pipeline.destination.destination_type).rsplit(".", 1)[-1]


def configured_table_format() -> TableFormat:
    """The filesystem's table format from dlt's config, else the default; one line if unknown."""
    value = dlt.config.get(TABLE_FORMAT_KEY) or DEFAULT_TABLE_FORMAT
    if value not in TABLE_FORMATS:
        raise ConfigurationError(
            f"unknown table format {value!r} for the filesystem destination: set "
            f"DESTINATION__FILESYSTEM__TABLE_FORMAT to {' or '.join(TABLE_FORMATS)}"
        )
    return cast(TableFormat, value)


def configured_bucket_url() -> str:
    """Where the filesystem destination writes, from dlt's own config; one line if it is not set."""
    value = dlt.config.get(BUCKET_URL_KEY)
    if not value:
        raise ConfigurationError(
            "the filesystem destination needs a bucket: set DESTINATION__FILESYSTEM__BUCKET_URL "
            "(file:///path/to/folder, s3://bucket/path, gs://..., az://...) or bucket_url under "
            "[destination.filesystem] in .dlt/config.toml"
        )
    return str(value)


def table_format_of(pipeline: dlt.Pipeline) -> TableFormat | None:
    """How this pipeline's loads store the tables: None on a SQL destination (its own tables)."""
    return configured_table_format() if destination_name(pipeline) == FILESYSTEM else None


def restore_schema(pipeline: dlt.Pipeline, table_format: TableFormat) -> None:
    """A working folder without the schema (a new machine, one moved aside as unreadable) learns
    it from the bucket: on a bucket, the views the ledger is read through are built from the schema,
    so without it the ledger would look empty and everything would be read again. A bucket whose
    events are stored in the other format is refused: one dataset, one format."""
    if not pipeline.default_schema_name:
        pipeline.sync_destination()
    if not pipeline.default_schema_name:
        return
    events = pipeline.default_schema.tables.get(EVENTS_TABLE)
    if not events or not has_table_seen_data(events):
        return
    stored = "delta" if events.get("table_format") == "delta" else "parquet"
    if stored != table_format:
        raise ConfigurationError(
            f"the dataset {pipeline.dataset_name} holds {EVENTS_TABLE} as {stored}, not {table_format}: "
            f"set DESTINATION__FILESYSTEM__TABLE_FORMAT={stored}, or load into another bucket or dataset"
        )


@contextmanager
def sql_client(pipeline: dlt.Pipeline, *tables: str) -> Iterator[Any]:
    """`pipeline.sql_client()`, with the Delta tables among `tables` (all of them if none are named)
    readable on the filesystem destination (see the module docstring)."""
    with pipeline.sql_client() as client:
        if destination_name(pipeline) == FILESYSTEM:
            _define_delta_views(client, tables)
        yield client


def _define_delta_views(client: Any, tables: tuple[str, ...]) -> None:
    """Each Delta table as a view over its current snapshot, in the client's DuckDB. The bucket is
    the one the client reads (`remote_client`, dlt's filesystem client under its SQL client), so
    the tables come with that client's credentials and no second client is configured."""
    storage = client.remote_client
    schema_tables = storage.schema.tables
    for name in tables or tuple(t["name"] for t in storage.schema.data_tables()):
        if name not in schema_tables or not storage.is_open_table("delta", name):
            continue
        try:
            snapshot = storage.load_open_table("delta", name).to_pyarrow_dataset()
        except DestinationUndefinedEntity:  # in the schema, not written yet
            continue
        scan = f"_delta_snapshot_{name}"
        client.native_connection.register(scan, snapshot)
        client.native_connection.execute(
            f"CREATE OR REPLACE VIEW {client.make_qualified_table_name(name)} AS SELECT * FROM {scan}"
        )


def transforms_unavailable(pipeline: dlt.Pipeline) -> str:
    """Why `transform` cannot run on a bucket, and what to do instead, in one line."""
    stored = "Delta tables" if configured_table_format() == "delta" else "parquet files"
    reader = "delta_scan" if stored == "Delta tables" else "read_parquet"
    bucket = pipeline.destination_client().config.bucket_url.rstrip("/")
    return (
        f"boxevents transform needs a SQL warehouse (duckdb or postgres), not the filesystem destination: "
        f"the events are {stored} in {bucket}/{pipeline.dataset_name}/{EVENTS_TABLE}, which Spark or "
        f"DuckDB ({reader}) can read (backfill and sync on a bucket skip the transforms by themselves)"
    )
