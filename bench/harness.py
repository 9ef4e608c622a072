"""What every benchmark shares: the emulator in its own process, fresh child processes with their
peak memory, day ranges, medians, machine facts, and result files.

Why separate processes: the emulator must not share the pipeline's GIL (it would slow the pipeline
and blur the measurement), and peak RSS is only meaningful per run in a fresh process.

    python -m bench.harness emulator '{"events_per_day": 1000}' 8765   # what `Emulator` starts
    python -m bench.harness call bench.harness:_backfill '{...}'       # what `run_child` starts
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
WORK = BENCH / ".work"  # git-ignored scratch: DuckDB files, NDJSON, dlt pipeline dirs
QUICK_RESULTS = WORK / "quick"  # --quick never overwrites the full results
RESULT_MARK = "@@bench-result "
CHILD_ENV = {
    "RUNTIME__DLTHUB_TELEMETRY": "false",  # loopback only: no telemetry calls
    "PYTHONUNBUFFERED": "1",
}


# ---------------------------------------------------------------------- the emulator process
class Emulator:
    """The Box emulator (`serve_forever`, SystemClock) in a subprocess on a free port.

    `config` holds `EmulatorConfig` fields; the clean profile unless it says otherwise."""

    def __init__(self, **config: Any) -> None:
        from box_emulator import EmulatorConfig

        self.config = config
        self.token = EmulatorConfig().developer_token
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_base_url = f"{self.base_url}/2.0"
        self.token_url = f"{self.base_url}/oauth2/token"
        WORK.mkdir(exist_ok=True)
        self._log = (WORK / f"emulator-{self.port}.log").open("w")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.harness", "emulator", json.dumps(config), str(self.port)],
            cwd=ROOT,
            env={**os.environ, **CHILD_ENV},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.http = httpx.Client(base_url=self.base_url, timeout=600)
        try:
            self._wait_ready()
        except BaseException:
            self.close(keep_log=True)
            raise

    def _wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self._proc.returncode}: see {self._log.name}")
            try:
                self.http.get("/_emulator/stats").raise_for_status()
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the emulator did not start within a minute")

    def oracle(self, start: datetime, end: datetime) -> dict[str, Any]:
        """The ground truth for `[start, end)` (also generates, hence warms, those days)."""
        params = {"created_after": start.isoformat(), "created_before": end.isoformat()}
        response = self.http.get("/_emulator/oracle", params=params)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, int]:
        return self.http.get("/_emulator/stats").raise_for_status().json()

    def cpu_seconds(self) -> float:
        """The emulator's CPU time so far (user + system, all threads): what serving has cost."""
        import psutil

        times = psutil.Process(self._proc.pid).cpu_times()
        return times.user + times.system

    def rss_mb(self) -> float:
        """The emulator's current RSS (its cache of generated days lives here, not in the pipeline)."""
        import psutil

        return psutil.Process(self._proc.pid).memory_info().rss / 2**20

    def close(self, *, keep_log: bool = False) -> None:
        self.http.close()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()
        if not keep_log:
            Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def whole_days(days: int, *, end_days_ago: int = 1) -> tuple[datetime, datetime]:
    """`days` whole UTC days ending at midnight `end_days_ago` days ago (all their events arrived)."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = midnight - timedelta(days=end_days_ago)
    return end - timedelta(days=days), end


def days_for_events(emulator: Emulator, events: int, end: datetime) -> tuple[datetime, int]:
    """Walk back whole days from `end` until they hold at least `events` (weekends are lighter);
    each oracle call generates its day, so this is also the warm-up. The day before `start` is
    generated too: the pipeline's first request of its oldest window reaches one second into it
    (`BOUNDARY_SLACK`), and generating a day inside a timed run costs the emulator seconds of CPU
    (measured: about 3 s of a 22 s local run). Returns (start, events)."""
    start, total = end, 0
    while total < events:
        start -= timedelta(days=1)
        total += emulator.oracle(start, start + timedelta(days=1))["count"]
    emulator.oracle(start - timedelta(days=1), start)
    return start, total


# ---------------------------------------------------------------------- child processes
def run_child(target: str, **kwargs: Any) -> dict[str, Any]:
    """Call `module:function(**kwargs)` in a fresh Python process; its dict result, plus the
    process's peak RSS (`peak_rss_mb`, ru_maxrss of the process and of any children it waited for)."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.harness", "call", target, json.dumps(kwargs, default=str)],
        cwd=ROOT,
        env={**os.environ, **CHILD_ENV},
        capture_output=True,
        text=True,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise RuntimeError(f"{target} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def _call(target: str, kwargs: str) -> None:
    module, _, function = target.partition(":")
    result = getattr(importlib.import_module(module), function)(**json.loads(kwargs))
    kib = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    result["peak_rss_mb"] = round(kib / 1024, 1)  # ru_maxrss is in KiB on Linux
    print(RESULT_MARK + json.dumps(result, default=str), flush=True)


def _serve(config: str, port: str) -> None:
    from box_emulator import EmulatorConfig, serve_forever

    fields = json.loads(config)
    if "latency_ms" in fields:
        fields["latency_ms"] = tuple(fields["latency_ms"])
    serve_forever(EmulatorConfig(**fields), host="127.0.0.1", port=int(port))


def backfill(
    emulator: Emulator,
    start: datetime,
    end: datetime,
    workdir: Path,
    *,
    requests_per_minute: float,
    concurrency: int | None,
    windows_per_run: int | None = None,
    record_requests: bool = False,
) -> dict[str, Any]:
    """`jobs.backfill` of `[start, end)` from `emulator` into a fresh DuckDB file, in a fresh process."""
    return run_child(
        "bench.harness:_backfill",
        api_base_url=emulator.api_base_url,
        token_url=emulator.token_url,
        token=emulator.token,
        start=start.isoformat(),
        end=end.isoformat(),
        workdir=str(workdir),
        requests_per_minute=requests_per_minute,
        concurrency=concurrency,
        windows_per_run=windows_per_run,
        record_requests=record_requests,
    )


def _backfill(
    *,
    api_base_url: str,
    token_url: str,
    token: str,
    start: str,
    end: str,
    workdir: str,
    requests_per_minute: float,
    concurrency: int | None,
    windows_per_run: int | None,
    record_requests: bool,
) -> dict[str, Any]:
    """The child's side of `backfill`: times the whole job, sums dlt's step times over its runs,
    and (when asked) records when each `/events` request was sent and how it was answered."""
    from pipelines import jobs

    sent: list[tuple[float, int]] = []
    if record_requests:
        original_send = httpx.Client.send

        def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
            at = time.monotonic()
            response = original_send(self, request, **kwargs)
            if request.url.path.endswith("/events"):
                sent.append((at, response.status_code))
            return response

        httpx.Client.send = send  # type: ignore[method-assign]

    duckdb_path = Path(workdir) / "pipeline.duckdb"
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    pipeline = jobs.make_pipeline(duckdb_path=duckdb_path, pipelines_dir=Path(workdir) / "dlt")
    sampler = RssSampler()
    steps, step_peaks = trace_steps(pipeline, sampler)
    api = jobs.ApiOptions(
        api_base_url=api_base_url,
        token_url=token_url,
        credentials={"developer_token": token},
        requests_per_minute=requests_per_minute,
        concurrency=concurrency,
    )
    chunking = {"windows_per_run": windows_per_run} if windows_per_run else {}
    started = time.perf_counter()
    report = jobs.backfill(pipeline, start=start, end=end, api=api, **chunking)
    seconds = time.perf_counter() - started
    sampler.stop()
    result: dict[str, Any] = {
        "seconds": seconds,
        "events_reported": report.events,
        "dlt_runs": report.runs,
        "step_seconds": {name: round(value, 2) for name, value in steps.items()},
        "step_peak_rss_mb": {name: round(value) for name, value in step_peaks.items()},
        "duckdb_path": str(duckdb_path),
    }
    if record_requests:
        result["requests"] = [(round(at - started, 4), status) for at, status in sent]
    return result


def trace_steps(pipeline: Any, sampler: RssSampler) -> tuple[dict[str, float], dict[str, float]]:
    """Wrap `pipeline.run` so every dlt run adds its step times (extract, normalize, load) and each
    step's peak RSS to the two dicts returned, which fill as the job runs (a job is several runs)."""
    steps: dict[str, float] = {}
    step_peaks: dict[str, float] = {}
    dlt_run = pipeline.run

    def run_and_trace(*args: Any, **kwargs: Any) -> Any:
        info = dlt_run(*args, **kwargs)
        for step in pipeline.last_trace.steps:
            if step.step != "run" and step.finished_at:
                seconds = (step.finished_at - step.started_at).total_seconds()
                steps[step.step] = steps.get(step.step, 0.0) + seconds
                peak = sampler.peak_between(step.started_at.timestamp(), step.finished_at.timestamp())
                step_peaks[step.step] = max(step_peaks.get(step.step, 0.0), peak)
        return info

    pipeline.run = run_and_trace
    return steps, step_peaks


class RssSampler:
    """This process's RSS every 50 ms, so a peak can be put on a dlt step (extract, normalize, load)."""

    def __init__(self, every_s: float = 0.05) -> None:
        import threading

        import psutil

        self._process = psutil.Process()
        self.samples: list[tuple[float, float]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every_s,), daemon=True)
        self._thread.start()

    def _sample(self, every_s: float) -> None:
        while not self._done.wait(every_s):
            self.samples.append((time.time(), self._process.memory_info().rss / 2**20))

    def peak_between(self, start: float, end: float) -> float:
        return max((rss for at, rss in self.samples if start <= at <= end), default=0.0)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def loaded_ids(duckdb_path: str | Path) -> list[str]:
    """Every `event_id` row of the pipeline's `admin_logs` (duplicates kept, so they can be seen)."""
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return [row[0] for row in con.execute("select event_id from box_events.admin_logs").fetchall()]


