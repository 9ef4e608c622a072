"""A throwaway PostgreSQL 15 server for the tests: started in a temporary directory, gone after.

Why not a shared server: the tests must prove the chain on a real PostgreSQL without anything
installed or running beforehand. `initdb` and `postgres` refuse to run as root (CI runs tests as
root), so as root the server runs as the `postgres` system user via `runuser`, in a directory
chowned to it; as any other user it runs directly. It listens on 127.0.0.1 only, with `trust`
authentication, C collation (so text sorts byte-wise, as in DuckDB) and fsync off (speed).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/local/bin")


def _binary(name: str) -> str:
    for directory in PG_BIN_DIRS:
        candidate = Path(directory) / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install PostgreSQL 15 server binaries")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    """Prefix a command so that it runs as `postgres` when we are root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a fresh server; yield its DSN (`postgresql://postgres:...@127.0.0.1:<port>/postgres`)."""
    root = Path(tempfile.mkdtemp(prefix="box-audit-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(root, account.pw_uid, account.pw_gid)
    port = _free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    initdb = [_binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    subprocess.run(_as_server_user([*initdb, "--locale=C", "--encoding=UTF8", "--no-sync"]), **run)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
    subprocess.run(
        _as_server_user(
            [_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
        ),
        **run,
    )
    try:
        yield f"postgresql://postgres:unused@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([_binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
