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
         "--workers", "1", "--plan-time-limit", "1", "--max-requests", "25", "--warmup", "1",
         "--trace", str(tmp_path / "trace.csv"), "--json"],
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
    # the warm-up (1 s at 15/s) is sent first and summed up apart, not in the figures above
    assert out["warmup"]["requests"] == 15 and out["warmup"]["errors"] == 0
    assert out["warmup"]["latency_ms"]["max"] > 0
    # the trace: one line per request, in due order, warm-up first
    import csv

    rows = list(csv.DictReader((tmp_path / "trace.csv").open(encoding="utf-8")))
    assert [r["warmup"] for r in rows] == ["1"] * 15 + ["0"] * 25
    dues = [float(r["due_s"]) for r in rows]
    assert dues == sorted(dues) and dues[15] == pytest.approx(1.0)
    assert all(r["status"] in ("200", "201", "303") and float(r["latency_ms"]) > 0 for r in rows)