def loaded_counts(duckdb_path: str | Path) -> tuple[int, int]:
    """(rows, distinct event ids) of the pipeline's `admin_logs`."""
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        sql = "select count(*), count(distinct event_id) from box_events.admin_logs"
        rows, distinct = con.execute(sql).fetchone()
    return rows, distinct


def fresh_dir(name: str) -> Path:
    path = WORK / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# ---------------------------------------------------------------------- numbers and facts
def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def share(part: float, whole: float) -> float:
    """part / whole, 0 when whole is 0 (a share, not a percentage)."""
    return part / whole if whole else 0.0


def machine() -> dict[str, Any]:
    """nproc, memory, CPU model, load, and the versions that decide the numbers."""
    import dlt
    import duckdb
    import msgspec
    import pyarrow

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "versions": {
            "python": platform.python_version(),
            "dlt": dlt.__version__,
            "duckdb": duckdb.__version__,
            "pyarrow": pyarrow.__version__,
            "msgspec": msgspec.__version__,
        },
    }


def code_version() -> str:
    """The commit measured, `+dirty` when pipelines/ or box_emulator/ had uncommitted changes."""
    git = ["git", "-C", str(ROOT)]
    try:
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "pipelines", "box_emulator"], capture_output=True
        )
    except OSError:
        return "unknown"
    return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def write_result(name: str, result: dict[str, Any], *, quick: bool) -> Path:
    folder = QUICK_RESULTS if quick else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": name,
        "quick": quick,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # other work on the machine skews the numbers: the 5-minute load average when it finished
        "load_average_5m": round(os.getloadavg()[1], 2),
        "code": code_version(),
        **result,
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return path


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"emulator": _serve, "call": _call}[command](*args)
