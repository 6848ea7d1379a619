"""scripts/bench_scale.py runs end to end on a tiny size and prints one JSON line per mode; its product mode
plans a seeded day through dispatch, checks every part and the stored plan, and fails on a violation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def _bench():
    """scripts/bench_scale.py as a module (the scripts are not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "scripts" / "bench_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_product_mode_plans_a_seeded_day_through_dispatch_and_checks_it():
    done = subprocess.run(
        [sys.executable, "scripts/bench_scale.py", "--sizes", "60", "--time-limit", "2", "--modes", "product", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(rows) == 1
    r = rows[0]
    assert (r["size"], r["mode"], r["violations"]) == (60, "product", 0)
    assert r["regions"] == ["est", "ouest", "sud"] and sum(r["records_per_region"].values()) == 60
    # each region has its own matrix: its visits and its depot, never the day's 60 visits at once
    assert all(r["matrix_sites_per_region"][g] == r["visits_per_region"][g] + 1 for g in r["regions"])
    assert r["vans"] == 3 and r["time_limit_per"] == "region" and r["decomposed_regions"] == []
    # every visit of the day is accounted for: served, unassigned (by reason) or not needed today
    assert r["candidates"] == 60
    assert r["served"] + sum(r["unassigned_by_reason"].values()) + r["not_needed_today"] == 60
    assert r["unassigned"] == sum(r["unassigned_by_reason"].values())
    assert r["served"] > 0 and 1 <= r["routes"] <= 3 and r["cost"] > 0 and r["distance_km"] > 0
    assert 0 < r["matrix_seconds"] <= r["build_seconds"] < r["seconds"] and r["solve_seconds"] < r["seconds"]
    assert r["seed_seconds"] > 0 and r["peak_rss_mb"] > 0


def test_product_mode_fails_loudly_on_a_route_that_lost_a_visit(monkeypatch, capsys):
    """A visit dropped from a route without being listed unassigned: check.py reports it missing, the
    stored plan lacks it, and the run stops with every problem printed."""
    import argparse
    import dataclasses

    from dispatch.planning import scale

    bench = _bench()
    real = scale.solve_part
    dropped = []

    def tampered(part, options):
        solution = real(part, options)
        if dropped:
            return solution
        routes = list(solution.routes)
        for i, route in enumerate(routes):
            visit = next((s.id for s in route.steps if s.type == "visit"), None)
            if visit is not None:
                dropped.append(visit)
                routes[i] = dataclasses.replace(route, steps=tuple(s for s in route.steps if s.id != visit))
                return dataclasses.replace(solution, routes=tuple(routes))
        return solution

    monkeypatch.setattr(scale, "solve_part", tampered)
    with pytest.raises(SystemExit) as exc:
        bench.run_product(15, argparse.Namespace(time_limit=1.0, seed=1, solution_limit=None))
    assert exc.value.code != 0 and "violation" in str(exc.value)
    err = capsys.readouterr().err
    (visit,) = dropped
    assert f"check.py: missing: mandatory visit {visit!r}" in err or f"check.py: missing: optional visit {visit!r}" in err
    assert f"plan: {'relay point' if visit.startswith('rp:') else 'home pickup'} {visit} is neither on a round" in err
