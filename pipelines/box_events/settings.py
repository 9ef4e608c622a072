"""Constants of the Box Events API and the pipeline's defaults: one home for every number."""

from __future__ import annotations

from datetime import timedelta

DEFAULT_API_BASE_URL = "https://api.box.com/2.0"
DEFAULT_TOKEN_URL = "https://api.box.com/oauth2/token"

ADMIN_LOGS = "admin_logs"
"""The complete, chronological enterprise lane (one year), read in time windows."""
ADMIN_LOGS_STREAMING = "admin_logs_streaming"
"""The live enterprise lane (14 days): at least once, out of order, read from a position."""
USER_STREAM_TYPES = ("all", "changes", "sync")
LANES = (ADMIN_LOGS, ADMIN_LOGS_STREAMING, "user_stream")
PAGE_LIMIT = 500
"""Box's maximum page size for admin_logs and admin_logs_streaming."""
USER_PAGE_LIMIT = 800
"""User streams accept larger pages."""

ADMIN_LOGS_RETENTION = timedelta(days=365)
STREAMING_RETENTION = timedelta(days=14)
USER_STREAM_RETENTION = {"all": timedelta(days=21), "changes": timedelta(days=21), "sync": timedelta(days=31)}
"""How long Box keeps a stream; a stored position older than this has a gap behind it."""
RETENTION_SAFETY_MARGIN = timedelta(minutes=10)
"""A window is requested a little after it is planned; stay clear of the 365-day edge."""
LATE_WINDOW_MARGIN = timedelta(minutes=5)
"""A window handed out late in a long job (a newest-first year reaches its oldest window 20 minutes
after planning it) is cut to start at least this far inside Box's retention, which has moved on
meanwhile: room for its pages, retries included, to be asked before that edge passes them."""

BOUNDARY_SLACK = timedelta(seconds=1)
"""Windows ask Box for one second more on the left and filter locally to [start, end): exact
whether Box treats `created_after` / `created_before` as inclusive or exclusive (UNVERIFIED)."""

DEFAULT_WINDOW = timedelta(days=1)
DEFAULT_OVERLAP = timedelta(hours=3)
"""A sync re-reads this much before the last high-water mark: it must exceed Box's worst arrival delay."""
DEFAULT_LAG = timedelta(minutes=2)
"""A sync reads up to now minus this lag: the newest minutes are still filling in."""
DEFAULT_FIRST_SYNC_LOOKBACK = timedelta(days=1)
"""A sync with no history yet starts this far back (run `backfill` for more)."""

DEFAULT_SETTLE_AGE = timedelta(hours=24)
"""A window read sooner than this after its end is provisional: `sync` reads it again once it is
this old (Box's admin_logs can be late by hours), counts what arrived late, and marks it settled."""

STREAMING_BUFFER = timedelta(seconds=12)
"""Box holds new events about this long before the streaming lane shows them."""
DEFAULT_STREAM_INTERVAL = timedelta(seconds=10)
"""`stream --follow` polls this often while events keep coming."""
MAX_STREAM_INTERVAL = timedelta(minutes=2)
"""Each empty poll doubles the interval up to this: an idle enterprise costs 30 calls an hour."""
STREAM_COUNTERS_EVERY = timedelta(minutes=10)
"""Idle polls load nothing; their API calls are written to `sync_runs` at least this often."""
DEFAULT_STREAM_START = "now"
KNOWN_IDS_AHEAD = timedelta(hours=1)
"""A stream load asks the warehouse which ids it has for this much of `created_at` at once."""
LONGPOLL_BACKOFF_MAX = timedelta(seconds=30)
"""A long poll that cannot reach Box's real-time server is tried again after 1, 2, 4 ... seconds,
at most this long (a server that times out is tried again at once: it already waited)."""
BUDGET_WARNING_SHARE = 0.8
"""`status` warns once this share of `monthly_call_budget` is used."""

