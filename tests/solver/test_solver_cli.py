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


def _write_cvrp(path, n_per_arm: int = 10):
    """A depot at (50, 50) and four arms of customers (N, E, S, W), demand 5 each, capacity 20."""
    coords = [(50, 50)]
    for dx, dy in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        coords += [(50 + dx * 4 * k + dy, 50 + dy * 4 * k + dx) for k in range(1, n_per_arm + 1)]
    lines = ["NAME : arms", "TYPE : CVRP", f"DIMENSION : {len(coords)}", "EDGE_WEIGHT_TYPE : EUC_2D",
             "CAPACITY : 20", "NODE_COORD_SECTION"]
    lines += [f"{i + 1} {x} {y}" for i, (x, y) in enumerate(coords)]
    lines += ["DEMAND_SECTION"] + [f"{i + 1} {0 if i == 0 else 5}" for i in range(len(coords))]
    lines += ["DEPOT_SECTION", "1", "-1", "EOF"]
    path.write_text("\n".join(lines) + "\n")
    return coords


def test_cli_decomposes_a_large_cvrp_instance_into_sectors(tmp_path):
    """Above --decompose-above customers the CLI solves sectors separately; the routes still cover every
    customer once, respect the capacity and cost what the CLI says (re-verified here)."""
    instance = tmp_path / "arms.vrp"
    coords = _write_cvrp(instance)
    out = subprocess.run(
        [sys.executable, "-m", "solver", str(instance), "--time-limit", "8", "--seed", "1", "--workers", "1",
         "--decompose-above", "20", "--cluster-size", "10"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "decomposition into sectors" in out.stderr
    result = json.loads(out.stdout.splitlines()[0])
    served = sorted(c for r in result["routes"] for c in r)
    assert served == list(range(1, len(coords)))

    def d(a, b):
        return math.floor(math.hypot(coords[a][0] - coords[b][0], coords[a][1] - coords[b][1]) + 0.5)

    total = 0
    for route in result["routes"]:
        assert 5 * len(route) <= 20
        total += sum(d(a, b) for a, b in zip([0, *route], [*route, 0]))
    assert result["cost"] == total
