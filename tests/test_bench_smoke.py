"""The benchmarks still run, at smoke size (no timing is asserted: speed lives in `bench/`).

Each benchmark starts its own emulator process and pipeline subprocesses, so this also proves the
end-to-end path outside pytest's process: the API-bound run must load exactly the oracle's ids, the
local run the same events in every repeat."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "pipeline_local",
        "pipeline_api_bound",
        "backfill_newest_first",
        "pipeline_memory",
        "detections_noise",
        "sync_at_scale",
    ],
)
def test_benchmark_runs_at_smoke_size(module):
    result = importlib.import_module(f"bench.{module}").run(quick=True)
    if module == "pipeline_api_bound":
        assert result["exact"] and result["missing"] == result["unexpected"] == result["duplicates"] == 0
        assert result["requests_sent"] == result["requests_seen_by_emulator"] > 0
    elif module == "backfill_newest_first":
        assert result["last_day_exact"] and result["last_day_events"] > 0 and result["queryable_s"] > 0
        assert result["committed"]["windows"] >= result["days"] and not result["stopped_by_sigterm"]
    elif module == "pipeline_local":
        assert result["events"] > 0
        assert all(run["events_reported"] == result["events"] for run in result["pipeline_runs"])
        assert all(run["rows"] == run["distinct"] == result["events"] for run in result["pipeline_runs"])
        assert all(run["events"] == result["events"] for run in result["floor_fetch_runs"])
        assert all(run["rows"] == result["events"] for run in result["floor_read_json_runs"])
        assert result["floor_seconds_median"] > 0 and result["ratio"] > 0
    elif module == "sync_at_scale":
        size = result["results"][0]
        assert result["exact"] and size["check"]["missing"] == size["check"]["unexpected"] == 0
        assert [run["transform_mode"] for run in size["runs"]] == ["incremental"]
        assert size["transforms_one_event_mode"] == "incremental" and size["dbt_import_s"] > 0
        assert size["events_new_median"] > 0 and size["rows"] > size["real_rows"] > 0
    elif module == "detections_noise":
        assert result["planted"] == result["planted_found"] > 0 and not result["planted_missed"]
        assert result["findings"] > 0 and result["events"] > 0
    else:
        assert 0 < result["small"]["events"] < result["large"]["events"]
        assert result["small"]["peak_rss_mb"] > 0 and result["large"]["peak_rss_mb"] > 0
