"""Which warehouse a command works on, where its dlt working folder lives, and the lock that lets
only one run write to it at a time.

Why a lock: two runs on one warehouse (a cron overlap, a person starting a backfill while the timer
fires) race on dlt's load packages and on the ledger; one of them always loses, and before the lock
a lost race could wedge every later run. The lock is an OS file lock (`filelock`): the kernel drops
it when its process dies, so a `kill -9` never leaves a stale lock behind. Who holds it (pid,
command, since when) is written beside it, so the second run can say so in one line.

Why the working folder follows the warehouse: dlt keeps pending load packages in its pipelines
folder. A folder shared by two warehouses (dlt's default `~/.dlt/pipelines`) would finish one
warehouse's interrupted package into the other, so the default folder is keyed on the warehouse:
beside a DuckDB file, or under `~/.dlt/boxevents/` for a server warehouse.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import filelock
from dlt.common.storages.configuration import FilesystemConfiguration

from .box_events import lake
from .box_events.exceptions import BoxEventsError, ConfigurationError
from .box_events.lake import TableFormat
from .box_events.settings import LOADS_TABLE, PIPELINE_NAME
from .wording import human_duration


class WarehouseBusy(BoxEventsError):
    """Another run holds the warehouse's lock."""


class WarehouseMissing(BoxEventsError):
    """A command that reads was pointed at a warehouse that does not exist."""


DEFAULT_DUCKDB_FILE = f"{PIPELINE_NAME}.duckdb"
"""The one default warehouse, for every command and for the demo."""


@dataclass(frozen=True)
class Warehouse:
    """A destination and dataset; for DuckDB, the absolute path of its file; for the filesystem
    destination, its bucket and how the tables are stored there (`box_events.lake`)."""

    destination: str
    dataset: str
    duckdb_path: Path | None = None
    bucket_url: str | None = None
    table_format: TableFormat | None = None

    @classmethod
    def resolve(cls, destination: str, dataset: str, duckdb_path: str | Path | None = None) -> Warehouse:
        """The warehouse a command means. A DuckDB path comes from the argument, else
        `DESTINATION__DUCKDB__CREDENTIALS`, else `box_audit.duckdb`, and a relative one is resolved
        against the current directory now, so it never depends on where an earlier run was. A
        bucket comes from dlt's config (`DESTINATION__FILESYSTEM__BUCKET_URL`), as does its table
        format (`DESTINATION__FILESYSTEM__TABLE_FORMAT`, delta unless set)."""
        if destination == lake.FILESYSTEM:
            return cls(
                destination,
                dataset,
                bucket_url=lake.configured_bucket_url(),
                table_format=lake.configured_table_format(),
            )
        if destination != "duckdb":
            return cls(destination, dataset)
        if duckdb_path is None:
            configured = dlt.config.get("destination.duckdb.credentials")
            duckdb_path = configured if isinstance(configured, str) else DEFAULT_DUCKDB_FILE
        return cls(destination, dataset, Path(os.path.abspath(Path(duckdb_path).expanduser())))

    def __str__(self) -> str:
        if self.duckdb_path is not None:
            return f"the DuckDB file {self.duckdb_path}"
        if self.bucket_url is not None:
            return f"the {self.table_format} dataset {self.dataset} in {self.bucket_url}"
        return f"the {self.destination} dataset {self.dataset}"

    @property
    def key(self) -> str:
        """A short stable name for the warehouse (for folders and locks of server warehouses and
        buckets: two buckets never share a working folder, whose pending packages are per bucket)."""
        identity = f"{self.destination}\n{self.dataset}\n{self.duckdb_path or self.bucket_url or ''}"
        return f"{self.destination}-{self.dataset}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"

    @property
    def lock_path(self) -> Path:
        if self.duckdb_path is not None:
            return self.duckdb_path.with_name(self.duckdb_path.name + ".lock")
        return _state_home() / "locks" / f"{self.key}.lock"

    @property
    def default_pipelines_dir(self) -> Path:
        if self.duckdb_path is not None:
            return self.duckdb_path.with_name(self.duckdb_path.stem + ".pipelines")
        return _state_home() / "pipelines" / self.key

    def check_can_write(self) -> None:
        """Refuse, in one line, a DuckDB location a run could not write: a missing or read-only
        folder, or a file that is not a DuckDB database."""
        self.check_folder()
        if self.duckdb_path is not None and self.duckdb_path.exists():
            self.check_duckdb_file()

    def check_folder(self) -> None:
        """The DuckDB file's folder exists and is writable (checked before the lock is taken: the
        lock file lives there)."""
        if self.duckdb_path is None:
            return
        folder = self.duckdb_path.parent
        if not folder.is_dir():
            raise ConfigurationError(
                f"the folder of the DuckDB file {self.duckdb_path} does not exist: create it "
                f"(mkdir -p {folder}) or pass --duckdb-path in an existing folder"
            )
        if not os.access(folder, os.W_OK):
            raise ConfigurationError(
                f"cannot write in {folder} (for the DuckDB file {self.duckdb_path.name}): "
                "pass --duckdb-path in a folder you can write"
            )

    def check_exists(self) -> None:
        """Refuse, in one line, to read a warehouse that is not there (instead of creating an
        empty one and reporting 0 events)."""
        if self.bucket_url is not None:
            self.check_bucket_loaded()
        if self.duckdb_path is None:
            return
        if not self.duckdb_path.exists():
            raise WarehouseMissing(
                f"no warehouse at {self.duckdb_path}: load one first (boxevents backfill --start 30d, "
                "or boxevents demo), or pass --duckdb-path with the file you loaded"
            )
        self.check_duckdb_file()

    def check_bucket_loaded(self) -> None:
        """A local bucket holds the dataset once a load completed (dlt's `_dlt_loads` folder). A
        remote bucket is not listed here (that needs its credentials): read empty, it says 0 events."""
        assert self.bucket_url is not None
        if FilesystemConfiguration.parse_protocol(self.bucket_url) != "file":
            return
        url = self.bucket_url if "://" in self.bucket_url else Path(self.bucket_url).absolute().as_uri()
        if not (Path(FilesystemConfiguration.make_local_path(url)) / self.dataset / LOADS_TABLE).is_dir():
            raise WarehouseMissing(
                f"no dataset {self.dataset} in {self.bucket_url}: load one first (boxevents backfill "
                "--destination filesystem --start 30d), or set "
                "DESTINATION__FILESYSTEM__BUCKET_URL to the bucket you loaded"
            )

    def check_duckdb_file(self) -> None:
        """The file is a DuckDB database that this process may open (not text, not truncated, not
        held by another program)."""
        import duckdb

        assert self.duckdb_path is not None
        try:
            duckdb.connect(str(self.duckdb_path), read_only=True).close()
        except duckdb.IOException as exc:
            message = str(exc)
            if "Conflicting lock" in message:
                holder = message.split("Conflicting lock is held in", 1)[1].split(". See", 1)[0].strip()
                raise WarehouseBusy(
                    f"{self} is open for writing in another program ({holder}): DuckDB allows one "
                    "writer; close that program or wait for it, then run the command again"
                ) from None
            # any other refusal to open (DuckDB's own header check, a file cut short) is a file
            # that is not a usable DuckDB database
            raise ConfigurationError(
                f"{self.duckdb_path} is not a DuckDB database (empty, truncated or another kind "
                "of file): pass --duckdb-path with your warehouse, or move this file away"
            ) from None


