"""What a careless operator does, run as they would run it (the real `boxevents` in a subprocess):
two runs at once, Ctrl-C, SIGTERM, kill -9, a locked or broken warehouse file, a folder that cannot
be written, a full disk, bad numbers and dates. Each answers in one line, exits with the documented
code, and changes nothing already loaded; an interrupted run resumes exactly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from box_emulator import SystemClock
from box_emulator.testing import running_emulator
from pipelines.cli import run

BOXEVENTS = str(Path(sys.executable).with_name("boxevents"))
DAY = timedelta(days=1)
MIDNIGHT = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
START, END = MIDNIGHT - 20 * DAY, MIDNIGHT - 4 * DAY
"""Sixteen day-windows well inside retention and settled (no late arrivals)."""


@pytest.fixture(scope="module")
def box() -> Iterator[tuple]:
    with running_emulator(clock=SystemClock(), events_per_day=300) as (emu, srv):
        yield emu, srv


def _env(box) -> dict[str, str]:
    emu, srv = box
    return {
        **os.environ,
        "SOURCES__BOX_EVENTS__API_BASE_URL": srv.api_base_url,
        "SOURCES__BOX_EVENTS__TOKEN_URL": srv.token_url,
        "SOURCES__BOX_EVENTS__CREDENTIALS__DEVELOPER_TOKEN": emu.config.developer_token,
    }


def _backfill_args(start: datetime = START, end: datetime = END, *extra: str) -> list[str]:
    return ["backfill", "--start", start.isoformat(), "--end", end.isoformat(), "--no-transform", *extra]


SLOW = ("--requests-per-minute", "240", "--concurrency", "1", "--windows-per-run", "1")
"""Four requests a second, one window per checkpoint: a backfill of 16 windows takes ~8 s, long
enough for a second process to start while it runs."""


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(box, monkeypatch, capfd):
    """The real console entry point (`pipelines.cli.run`: usage errors included), in this process:
    a subprocess costs seconds of imports, and only the lock and signal tests need one."""

    def invoke(cwd: Path, *args: str) -> Result:
        monkeypatch.chdir(cwd)
        for key, value in _env(box).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(sys, "argv", ["boxevents", *args])
        capfd.readouterr()
        handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            run()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
        out, err = capfd.readouterr()
        return Result(code, out, err)

    return invoke


def _start(box, cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [BOXEVENTS, *args], env=_env(box), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _loaded_packages(root: Path) -> int:
    return len(list((root / "box_audit.pipelines").glob("*/load/loaded/*")))


def _one_error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert len(errors) == 1, result.stderr
    return errors[0]


def _warehouse_facts(path: Path) -> tuple[list, list]:
    """Every event id (duplicates kept) and every ledger row: what must not change."""
    if not path.exists():
        return [], []
    with duckdb.connect(str(path), read_only=True) as con:
        try:
            ids = sorted(r[0] for r in con.execute("SELECT event_id FROM box_events.admin_logs").fetchall())
            ledger = con.execute(
                "SELECT window_start, window_end, event_types FROM box_events.window_ledger ORDER BY 1"
            ).fetchall()
        except duckdb.CatalogException:
            return [], []
    return ids, ledger


def _assert_exact(box, path: Path, start: datetime = START, end: datetime = END) -> None:
    ids, ledger = _warehouse_facts(path)
    assert len(ids) == len(set(ids)), "an event was loaded twice"
    assert set(ids) == box[0].oracle.event_ids(start, end)
    windows = [row[:2] for row in ledger]
    assert len(windows) == len(set(windows)), "a window was read twice"


@pytest.fixture
def seeded(cli, tmp_path: Path) -> Path:
    """A warehouse in tmp_path (the default box_audit.duckdb) holding two committed days."""
    result = cli(tmp_path, *_backfill_args(START, START + 2 * DAY))
    assert result.returncode == 0, result.stderr
    return tmp_path / "box_audit.duckdb"


# --- one run per warehouse -------------------------------------------------------------------


def test_a_second_run_on_a_busy_warehouse_names_the_holder_and_changes_nothing(cli, box, tmp_path):
    first = _start(box, tmp_path, *_backfill_args(), *SLOW)
    holder = tmp_path / "box_audit.duckdb.lock.holder"
    _wait_for(holder.exists, "the first run to take the lock")
    second = cli(tmp_path, *_backfill_args())
    line = _one_error_line(second)
    assert second.returncode == 2
    assert f"pid {first.pid}" in line and "`boxevents backfill --start" in line and "--wait" in line
    # the lock is the warehouse's, not the working folder's: another --pipelines-dir is refused too
    elsewhere = cli(tmp_path, *_backfill_args(), "--pipelines-dir", str(tmp_path / "other-pipelines"))
    assert elsewhere.returncode == 2 and f"pid {first.pid}" in _one_error_line(elsewhere)
    assert first.wait(timeout=240) == 0, first.stderr.read()
    _assert_exact(box, tmp_path / "box_audit.duckdb")


def test_wait_lets_an_overlapping_run_start_when_the_first_ends(cli, box, tmp_path):
    first = _start(box, tmp_path, *_backfill_args(), *SLOW)
    _wait_for((tmp_path / "box_audit.duckdb.lock.holder").exists, "the first run to take the lock")
    second = cli(tmp_path, *_backfill_args(), "--wait")
    assert first.wait(timeout=240) == 0
    assert second.returncode == 0, second.stderr
    assert "16 already covered" in second.stdout, second.stdout
    _assert_exact(box, tmp_path / "box_audit.duckdb")

    busy = _start(box, tmp_path, *_backfill_args(START - 3 * DAY, START), *SLOW)
    _wait_for((tmp_path / "box_audit.duckdb.lock.holder").exists, "the third run to take the lock")
    waited = cli(tmp_path, *_backfill_args(), "--wait", "1s")
    assert waited.returncode == 2 and "after waiting 1s" in _one_error_line(waited)
    busy.wait(timeout=240)


def test_a_lock_left_by_a_killed_run_is_taken_over_and_the_resume_is_exact(cli, box, tmp_path):
    first = _start(box, tmp_path, *_backfill_args(), *SLOW)
    _wait_for(lambda: _loaded_packages(tmp_path) >= 1, "a first checkpoint")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert (tmp_path / "box_audit.duckdb.lock.holder").exists(), "the killed run left its holder line"
    resumed = cli(tmp_path, *_backfill_args())
    assert resumed.returncode == 0, resumed.stderr
    _assert_exact(box, tmp_path / "box_audit.duckdb")


@pytest.mark.parametrize(
    ("sig", "code", "name"), [(signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 143, "SIGTERM")]
)
def test_an_interrupted_backfill_says_what_it_loaded_and_resumes_exactly(cli, box, tmp_path, sig, code, name):
    run = _start(box, tmp_path, *_backfill_args(), *SLOW)
    _wait_for(lambda: _loaded_packages(tmp_path) >= 2, "two checkpoints")
    run.send_signal(sig)
    _out, err = run.communicate(timeout=60)
    assert run.returncode == code, err
    lines = [line for line in err.splitlines() if line.startswith("interrupted")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert (
        lines[0].startswith(f"interrupted ({name}): backfill committed ")
        and "run the same command" in lines[0]
    )
    committed = int(lines[0].split("committed ")[1].split(" window")[0])
    _ids, ledger = _warehouse_facts(tmp_path / "box_audit.duckdb")
    assert committed >= 1 and len(ledger) >= committed

    resumed = cli(tmp_path, *_backfill_args())
    assert resumed.returncode == 0, resumed.stderr
    _assert_exact(box, tmp_path / "box_audit.duckdb")


# --- the warehouse file and the folders ------------------------------------------------------


def test_a_duckdb_file_open_in_another_program_is_one_line(cli, box, seeded):
    before = _warehouse_facts(seeded)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(seeded)!r}); print('open', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        for command in (_backfill_args(), ["status"], ["query", "SELECT 1"]):
            result = cli(seeded.parent, *command)
            assert result.returncode == 2, (command, result.stderr)
            assert "open for writing in another program" in _one_error_line(result)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert _warehouse_facts(seeded) == before


@pytest.mark.parametrize("content", ["empty", "text", "random", "truncated"])
def test_a_file_that_is_not_a_duckdb_database_is_refused_untouched(cli, box, seeded, content):
    target = seeded.parent / "other.duckdb"
    data = {
        "empty": b"",
        "text": b"SELECT * FROM my notes;\n",
        "random": os.urandom(50_000),
        "truncated": seeded.read_bytes()[:6000],
    }[content]
    target.write_bytes(data)
    for command in (_backfill_args(), ["status"], ["query", "SELECT 1"], ["transform"]):
        result = cli(seeded.parent, *command, "--duckdb-path", str(target))
        assert result.returncode == 2, (command, result.stderr)
        assert "is not a DuckDB database" in _one_error_line(result)
    assert target.read_bytes() == data


def test_a_missing_folder_or_an_unwritable_pipelines_folder_is_one_line(cli, box, seeded):
    before = _warehouse_facts(seeded)
    cases = {
        "does not exist": ["--duckdb-path", str(seeded.parent / "no" / "such" / "folder.duckdb")],
        "cannot write dlt's working folder": ["--pipelines-dir", "/proc/boxevents-pipelines"],
    }
    a_file = seeded.parent / "a-file"
    a_file.write_text("not a folder")
    cases["cannot write dlt's working folder " + str(a_file)] = ["--pipelines-dir", str(a_file / "sub")]
    for expected, flags in cases.items():
        result = cli(seeded.parent, *_backfill_args(), *flags)
        assert result.returncode == 2, result.stderr
        assert expected in _one_error_line(result), result.stderr
    assert not (seeded.parent / "no").exists()
    assert _warehouse_facts(seeded) == before


def test_a_read_only_folder_is_one_line(cli, box, tmp_path):
    """root ignores permission bits, so the folder is made immutable instead."""
    folder = tmp_path / "frozen"
    folder.mkdir()
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        os.chmod(folder, 0o555)  # not root: plain permissions do it
    try:
        result = cli(tmp_path, *_backfill_args(), "--duckdb-path", str(folder / "w.duckdb"))
    finally:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        os.chmod(folder, 0o755)
    assert result.returncode == 2
    line = _one_error_line(result)
    assert str(folder) in line and ("cannot write" in line or "cannot create the lock" in line), line
    assert list(folder.iterdir()) == []


def test_a_full_disk_is_one_line_and_keeps_what_was_committed(cli, box, tmp_path):
    disk = tmp_path / "small-disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)], capture_output=True
    )
    assert mounted.returncode == 0, f"this test needs a small tmpfs (run as root): {mounted.stderr}"
    try:
        first = cli(disk, *_backfill_args(START, START + DAY))
        assert first.returncode == 0, first.stderr
        before = _warehouse_facts(disk / "box_audit.duckdb")
        filler = disk / "filler"
        stats = os.statvfs(disk)
        free = stats.f_bavail * stats.f_frsize
        filler.write_bytes(b"\0" * (free - 64 * 1024))  # a few kB left: the next load runs out mid-way
        full = cli(disk, *_backfill_args(START - 10 * DAY, START + DAY))
        assert full.returncode == 2, full.stderr + full.stdout
        assert "the disk is full" in _one_error_line(full)
        filler.unlink()
        assert _warehouse_facts(disk / "box_audit.duckdb") == before
        again = cli(disk, *_backfill_args(START - 10 * DAY, START + DAY))
        assert again.returncode == 0, again.stderr
        _assert_exact(box, disk / "box_audit.duckdb", START - 10 * DAY, START + DAY)
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_broken_dlt_working_folder_is_repaired_and_nothing_is_read_twice(cli, box, seeded, caplog):
    before = _warehouse_facts(seeded)
    pipeline_dir = seeded.parent / "box_audit.pipelines" / "box_audit"
    # a half-moved package (the wedge two racing runs used to leave: load/normalized/<id>/new_jobs
    # gone) and a state file cut short mid-write
    loaded = next((pipeline_dir / "load" / "loaded").iterdir())
    broken = pipeline_dir / "load" / "normalized" / "1764547200.123456"
    shutil.copytree(loaded, broken)
    shutil.rmtree(broken / "new_jobs", ignore_errors=True)
    (broken / "started_jobs").mkdir(exist_ok=True)
    (broken / "started_jobs" / "admin_logs.0123456789.0.parquet").write_bytes(b"half a file")
    result = cli(seeded.parent, *_backfill_args(START, START + 4 * DAY))
    assert result.returncode == 0, result.stderr
    assert "dropping the interrupted run's load package" in caplog.text  # in-process: logs go to caplog
    assert "2 already covered" in result.stdout
    _assert_exact(box, seeded, START, START + 4 * DAY)
    _ids, ledger = _warehouse_facts(seeded)
    assert ledger[:2] == before[1]

    state = pipeline_dir / "state.json"
    state.write_text(state.read_text()[:40])
    again = cli(seeded.parent, *_backfill_args(START, START + 5 * DAY))
    assert again.returncode == 0, again.stderr
    assert "4 already covered" in again.stdout
    _assert_exact(box, seeded, START, START + 5 * DAY)


# --- what the operator types -------------------------------------------------------------------


BAD_OPTIONS = {
    "--requests-per-minute 0": (["--requests-per-minute", "0"], "requests_per_minute must be a positive"),
    "--requests-per-minute -3": (["--requests-per-minute", "-3"], "requests_per_minute must be a positive"),
    "--concurrency 0": (["--concurrency", "0"], "concurrency must be a positive"),
    "--concurrency abc": (["--concurrency", "abc"], "Invalid value for '--concurrency'"),
    "--events-per-run 0": (["--events-per-run", "0"], "--events-per-run must be at least 1"),
    "--windows-per-run -5": (["--windows-per-run", "-5"], "--windows-per-run must be at least 1"),
    "--wait soon": (["--wait", "soon"], "cannot read duration 'soon'"),
    "unknown option": (["--colour", "red"], "No such option: --colour"),
}


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_a_bad_option_is_one_line_and_changes_nothing(cli, box, seeded, case):
    flags, expected = BAD_OPTIONS[case]
    before = _warehouse_facts(seeded)
    result = cli(seeded.parent, *_backfill_args(), *flags)
    assert result.returncode == 2, result.stderr
    assert expected in _one_error_line(result)
    assert _warehouse_facts(seeded) == before


@pytest.mark.parametrize("date", ["01/02/2026", "23/11/2025", "2025/11/23"])
def test_a_slash_date_is_refused_with_the_iso_form(cli, box, seeded, date):
    before = _warehouse_facts(seeded)
    result = cli(seeded.parent, "backfill", "--start", date, "--no-transform")
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "ambiguous" in line and "2026-01-02" in line
    assert _warehouse_facts(seeded) == before


@pytest.mark.parametrize("command", [["status"], ["query", "SELECT 1"], ["transform"]])
def test_reading_a_warehouse_that_does_not_exist_is_refused_and_creates_nothing(cli, box, tmp_path, command):
    result = cli(tmp_path, *command)
    assert result.returncode == 2
    line = _one_error_line(result)
    assert f"no warehouse at {tmp_path / 'box_audit.duckdb'}" in line and "boxevents backfill" in line
    assert list(tmp_path.iterdir()) == []


def test_relative_paths_resolve_against_the_current_directory_not_an_earlier_run(cli, tmp_path):
    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    loaded = cli(here, *_backfill_args(START, START + DAY), "--duckdb-path", "audit.duckdb")
    assert loaded.returncode == 0, loaded.stderr
    assert (here / "audit.duckdb").exists()
    there = cli(elsewhere, "status", "--duckdb-path", "audit.duckdb")
    assert there.returncode == 2 and str(elsewhere / "audit.duckdb") in _one_error_line(there)
    assert list(elsewhere.iterdir()) == []
    status = cli(here, "status", "--duckdb-path", "audit.duckdb", "--json")
    assert status.returncode == 0 and str(here / "audit.duckdb") in status.stdout


def test_a_sigterm_during_a_load_stops_the_job_after_that_load(box, tmp_path, monkeypatch):
    """dlt intercepts signals during its steps and clears them when a step ends; ours must win, so a
    SIGTERM that lands while dlt loads a checkpoint still stops the job (after that checkpoint)."""
    import importlib

    dlt_pipeline = importlib.import_module("dlt.pipeline.pipeline")  # the module, not dlt.pipeline()

    from pipelines import jobs
    from pipelines.box_events import stopping
    from tests.conftest import api_for

    emu, srv = box
    real_run_pool = dlt_pipeline.runner.run_pool
    steps = []

    def step_then_sigterm(config, step):
        if type(step).__name__ == "Load" and "Load" not in steps:
            signal.raise_signal(signal.SIGTERM)  # arrives inside dlt's load step
        steps.append(type(step).__name__)
        return real_run_pool(config, step)

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setattr(dlt_pipeline.runner, "run_pool", step_then_sigterm)
    stopping.install()
    try:
        pipeline = jobs.make_pipeline(duckdb_path=tmp_path / "w.duckdb", pipelines_dir=tmp_path / "p")
        with pytest.raises(jobs.JobInterrupted) as stopped:
            jobs.backfill(
                pipeline, start=START, end=START + 6 * DAY, api=api_for(srv, emu.config), windows_per_run=1
            )
    finally:
        stopping.reset()
        for s, h in handlers.items():
            signal.signal(s, h)
    assert stopped.value.exit_code == 143
    assert 1 <= stopped.value.report.windows_loaded < 6