DEFAULT_REQUESTS_PER_MINUTE = 900
"""Box allows about 1,000 calls a minute per user; stay safely under it."""
DEFAULT_CONCURRENCY = 4
"""Windows fetched at once: enough to hide page latency under the rate limit."""
DEFAULT_WINDOWS_PER_RUN = 30
"""At most this many windows per dlt run: each run is a checkpoint (events and ledger commit
together), so a killed backfill loses at most one checkpoint of work."""
DEFAULT_EVENTS_PER_RUN = 250_000
"""A checkpoint also closes once its windows are expected to hold this many events: the loader's
memory follows the checkpoint's size, so a busy enterprise gets more, smaller checkpoints."""
NEWEST_FIRST, OLDEST_FIRST = "newest-first", "oldest-first"
BACKFILL_ORDERS = (NEWEST_FIRST, OLDEST_FIRST)
DEFAULT_BACKFILL_ORDER = NEWEST_FIRST
"""A backfill reads the most recent windows first: the days an analyst asks about arrive in
seconds, not at the end of a 20-minute year. The ledger does not care about the order."""
FIRST_CHECKPOINT_SPAN = timedelta(days=1)
"""A newest-first backfill's first checkpoint closes once its windows cover this much time, so the
newest day commits (and can be transformed) as soon as its own windows are read, not after 30."""

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
MAX_ATTEMPTS = 8
MAX_RETRY_WAIT_S = 300.0
"""Retries of one request stop after this many attempts or this much total waiting."""
TOKEN_REFRESH_MARGIN_S = 60.0
TOKEN_REFRESH_MARGIN_SHARE = 0.1
"""Tokens are renewed a tenth of their lifetime before Box says they expire, and never more than
TOKEN_REFRESH_MARGIN_S early: an hour's token is renewed a minute early, a 5-second one half a
second early (a fixed minute would make every token under a minute "always expiring")."""

PIPELINE_NAME = "box_audit"
"""Also names the default DuckDB file (`box_audit.duckdb`): it must differ from the dataset name,
or DuckDB cannot tell the catalog from the schema."""
DATASET_NAME = "box_events"
EVENTS_TABLE = "admin_logs"
LEDGER_TABLE = "window_ledger"
RUNS_TABLE = "sync_runs"
POSITIONS_TABLE = "stream_positions"
USER_EVENTS_TABLE = "user_events"
LOADS_TABLE = "_dlt_loads"
"""dlt's record of completed loads (status 0): the ledger counts only rows whose load is here."""

DUCKDB_SETTINGS = {"memory_limit": "256MB", "preserve_insertion_order": False}
"""DuckDB settings for the default warehouse: a memory cap (DuckDB spills to disk beyond it), and no
promise to keep rows in insertion order, which lets large inserts stream in less memory (the order
of rows in `admin_logs` carries no meaning). Override with
`DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG='{"memory_limit": "2GB"}'` (for every job)."""
SYNC_DUCKDB_MEMORY_LIMIT = "128MB"
"""DuckDB's cap for the jobs that load a few thousand events at a time (`sync`, `stream`, `watch`).
Their load looks the new ids up in the whole `admin_logs` (one scan of `event_id`), and DuckDB keeps
what it read up to its cap: once the table outgrows the cap, the cap is what a sync's memory grows
by. Measured (`bench --only scale`, 1M and 10M rows): the sync's peak 414 / 613 MB at 256 MB, 413 /
475 MB at 128 MB, the sync as fast. A backfill keeps DUCKDB_SETTINGS' cap (it inserts 250,000 rows
a checkpoint: its load was slower at 128 MB)."""

HOLD_MAX_S = 10.0
"""How long a job keeps the DuckDB file open across back-to-back loads before it lets it go after a
load (`duckdb_hold`): well inside the 30 s a `boxevents query` waits for the file, with one
checkpoint's extract and load on top."""
HOLD_IDLE_S = 1.0
"""A job waiting for Box this long lets the DuckDB file go (`duckdb_hold`): a local re-load waits
milliseconds between batches, an API-bound one seconds."""

TABLE_FORMATS = ("delta", "parquet")
DEFAULT_TABLE_FORMAT = "delta"
"""How the filesystem destination (a folder, S3, GCS, Azure) stores the tables, set by
`destination.filesystem.table_format` (env `DESTINATION__FILESYSTEM__TABLE_FORMAT`): `delta`, Delta
tables (`admin_logs` merged on event_id by dlt's `upsert`, the ledger tables appended), or `parquet`,
plain parquet files appended under one folder per table (the lanes drop ids already loaded, and a
reader keeps the rows of completed loads, `_dlt_loads.status = 0`, as the dbt staging model does).
SQL destinations ignore it: their tables are the warehouse's own."""

ARROW_BATCH_PAGES = 20
"""Pages gathered into one Arrow table before it is handed to dlt (fewer, larger parquet writes)."""
