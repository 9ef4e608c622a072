"""dlt's DuckDB destination with the events tables loaded in one write: new rows straight into the table.

dlt's `merge` copies each parquet file into a staging table, then deletes the staged keys from the
table and inserts staging into it: every row is written twice (staging, then the table), the second
time after all files are copied. On DuckDB the events tables (a `merge` on a primary key) are loaded
instead by one job per file that, in one transaction (measured on the local path, 1M events: the load
step 17-20 s before, 13-14 s after; the rest is DuckDB inserting and checkpointing):

1. finds the table's rows with the file's keys (one scan of the key columns: the same lookup the
   merge's delete made);
2. deletes those of them whose load never completed (not in `_dlt_loads` with status 0): rows of a
   package aborted after its events committed, or this load's own first copy of a file that a kill
   made dlt copy again on resume;
3. inserts the file's rows whose key is not left in the table, the first row of each key in the file.

So a row is written once; an event already loaded by a completed load keeps its first copy (the
lanes drop the ids the warehouse has before they write a row, so this is what a re-read meant all
along: `first_lane` and `first_seen_at` keep their first values); a copy in a dead load is replaced,
so readers of completed loads see it; a file copied twice loads each event once. Jobs of one table run
one after another (`table-sequential`), so each sees what the previous file inserted.

Only DuckDB: `rowid` and `read_parquet` are DuckDB's. Every other destination (PostgreSQL, a bucket,
the warehouses) keeps dlt's own merge, correct there, only slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dlt
from dlt.common.destination.capabilities import DestinationCapabilitiesContext
from dlt.common.destination.client import FollowupJobRequest, LoadJob, PreparedTableSchema
from dlt.common.destination.reference import DestinationReference
from dlt.common.schema.utils import get_columns_names_with_prop, get_dedup_sort_tuple
from dlt.common.storages.load_storage import ParsedLoadJobFileName
from dlt.destinations.impl.duckdb.duck import DuckDbClient, DuckDbCopyJob
from dlt.destinations.sql_client import SqlClientBase

from .settings import LOADS_TABLE


def insert_new_rows_sql(
    table: str, keys: Sequence[str], file_path: str, sql_client: SqlClientBase[Any]
) -> list[str]:
    """The statements of one file's load into `table` (see the module docstring), for one
    transaction. The hits (the table's rows with the file's keys) are the only scan of the table; the
    file is read for its keys, then once whole."""
    target = sql_client.make_qualified_table_name(table)
    loads = sql_client.make_qualified_table_name(LOADS_TABLE)
    key_list = ", ".join(sql_client.escape_column_name(key) for key in keys)
    load_id = sql_client.escape_column_name("_dlt_load_id")
    hits = sql_client.escape_column_name(f"_box_hits_{table}")
    source = f"read_parquet('{file_path}', union_by_name = true, file_row_number = true)"
    return [
        f"CREATE OR REPLACE TEMP TABLE {hits} AS SELECT t.rowid AS row_id, {key_list}, "
        f"t.{load_id} IN (SELECT load_id FROM {loads} WHERE status = 0) AS completed "
        f"FROM {target} AS t SEMI JOIN (SELECT {key_list} FROM {source}) AS f USING ({key_list})",
        f"DELETE FROM {target} WHERE rowid IN (SELECT row_id FROM {hits} WHERE NOT completed)",
        f"INSERT INTO {target} BY NAME SELECT f.* EXCLUDE (file_row_number) FROM {source} AS f "
        f"ANTI JOIN (SELECT {key_list} FROM {hits} WHERE completed) AS h USING ({key_list}) "
        f"WHERE f.file_row_number IN (SELECT min(file_row_number) FROM {source} GROUP BY {key_list})",
        f"DROP TABLE {hits}",
    ]


class InsertNewRowsJob(DuckDbCopyJob):
    """One parquet file of an events table into the table itself (see the module docstring)."""

    def __init__(self, file_path: str, keys: Sequence[str]) -> None:
        super().__init__(file_path)
        self._keys = tuple(keys)

    def run(self) -> None:
        sql_client = self._job_client.sql_client
        statements = insert_new_rows_sql(self.load_table_name, self._keys, self._file_path, sql_client)
        with sql_client.begin_transaction():
            for statement in statements:
                sql_client.execute_sql(statement)


def loads_new_rows_only(table: PreparedTableSchema) -> bool:
    """An events table: a plain `delete-insert` merge on a primary key, no nested tables, no sort."""
    return (
        table.get("write_disposition") == "merge"
        and table.get("x-merge-strategy") in (None, "delete-insert")  # type: ignore[comparison-overlap]
        and bool(get_columns_names_with_prop(table, "primary_key"))
        and get_dedup_sort_tuple(table) is None
        and not table.get("parent")
    )


class BoxDuckDbClient(DuckDbClient):
    def should_load_data_to_staging_dataset(self, table_name: str) -> bool:
        if loads_new_rows_only(self.prepare_load_table(table_name)):
            return False
        return super().should_load_data_to_staging_dataset(table_name)

    def create_load_job(
        self, table: PreparedTableSchema, file_path: str, load_id: str, restore: bool = False
    ) -> LoadJob:
        if not loads_new_rows_only(table):
            return super().create_load_job(table, file_path, load_id, restore)
        file_format = ParsedLoadJobFileName.parse(file_path).file_format
        if file_format != "parquet":
            # such a table skips staging and its merge: any other job would append unchecked rows
            raise ValueError(f"{table['name']} is loaded from parquet only, not {file_format}")
        return InsertNewRowsJob(file_path, get_columns_names_with_prop(table, "primary_key"))

    def _create_merge_followup_jobs(
        self, table_chain: Sequence[PreparedTableSchema]
    ) -> list[FollowupJobRequest]:
        if loads_new_rows_only(table_chain[0]):
            return []  # the file jobs did the whole merge
        return list(super()._create_merge_followup_jobs(table_chain))


class BoxDuckDb(dlt.destinations.duckdb):
    """`dlt.destinations.duckdb` loading the events tables in one write; to dlt and to this project's
    code (`lake.destination_name`, the pipeline's stored state) it is the same `duckdb` destination."""

    @property
    def destination_type(self) -> str:
        return DestinationReference.normalize_type("duckdb")

    @property
    def client_class(self) -> type[DuckDbClient]:
        return BoxDuckDbClient

    def _raw_capabilities(self) -> DestinationCapabilitiesContext:
        caps = super()._raw_capabilities()
        # each file job of a table must see the rows the previous one inserted (a key in two files)
        caps.loader_parallelism_strategy = "table-sequential"
        return caps
