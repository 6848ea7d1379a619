"""scripts/load_test.py runs end to end (a short, low-rate run on SQLite): zero errors, sensible figures.
The real measurement (200 requests/s for 60 s) is run by hand; see the README."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_load_script_reports_throughput_latency_and_no_error(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("DISPATCH_DATABASE_URL", "DISPATCH_GRAPH_PATH", "DISPATCH_TEST_DATABASE_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "load_test.py"), "--db", "sqlite", "--rate", "15", "--duration", "2",
         "--workers", "1", "--plan-time-limit", "1", "--max-requests", "25", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["errors"] == 0 and out["errors_by_status"] == {}
    assert out["requests"] == 25  # bounded by --max-requests (15/s x 2 s would be 30)
    assert sum(out["by_kind"].values()) == 25 and {"api_report", "crew_update"} <= set(out["by_kind"])
    lat = out["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert out["throughput_rps"] > 0 and out["db"] == "sqlite"
    assert out["planning_job"] in ("queued", "running", "succeeded")
