"""``python -m solver`` on a tiny hand-written Solomon file; routes are re-verified here."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

from solver_testlib import ROOT

DATA = os.path.join(os.path.dirname(__file__), "data", "tiny6.txt")


def _read_tiny():
    rows = []
    capacity = None
    with open(DATA) as f:
        lines = [line.split() for line in f]
    for i, parts in enumerate(lines):
        if parts[:2] == ["NUMBER", "CAPACITY"]:
            n_vehicles, capacity = map(int, lines[i + 1])
        if len(parts) == 7 and all(p.lstrip("-").isdigit() for p in parts):
            rows.append(tuple(map(int, parts)))
    return n_vehicles, capacity, rows


def _d(a, b):
    # Euclidean, truncated to one decimal
    return math.floor(math.sqrt((a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2) * 10) / 10


def test_cli_tiny_solomon():
    out = subprocess.run(
        [sys.executable, "-m", "solver", DATA, "--time-limit", "1", "--seed", "1", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    n_vehicles, capacity, rows = _read_tiny()
    node = {r[0]: r for r in rows}
    routes = result["routes"]
    assert result["vehicles"] == len(routes) <= n_vehicles
    served = sorted(c for r in routes for c in r)
    assert served == [1, 2, 3, 4, 5, 6]
    total = 0.0
    for route in routes:
        assert sum(node[c][3] for c in route) <= capacity
        t, prev = 0.0, 0
        for c in [*route, 0]:
            leg = _d(node[prev], node[c])
            total += leg
            t = max(t + leg, node[c][4])  # wait for ready time
            assert t <= node[c][5] + 1e-9, (route, c, t)
            t += node[c][6]
            prev = c
    assert abs(result["cost"] - round(total, 1)) < 1e-6
