"""scripts/bench_scale.py runs end to end on a tiny size and prints one JSON line per mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_scale_prints_one_line_per_size_and_mode():
    done = subprocess.run(
        [sys.executable, "scripts/bench_scale.py", "--sizes", "15", "--time-limit", "3", "--modes", "inprocess",
         "mono", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [(r["size"], r["mode"]) for r in rows] == [(15, "inprocess"), (15, "mono")]
    for r in rows:
        assert r["seconds"] > 0 and r["cost"] > 0 and r["peak_rss_mb"] > 0
        assert r["routes"] >= 1 and r["mandatory_unassigned"] == 0 and r["unassigned"] <= 15
    assert rows[1]["check_errors"] == 0  # the monolithic solution passes the independent checker
