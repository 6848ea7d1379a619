"""scripts/bench_solver.py: the JSON line of a short run, and the independent verifier it relies on."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO

pytest.importorskip("vrplib")

SCRIPT = REPO / "scripts" / "bench_solver.py"
DATA = REPO / "data" / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_solver", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_solver"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def c101(bench):
    return bench.load_instance(DATA / "solomon" / "C101.txt")


@pytest.fixture()
def c101_reference() -> list[list[int]]:
    return json.loads((DATA / "solomon" / "pyvrp_reference" / "C101.json").read_text(encoding="utf-8"))["routes"]


def test_json_line_of_a_short_run() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--instances", "C101", "--time-limit", "1", "--skip-pyvrp", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    row = lines[0]
    for key in ("instance", "customers", "time_limit", "reference", "ours_cost", "ours_reported_cost",
                "ours_feasible", "ours_violations", "ours_gap", "ours_wall_s", "pyvrp_cost", "pyvrp_gap"):
        assert key in row, key
    assert row["instance"] == "C101" and row["customers"] == 100 and row["time_limit"] == 1
    assert row["reference"] == 827.3
    assert row["pyvrp_cost"] is None  # --skip-pyvrp
    assert isinstance(row["ours_feasible"], bool) and isinstance(row["ours_violations"], list)
    if row["ours_feasible"]:
        assert row["ours_cost"] >= 827.3 - 1e-9 and row["ours_gap"] is not None
    assert "Solomon median gap" in proc.stderr  # the summary goes to stderr with --json


def test_search_params_are_passed_on_and_checked_first(tmp_path) -> None:
    def run(params):
        return subprocess.run(
            [sys.executable, str(SCRIPT), "--instances", "C101", "--time-limit", "1", "--skip-pyvrp", "--json",
             "--search-params", str(params)],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )

    bad = tmp_path / "bad.toml"
    bad.write_text("ruin = 4\n")
    proc = run(bad)
    assert proc.returncode == 2 and proc.stdout == ""  # refused before any instance is run
    assert "--search-params: " in proc.stderr and "unknown field(s) ruin" in proc.stderr
    good = tmp_path / "good.toml"
    good.write_text("ruin_size = 4\n")
    proc = run(good)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout.splitlines()[0])
    assert row["instance"] == "C101" and row["ours_cost"] is not None, row["ours_violations"]  # the solver ran


def test_verifier_accepts_the_references(bench, c101, c101_reference) -> None:
    cost, violations = bench.verify_routes(c101, c101_reference)
    assert violations == [] and cost == pytest.approx(827.3)
    refs = bench.read_references()
    x = bench.load_instance(DATA / "cvrplib_x" / "X-n101-k25.vrp")
    import vrplib

    sol = vrplib.read_solution(str(DATA / "cvrplib_x" / "X-n101-k25.sol"))
    assert bench.verify_routes(x, sol["routes"]) == (refs["X-n101-k25"], [])


def test_verifier_flags_planted_infeasibilities(bench, c101, c101_reference) -> None:
    def bad(routes) -> list[str]:
        return bench.verify_routes(c101, routes)[1]

    late = [list(r) for r in c101_reference]
    late[0][0], late[0][-1] = late[0][-1], late[0][0]  # first customer served last: way past its window
    assert any("> due" in v for v in bad(late))

    merged = [list(r) for r in c101_reference]
    merged[0] += merged.pop(1)
    assert any("capacity" in v for v in bad(merged))

    dropped = [list(r) for r in c101_reference]
    gone = dropped[0].pop()
    assert any("not served" in v and str(gone) in v for v in bad(dropped))

    twice = [list(r) for r in c101_reference] + [[c101_reference[0][0]]]
    assert any("more than once" in v for v in bad(twice))

    assert any("vehicles used" in v for v in bad([[c] for c in range(1, 101)]))
    assert any("unknown customer" in v for v in bad([*c101_reference, [101]]))


def test_x_conventions(bench) -> None:
    """Rounded Euclidean (nearest integer) and no fleet limit for X; truncated tenths for Solomon."""
    x = bench.load_instance(DATA / "cvrplib_x" / "X-n101-k25.vrp")
    cost, violations = bench.verify_routes(x, [[c] for c in range(1, 101)])
    assert violations == []
    assert cost == sum(2 * bench.arc_length(x, 0, c) for c in range(1, 101))
    c = bench.load_instance(DATA / "solomon" / "C101.txt")
    assert bench.arc_length(c, 0, 1) == 186  # (40,50)->(45,68): sqrt(349) = 18.68.. -> 18.6


def test_workers_second_table_and_cpu_seconds() -> None:
    """``--workers 1 2``: the headline run is one process (its CPU seconds reported), the 2-process run
    goes in its own entry, verified the same way."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--instances", "C101", "--time-limit", "1", "--skip-pyvrp", "--json",
         "--workers", "1", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (row,) = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert row["ours_workers"] == 1 and row["ours_cpu_s"] > 0
    two = row["ours_w2"]
    assert set(two) == {"cost", "feasible", "gap", "wall_s", "cpu_s", "ratio"}
    assert two["cpu_s"] > 0 and two["ratio"] is None  # no PyVRP run to compare with
    # the 2-process run really ran (it used to be handed the worker count as its search-parameters file)
    assert two["feasible"], two
    assert two["cost"] >= 827.3 - 1e-9


def test_side_by_side_runs_both_at_once() -> None:
    """``--side-by-side``: ours and PyVRP run together (one core each), so the instance takes about one time
    limit instead of two, and both sides are verified and timed as before."""
    pytest.importorskip("pyvrp")
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--instances", "C101", "--time-limit", "3", "--json", "--side-by-side"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    wall = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    (row,) = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert row["side_by_side"] is True
    assert row["ours_feasible"] and row["pyvrp_feasible"], row
    assert row["ours_cpu_s"] > 0 and row["pyvrp_cpu_s"] > 0
    # sequential would be at least 3 + 3 s of solving; overlapped, the two 3 s limits run together
    assert wall < row["ours_wall_s"] + row["pyvrp_wall_s"], (wall, row)
    # issue 21's equal-CPU verdicts, on the cost ratio ours / PyVRP
    assert "Solomon median cost ours / PyVRP <= 1.005" in proc.stderr
    assert "Solomon worst cost ours / PyVRP <= 1.02" in proc.stderr