def _state_home() -> Path:
    return Path(os.environ.get("BOXEVENTS_STATE_DIR") or Path.home() / ".dlt" / "boxevents")


def check_pipelines_dir(path: Path) -> None:
    """dlt's working folder must be creatable and writable (else every step fails later, deep in dlt)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write dlt's working folder {path} ({exc.strerror}): pass --pipelines-dir with "
            "a folder you can write"
        ) from None


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    since: datetime
    host: str

    def __str__(self) -> str:
        ago = human_duration((datetime.now(UTC) - self.since).total_seconds())
        return (
            f"pid {self.pid} on {self.host}, `{self.command}`, "
            f"since {self.since:%Y-%m-%d %H:%M:%S} UTC ({ago} ago)"
        )


def _holder_path(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".holder")


def read_holder(lock_path: Path) -> Holder | None:
    try:
        data = json.loads(_holder_path(lock_path).read_text())
        since = datetime.fromisoformat(data["since"])
        return Holder(int(data["pid"]), str(data["command"]), since, str(data["host"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def write_lock(warehouse: Warehouse, command: str, *, wait_s: float | None = None) -> Iterator[None]:
    """Hold the warehouse's write lock for the block: at once, or within `wait_s` seconds
    (`float('inf')`: as long as it takes); else WarehouseBusy naming the holder."""
    path = warehouse.lock_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the lock folder {path.parent} ({exc.strerror})") from None
    timeout = 0 if not wait_s else -1 if wait_s == float("inf") else wait_s
    lock = filelock.FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        holder = read_holder(path)
        who = f" ({holder})" if holder else ""
        waited = f" after waiting {wait_s:.0f}s" if wait_s else ""
        raise WarehouseBusy(
            f"another run is writing to {warehouse}{who}{waited}: let it finish, or pass --wait 10m "
            "to wait for it"
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"cannot create the lock file {path} ({exc.strerror})") from None
    try:
        _write_holder(path, command)
        yield
    finally:
        _holder_path(path).unlink(missing_ok=True)
        lock.release()


def _write_holder(lock_path: Path, command: str) -> None:
    info: dict[str, Any] = {
        "pid": os.getpid(),
        "command": command,
        "since": datetime.now(UTC).isoformat(),
        "host": socket.gethostname(),
    }
    target = _holder_path(lock_path)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(info))
    temporary.replace(target)


def command_line() -> str:
    """How this process was started, for the lock's holder line (`boxevents backfill --start 365d`).
    Arguments after a flag that may carry a secret are never kept: none of ours do, but be safe."""
    args = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv else ["python"]
    return " ".join(args)[:200]
