#!/usr/bin/env python
"""Solver-quality benchmark: our solver (``python -m solver``) vs PyVRP vs the reference costs.

For each instance, sequentially (never two solvers at once), or with ``--side-by-side`` both at once, one on
each core (ours in its subprocess, PyVRP in this process; on a machine with at least 2 idle cores each side
has a core of its own, and the run takes half the time):

1. OUR solver, in a subprocess ``python -m solver INSTANCE --time-limit S --seed N --workers W --json`` (the
   way a user runs it; the wall time includes Python start-up, reading the instance and building the model).
   The headline table is at equal CPU: ``--workers`` first value (default 1: one process) against PyVRP,
   which runs in one thread; further values (``--workers 1 2``) add a second, labelled table (W processes,
   so about W times PyVRP's CPU). CPU seconds are reported for both sides (ours: the child process and
   its own children, from ``getrusage``; PyVRP: ``process_time`` of this process around its solve).
   Its routes are re-checked here by ``verify_routes`` from the raw instance (``vrplib.read_instance``);
   the cost it reports is not trusted.
2. PyVRP (benchmark-only dependency, imported lazily; ``--skip-pyvrp`` skips it) with the same conventions
   and the same time limit, ``pyvrp.solve(data, stop=MaxRuntime(limit), seed=seed)``. Its routes go
   through the same verifier.

Conventions (the ones of ``data/benchmarks/reference.csv``):

* Solomon VRPTW (``*.txt``): Euclidean distance truncated to one decimal; travel time = distance; time
  windows apply to the service start, service times included; a van must be back at the depot before the
  depot's due date; at most the instance's vehicle number (25); objective = total distance (the vehicle
  count is not minimised). Exact arithmetic in tenths (``isqrt(100 * d2)``). PyVRP reads the instance
  (converted to VRPLIB text, since ``pyvrp.read`` only parses VRPLIB) with ``round_func="dimacs"``: every
  value (distances, windows, service times, demands, capacity) x 10 and truncated, i.e. exactly the
  same integers; its cost / 10 is the distance.
* CVRPLIB X (``*.vrp``): Euclidean distance rounded to the nearest integer, unbounded fleet, objective =
  total distance; PyVRP with ``round_func="round"``.

The PyVRP distance matrix is checked against the verifier's distances before solving, so the two costs
are comparable by construction.

Gap % = 100 * (cost - reference) / reference (negative = better than the reference). An instance whose
routes are infeasible (or whose run failed) counts as an infinite gap in the medians and worst gaps.

Targets: Solomon feasible on every instance, median gap <= 0.5 %, worst <= 2 %; X instances of 100-300
customers (X-n101 .. X-n303, i.e. X instances up to 500 customers) median <= 2 %; X-n1001-k43 at 60 s <= 5 %.

    .venv/bin/python scripts/bench_solver.py --out bench.md                 # everything (~40 min)
    .venv/bin/python scripts/bench_solver.py --instances C101 X-n101-k25 --time-limit 30 --json
    .venv/bin/python scripts/bench_solver.py --instances C101 R201 X-n101-k25 --workers 1 2 --out partial.md
    .venv/bin/python scripts/bench_solver.py --instances 'data/benchmarks/solomon/R1*.txt' --skip-pyvrp
    .venv/bin/python scripts/bench_solver.py --instances R204 RC103 --skip-pyvrp --search-params wide.toml
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "benchmarks"
SOLOMON_DIR = DATA / "solomon"
X_DIR = DATA / "cvrplib_x"
REFERENCE_CSV = DATA / "reference.csv"

X_LARGE_CUSTOMERS = 500  # instances above this many customers get --x-large-time-limit
TARGETS = {
    "solomon_median": 0.5,
    "solomon_worst": 2.0,
    "x_mid_median": 2.0,
    "x_n1001": 5.0,
}
# Cost ratio ours / PyVRP at equal CPU (ours one process, PyVRP one thread, same limit): issue 21's targets.
RATIO_TARGETS = {"median": 1.005, "worst": 1.02, "x_n1001": 1.02}


# --------------------------------------------------------------------------------------------------------
# Instances and the independent verifier
# --------------------------------------------------------------------------------------------------------


class Instance:
    """A benchmark instance as read by vrplib (a plain class, so that the script loads with importlib
    without being registered in ``sys.modules``)."""

    def __init__(self, name: str, path: Path, kind: str, raw: dict, scale: int) -> None:
        self.name = name
        self.path = path
        self.kind = kind  # "solomon" | "cvrp"
        self.raw = raw
        self.scale = scale  # integer costs / scale = instance units

    def __repr__(self) -> str:
        return f"Instance({self.name!r}, {self.kind!r}, {self.customers} customers)"

    @property
    def customers(self) -> int:
        return len(self.raw["demand"]) - 1


def _as_list(values) -> list:
    return values.tolist() if hasattr(values, "tolist") else list(values)


def load_instance(path: str | os.PathLike) -> Instance:
    """Reads a Solomon ``.txt`` or VRPLIB ``.vrp`` with vrplib (no edge weights: computed per arc)."""
    import vrplib

    path = Path(path)
    name = path.stem
    if path.suffix == ".vrp":
        raw = vrplib.read_instance(str(path), compute_edge_weights=False)
        depot = _as_list(raw.get("depot", [0]))
        if list(depot) != [0]:
            raise ValueError(f"{path}: only single-depot instances with the depot first are supported")
        if str(raw.get("edge_weight_type", "EUC_2D")).upper() != "EUC_2D":
            raise ValueError(f"{path}: only EUC_2D instances are supported")
        return Instance(name, path, "cvrp", raw, 1)
    raw = vrplib.read_instance(str(path), instance_format="solomon", compute_edge_weights=False)
    return Instance(name, path, "solomon", raw, 10)


def _coords(inst: Instance) -> list[tuple]:
    """Coordinates as Python ints when they are all integral (exact arithmetic), else floats; cached."""
    cached = inst.raw.get("_bench_coords")
    if cached is None:
        pts = [tuple(float(c) for c in xy) for xy in _as_list(inst.raw["node_coord"])]
        if all(c == int(c) for xy in pts for c in xy):
            pts = [tuple(int(c) for c in xy) for xy in pts]
        cached = inst.raw["_bench_coords"] = pts
    return cached


def arc_length(inst: Instance, a: int, b: int) -> int:
    """Integer arc length in 1/scale units: Solomon tenths truncated; X rounded to the nearest integer."""
    pts = _coords(inst)
    (xa, ya), (xb, yb) = pts[a], pts[b]
    if isinstance(xa, int) and isinstance(xb, int):
        d2 = (xa - xb) ** 2 + (ya - yb) ** 2
        if inst.kind == "solomon":
            return math.isqrt(100 * d2)  # floor(10 * sqrt(d2)), exact
        r = math.isqrt(d2)  # nearest integer to sqrt(d2), exact (never a tie for integer d2)
        return r + 1 if d2 - r * r > r else r
    d = math.hypot(xa - xb, ya - yb)
    return int(10 * d) if inst.kind == "solomon" else int(math.floor(d + 0.5))


def verify_routes(inst: Instance, routes: list[list[int]]) -> tuple[float, list[str]]:
    """Independent check of a solution given as routes of customer numbers (depot 0 left out).

    Returns (cost in instance units, violations). Checks: every customer exactly once, no unknown number,
    capacity per route, and for Solomon the time windows (service start, service times, travel time =
    truncated distance, return before the depot's due date) and vehicles <= the instance's number.
    Empty routes are ignored (an unused vehicle).
    """
    raw = inst.raw
    n = len(raw["demand"])
    demand = [int(d) for d in _as_list(raw["demand"])]
    capacity = int(raw["capacity"]) if not hasattr(raw["capacity"], "__len__") else int(raw["capacity"][0])
    violations: list[str] = []
    seen: dict[int, int] = {}
    total = 0
    used = [r for r in routes if len(r) > 0]
    if inst.kind == "solomon":
        scale = 10
        windows = [(int(a) * scale, int(b) * scale) for a, b in _as_list(raw["time_window"])]
        service = [int(s) * scale for s in _as_list(raw["service_time"])]
        if len(used) > int(raw["vehicles"]):
            violations.append(f"{len(used)} vehicles used > {int(raw['vehicles'])} available")
    for k, route in enumerate(used):
        try:
            stops = [int(c) for c in route]
        except (TypeError, ValueError):  # handled: reported as a violation
            violations.append(f"route {k}: non-integer customer in {route!r}")
            continue
        bad = [c for c in stops if not 1 <= c < n]
        if bad:
            violations.append(f"route {k}: unknown customer(s) {bad}")
            continue
        for c in stops:
            seen[c] = seen.get(c, 0) + 1
        load = sum(demand[c] for c in stops)
        if load > capacity:
            violations.append(f"route {k}: load {load} > capacity {capacity}")
        path = [0, *stops, 0]
        total += sum(arc_length(inst, a, b) for a, b in zip(path, path[1:]))
        if inst.kind == "solomon":
            t = windows[0][0]  # leave the depot when it opens (waiting is allowed anywhere)
            for a, b in zip(path, path[1:]):
                t += arc_length(inst, a, b)  # arrival at b
                if b == 0:
                    if t > windows[0][1]:
                        violations.append(f"route {k}: back at the depot at {t / scale} > due {windows[0][1] / scale}")
                    break
                start = max(t, windows[b][0])
                if start > windows[b][1]:
                    violations.append(f"route {k}: customer {b} served at {start / scale} > due {windows[b][1] / scale}")
                t = start + service[b]
    missing = [c for c in range(1, n) if c not in seen]
    twice = sorted(c for c, m in seen.items() if m > 1)
    if missing:
        violations.append(f"{len(missing)} customer(s) not served: {missing[:10]}{' ...' if len(missing) > 10 else ''}")
    if twice:
        violations.append(f"customer(s) served more than once: {twice[:10]}{' ...' if len(twice) > 10 else ''}")
    return total / inst.scale, violations


def read_references(path: Path = REFERENCE_CSV) -> dict[str, float]:
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["instance"]: float(row["reference_cost"]) for row in csv.DictReader(fh) if row["reference_cost"]}


def gap(cost: float | None, ref: float | None) -> float | None:
    if cost is None or ref is None or ref == 0:
        return None
    return 100.0 * (cost - ref) / ref


# --------------------------------------------------------------------------------------------------------
# Runners
# --------------------------------------------------------------------------------------------------------


def start_ours(inst: Instance, time_limit: float, seed: int, search_params: Path | None = None,
               workers: int = 1) -> dict:
    """Start ``python -m solver --workers W`` in a subprocess; ``finish_ours`` collects it.
    ``search_params``: a ``SearchParams`` file passed on (``--search-params``, tuning experiments)."""
    cmd = [sys.executable, "-m", "solver", str(inst.path), "--time-limit", f"{time_limit:g}", "--seed", str(seed),
           "--workers", str(workers), "--json"]
    if search_params is not None:
        cmd += ["--search-params", str(search_params)]
    return {"before": resource.getrusage(resource.RUSAGE_CHILDREN), "start": time.perf_counter(),
            "timeout": 3 * time_limit + 120,
            "proc": subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)}


def finish_ours(running: dict) -> dict:
    """Wait for a run ``start_ours`` began; returns routes, reported cost, wall and CPU seconds (the child
    and its own children: with W > 1, the portfolio's processes). Only one of our runs is alive at a time,
    so the children's rusage delta is that run's."""
    proc = running["proc"]
    try:
        stdout, stderr = proc.communicate(timeout=running["timeout"])
    except subprocess.TimeoutExpired:  # handled: reported in the result row
        proc.kill()
        proc.communicate()
        return {"error": f"timed out after {running['timeout']:.0f} s", "wall_s": time.perf_counter() - running["start"]}
    wall = time.perf_counter() - running["start"]
    after, before = resource.getrusage(resource.RUSAGE_CHILDREN), running["before"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out = None
    for line in reversed(stdout.splitlines()):
        if line.strip().startswith("{"):
            try:
                out = json.loads(line)
                break
            except json.JSONDecodeError:  # handled: no JSON line: the error is reported below
                pass
    res = {"wall_s": wall, "cpu_s": cpu, "returncode": proc.returncode}
    if out is None or "routes" not in out:
        tail = (stderr or stdout).strip().splitlines()[-3:]
        res["error"] = f"no JSON result (exit {proc.returncode}): {' | '.join(tail)}"
        return res
    res["routes"] = out["routes"]
    res["reported_cost"] = out.get("cost")
    return res


def run_ours(inst: Instance, time_limit: float, seed: int, search_params: Path | None = None, workers: int = 1) -> dict:
    """Our solver alone: ``start_ours`` then ``finish_ours``."""
    return finish_ours(start_ours(inst, time_limit, seed, search_params, workers))


def _solomon_as_vrplib(inst: Instance, target: Path) -> None:
    """Writes the Solomon instance in VRPLIB text so that ``pyvrp.read`` can parse it (values unchanged)."""
    raw = inst.raw
    n = len(raw["demand"])
    lines = [
        f"NAME : {inst.name}",
        "TYPE : VRPTW",
        f"DIMENSION : {n}",
        f"VEHICLES : {int(raw['vehicles'])}",
        f"CAPACITY : {int(raw['capacity'])}",
        "EDGE_WEIGHT_TYPE : EUC_2D",
        "NODE_COORD_SECTION",
        *(f"{i + 1}\t{int(x)}\t{int(y)}" for i, (x, y) in enumerate(_as_list(raw["node_coord"]))),
        "DEMAND_SECTION",
        *(f"{i + 1}\t{int(d)}" for i, d in enumerate(_as_list(raw["demand"]))),
        "TIME_WINDOW_SECTION",
        *(f"{i + 1}\t{int(a)}\t{int(b)}" for i, (a, b) in enumerate(_as_list(raw["time_window"]))),
        "SERVICE_TIME_SECTION",
        *(f"{i + 1}\t{int(s)}" for i, s in enumerate(_as_list(raw["service_time"]))),
        "DEPOT_SECTION",
        "1",
        "-1",
        "EOF",
    ]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pyvrp_data(inst: Instance):
    """PyVRP ProblemData with our conventions (``pyvrp.read``)."""
    import pyvrp

    if inst.kind == "solomon":
        with tempfile.TemporaryDirectory() as tmp:
            vrp = Path(tmp) / f"{inst.name}.vrp"
            _solomon_as_vrplib(inst, vrp)
            data = pyvrp.read(vrp, round_func="dimacs")  # x 10 then truncated: distances in tenths
    else:
        data = pyvrp.read(inst.path, round_func="round")
    return data


def check_pyvrp_data(inst: Instance, data) -> None:
    """Same integers as the verifier: every distance, and for Solomon the fleet size and the time data."""
    dist = data.distance_matrix(0).tolist()
    n = len(inst.raw["demand"])
    for a in range(n):
        row = dist[a]
        for b in range(n):
            if a != b and row[b] != arc_length(inst, a, b):
                raise AssertionError(f"{inst.name}: PyVRP distance {a}->{b} = {row[b]} != {arc_length(inst, a, b)}")
    if inst.kind == "solomon":
        if data.num_vehicles != int(inst.raw["vehicles"]):
            raise AssertionError(f"{inst.name}: PyVRP has {data.num_vehicles} vehicles")
        tw = _as_list(inst.raw["time_window"])
        st = _as_list(inst.raw["service_time"])
        for client in data.clients():
            k = client.location
            got = (client.tw_early, client.tw_late, client.service_duration)
            if got != (10 * int(tw[k][0]), 10 * int(tw[k][1]), 10 * int(st[k])):
                raise AssertionError(f"{inst.name}: PyVRP client {k} has (early, late, service) {got}")


def _pyvrp_routes(data, solution) -> list[list[int]]:
    routes = []
    for route in solution.routes():
        if hasattr(route, "visits"):  # PyVRP < 0.12: location indices of the clients
            routes.append([int(v) for v in route.visits()])
        else:
            routes.append([int(data.client(a.idx).location) for a in route if a.is_client()])
    return routes


def run_pyvrp(inst: Instance, time_limit: float, seed: int) -> dict:
    from pyvrp import solve
    from pyvrp.stop import MaxRuntime

    start = time.perf_counter()
    cpu0 = time.process_time()
    data = pyvrp_data(inst)
    read_wall, read_cpu = time.perf_counter() - start, time.process_time() - cpu0
    check_pyvrp_data(inst, data)  # not timed
    start = time.perf_counter()
    cpu0 = time.process_time()
    result = solve(data, stop=MaxRuntime(time_limit), seed=seed, display=False)
    wall = read_wall + time.perf_counter() - start
    best = result.best
    return {
        "routes": _pyvrp_routes(data, best),
        "reported_cost": best.distance() / inst.scale,
        "reported_feasible": bool(best.is_feasible()),
        "wall_s": wall,
        "cpu_s": read_cpu + time.process_time() - cpu0,
    }


# --------------------------------------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------------------------------------


def resolve_instances(patterns: list[str] | None) -> list[Path]:
    if not patterns:
        def size(p: Path) -> tuple[int, str]:
            m = re.match(r"X-n(\d+)-", p.stem)
            return (int(m.group(1)) if m else 0, p.stem)

        return sorted(SOLOMON_DIR.glob("*.txt")) + sorted(X_DIR.glob("*.vrp"), key=size)
    found: list[Path] = []
    for pat in patterns:
        hits = [Path(p) for p in sorted(glob.glob(pat))] or [Path(p) for p in sorted(glob.glob(str(REPO / pat)))]
        if not hits:
            for cand in (SOLOMON_DIR / f"{pat}.txt", SOLOMON_DIR / f"{pat.upper()}.txt", X_DIR / f"{pat}.vrp"):
                if cand.exists():
                    hits = [cand]
                    break
        if not hits:
            raise SystemExit(f"error: no instance matches {pat!r}")
        found.extend(h.resolve() for h in hits if h.suffix in (".txt", ".vrp"))
    unique: list[Path] = []
    for p in found:
        if p not in unique:
            unique.append(p)
    return unique


def _ours_fields(inst: Instance, ours: dict, ref: float | None) -> dict:
    row = {"ours_wall_s": round(ours["wall_s"], 2),
           "ours_cpu_s": round(ours["cpu_s"], 2) if "cpu_s" in ours else None}
    if "error" in ours:
        return row | dict(ours_cost=None, ours_reported_cost=None, ours_cost_mismatch=None, ours_vehicles=None,
                          ours_feasible=False, ours_violations=[ours["error"]], ours_gap=None)
    cost, violations = verify_routes(inst, ours["routes"])
    rep = ours["reported_cost"]
    return row | dict(
        ours_cost=round(cost, 6),
        ours_reported_cost=rep,
        ours_cost_mismatch=rep is not None and abs(rep - cost) > 1e-6 * max(1.0, abs(cost)),
        ours_vehicles=sum(1 for r in ours["routes"] if r),
        ours_feasible=not violations,
        ours_violations=violations,
        ours_gap=gap(cost, ref) if not violations else None,
    )


def _pyvrp_fields(inst: Instance, limit: float, seed: int, ref: float | None) -> dict:
    try:
        py = run_pyvrp(inst, limit, seed)
    except Exception as exc:  # noqa: BLE001 - report and carry on with the next instance
        return dict(pyvrp_cost=None, pyvrp_feasible=False, pyvrp_violations=[f"{type(exc).__name__}: {exc}"],
                    pyvrp_gap=None, pyvrp_wall_s=None)
    cost, violations = verify_routes(inst, py["routes"])
    if not py["reported_feasible"]:
        violations = [*violations, "PyVRP reports its best solution infeasible"]
    if abs(py["reported_cost"] - cost) > 1e-6 * max(1.0, abs(cost)):
        violations = [*violations, f"PyVRP cost {py['reported_cost']} != recomputed {round(cost, 6)}"]
    return dict(
        pyvrp_cost=round(cost, 6),
        pyvrp_vehicles=sum(1 for r in py["routes"] if r),
        pyvrp_feasible=not violations,
        pyvrp_violations=violations,
        pyvrp_gap=gap(cost, ref) if not violations else None,
        pyvrp_wall_s=round(py["wall_s"], 2),
        pyvrp_cpu_s=round(py["cpu_s"], 2),
    )


def bench_one(path: Path, args, refs: dict[str, float]) -> dict:
    """One instance: ours (``--workers`` first value), then PyVRP; with ``--side-by-side`` both at once,
    each on its own core (ours in its subprocess, PyVRP in this process)."""
    inst = load_instance(path)
    limit = args.x_large_time_limit if inst.customers > X_LARGE_CUSTOMERS else args.time_limit
    ref = refs.get(inst.name)
    row: dict = {
        "instance": inst.name,
        "set": "solomon" if inst.kind == "solomon" else ("x" if inst.name.startswith("X-") else "cvrp"),
        "customers": inst.customers,
        "time_limit": limit,
        "seed": args.seed,
        "reference": ref,
        "load_before": round(os.getloadavg()[0], 2),
        "side_by_side": bool(args.side_by_side and not args.skip_pyvrp),
        "ours_workers": args.workers[0],
    }
    running = start_ours(inst, limit, args.seed, args.search_params, args.workers[0])
    if not row["side_by_side"]:
        row.update(_ours_fields(inst, finish_ours(running), ref))
    if args.skip_pyvrp:
        row.update(pyvrp_cost=None, pyvrp_feasible=None, pyvrp_violations=None, pyvrp_gap=None, pyvrp_wall_s=None)
    else:
        row.update(_pyvrp_fields(inst, limit, args.seed, ref))
    if row["side_by_side"]:
        row.update(_ours_fields(inst, finish_ours(running), ref))
    for key in ("ours_gap", "pyvrp_gap"):
        if row.get(key) is not None:
            row[key] = round(row[key], 3)
    row["ratio"] = _ratio(row.get("ours_cost"), row.get("pyvrp_cost"), row.get("ours_feasible"), row.get("pyvrp_feasible"))
    for w in args.workers[1:]:  # the second table: our solver with more processes (more CPU than PyVRP)
        more = run_ours(inst, limit, args.seed, args.search_params, w)
        f = _ours_fields(inst, more, ref)  # verified the same way as the headline run
        row[f"ours_w{w}"] = {
            "cost": f["ours_cost"], "feasible": f["ours_feasible"],
            "gap": None if f["ours_gap"] is None else round(f["ours_gap"], 3),
            "wall_s": f["ours_wall_s"], "cpu_s": round(more.get("cpu_s", 0.0), 2),
            "ratio": _ratio(f["ours_cost"], row.get("pyvrp_cost"), f["ours_feasible"], row.get("pyvrp_feasible")),
        }
    row["load_after"] = round(os.getloadavg()[0], 2)
    return row


def _ratio(ours, theirs, ours_ok, theirs_ok) -> float | None:
    """Our cost / PyVRP's (both feasible), 4 decimals."""
    if ours is None or theirs is None or not ours_ok or not theirs_ok or not theirs:
        return None
    return round(ours / theirs, 4)


def _gaps(rows: list[dict], key: str) -> list[float]:
    """Gaps of the rows, an infeasible / failed run counting as +inf (rows without a reference skipped)."""
    feas = "ours_feasible" if key == "ours_gap" else "pyvrp_feasible"
    out = []
    for r in rows:
        if r["reference"] is None or r.get(feas) is None:
            continue
        out.append(r[key] if r[feas] and r[key] is not None else math.inf)
    return out


def summarise(rows: list[dict], skip_pyvrp: bool) -> dict:
    sol = [r for r in rows if r["set"] == "solomon"]
    x_mid = [r for r in rows if r["set"] == "x" and r["customers"] <= X_LARGE_CUSTOMERS]
    x1001 = [r for r in rows if r["instance"] == "X-n1001-k43"]
    s: dict = {"summary": True, "instances": len(rows), "ours_workers": rows[0]["ours_workers"] if rows else 1}
    for who in ("ours",) + (() if skip_pyvrp else ("pyvrp",)):
        key = f"{who}_gap"
        g_sol, g_x = _gaps(sol, key), _gaps(x_mid, key)
        s[f"{who}_solomon_n"] = len(g_sol)
        s[f"{who}_solomon_median_gap"] = statistics.median(g_sol) if g_sol else None
        s[f"{who}_solomon_worst_gap"] = max(g_sol) if g_sol else None
        s[f"{who}_x_mid_n"] = len(g_x)
        s[f"{who}_x_mid_median_gap"] = statistics.median(g_x) if g_x else None
        g1001 = _gaps(x1001, key)
        s[f"{who}_x_n1001_gap"] = g1001[0] if g1001 else None
        s[f"{who}_infeasible"] = sum(1 for r in rows if r.get(f"{who}_feasible") is False)
    s["ours_solomon_infeasible"] = sum(1 for r in sol if r["ours_feasible"] is False)
    for name, group in (("solomon", sol), ("x_mid", x_mid), ("x_n1001", x1001)):  # ours / PyVRP, equal CPU
        ratios = [r["ratio"] for r in group if r.get("ratio") is not None]
        s[f"ratio_{name}_median"] = statistics.median(ratios) if ratios else None
        s[f"ratio_{name}_worst"] = max(ratios) if ratios else None
    checks = []
    if sol:
        checks.append(("Solomon feasible on every instance", s["ours_solomon_infeasible"] == 0,
                       f"{s['ours_solomon_infeasible']} infeasible of {len(sol)}"))
        if s["ours_solomon_median_gap"] is not None:
            checks.append((f"Solomon median gap <= {TARGETS['solomon_median']} %",
                           s["ours_solomon_median_gap"] <= TARGETS["solomon_median"], _pct(s["ours_solomon_median_gap"])))
            checks.append((f"Solomon worst gap <= {TARGETS['solomon_worst']} %",
                           s["ours_solomon_worst_gap"] <= TARGETS["solomon_worst"], _pct(s["ours_solomon_worst_gap"])))
    if s.get("ours_x_mid_median_gap") is not None:
        checks.append((f"X 100-300 customers median gap <= {TARGETS['x_mid_median']} %",
                       s["ours_x_mid_median_gap"] <= TARGETS["x_mid_median"], _pct(s["ours_x_mid_median_gap"])))
    if s.get("ours_x_n1001_gap") is not None:
        limit = x1001[0]["time_limit"]
        checks.append((f"X-n1001-k43 at 60 s gap <= {TARGETS['x_n1001']} %" + ("" if limit == 60 else f" (ran {limit:g} s)"),
                       s["ours_x_n1001_gap"] <= TARGETS["x_n1001"], _pct(s["ours_x_n1001_gap"])))
    checks += _ratio_checks(s)
    s["targets"] = [{"target": t, "met": ok, "value": v} for t, ok, v in checks]
    s["partial"] = {"solomon": len(sol), "x_mid": len(x_mid), "x_n1001": len(x1001)}
    default = resolve_instances(None)
    s["full_set"] = {
        "solomon": sum(1 for p in default if p.suffix == ".txt"),
        "x_mid": sum(1 for p in default if p.suffix == ".vrp" and p.stem != "X-n1001-k43"),
        "x_n1001": sum(1 for p in default if p.stem == "X-n1001-k43"),
    }
    return s


def _ratio_checks(s: dict) -> list[tuple[str, bool, str]]:
    """Issue 21's equal-CPU targets on the cost ratio ours / PyVRP (only when PyVRP ran)."""
    checks = []
    for name, label in (("solomon", "Solomon"), ("x_mid", "X 100-300")):
        median, worst = s.get(f"ratio_{name}_median"), s.get(f"ratio_{name}_worst")
        if median is None:
            continue
        checks.append((f"{label} median cost ours / PyVRP <= {RATIO_TARGETS['median']}",
                       median <= RATIO_TARGETS["median"], f"{median:.4f}"))
        checks.append((f"{label} worst cost ours / PyVRP <= {RATIO_TARGETS['worst']}",
                       worst <= RATIO_TARGETS["worst"], f"{worst:.4f}"))
    if s.get("ratio_x_n1001_median") is not None:
        value = s["ratio_x_n1001_median"]
        checks.append((f"X-n1001-k43 cost ours / PyVRP <= {RATIO_TARGETS['x_n1001']}",
                       value <= RATIO_TARGETS["x_n1001"], f"{value:.4f}"))
    return checks


def _pct(v: float | None) -> str:
    if v is None:
        return "-"
    return "inf (infeasible)" if math.isinf(v) else f"{v:+.2f} %"


def _num(v, fmt="{:.1f}") -> str:
    return "-" if v is None else fmt.format(v)


def _feas(v) -> str:
    return "-" if v is None else ("yes" if v else "**NO**")


TABLE_HEAD = (
    "| instance | cust. | limit s | ours cost | ours feasible | violations | PyVRP cost | reference "
    "| ours gap % | PyVRP gap % | ours / PyVRP | ours wall s | PyVRP wall s | ours CPU s | PyVRP CPU s |"
)
WORKERS_HEAD = "| instance | workers | ours cost | feasible | ours gap % | ours / PyVRP (1 thread) | wall s | CPU s |"


def workers_rows(r: dict) -> list[str]:
    out = []
    for key, w in sorted((k, v) for k, v in r.items() if k.startswith("ours_w") and isinstance(v, dict)):
        out.append(f"| {r['instance']} | {key[6:]} | {_num(w['cost'])} | {_feas(w['feasible'])} "
                   f"| {_num(w['gap'], '{:+.2f}')} | {_num(w['ratio'], '{:.4f}')} | {_num(w['wall_s'])} | {_num(w['cpu_s'])} |")
    return out


def table_row(r: dict) -> str:
    v = r["ours_violations"] or []
    viol = "; ".join(v[:3]) + (f" (+{len(v) - 3} more)" if len(v) > 3 else "") if v else "-"
    if r.get("ours_cost_mismatch"):
        viol += f" (solver reported {r['ours_reported_cost']})"
    py = _num(r["pyvrp_cost"])
    if r["pyvrp_feasible"] is False:
        py += " (infeasible: " + "; ".join(r["pyvrp_violations"] or []) + ")"
    return (
        f"| {r['instance']} | {r['customers']} | {r['time_limit']:g} | {_num(r['ours_cost'])} | {_feas(r['ours_feasible'])} "
        f"| {viol} | {py} | {_num(r['reference'])} | {_num(r['ours_gap'], '{:+.2f}')} "
        f"| {_num(r['pyvrp_gap'], '{:+.2f}')} | {_num(r.get('ratio'), '{:.4f}')} | {_num(r['ours_wall_s'])} "
        f"| {_num(r['pyvrp_wall_s'])} | {_num(r.get('ours_cpu_s'))} | {_num(r.get('pyvrp_cpu_s'))} |"
    )


def summary_lines(s: dict, skip_pyvrp: bool) -> list[str]:
    lines = []
    for who, label in (("ours", "ours"),) + (() if skip_pyvrp else (("pyvrp", "PyVRP"),)):
        lines.append(
            f"{label}: Solomon median gap {_pct(s[f'{who}_solomon_median_gap'])}, worst {_pct(s[f'{who}_solomon_worst_gap'])} "
            f"({s[f'{who}_solomon_n']} instances); X 100-300 median gap {_pct(s[f'{who}_x_mid_median_gap'])} "
            f"({s[f'{who}_x_mid_n']} instances); X-n1001-k43 gap {_pct(s[f'{who}_x_n1001_gap'])}; "
            f"infeasible {s[f'{who}_infeasible']}"
        )
    if not skip_pyvrp:
        for name, label in (("solomon", "Solomon"), ("x_mid", "X 100-300"), ("x_n1001", "X-n1001-k43")):
            if s.get(f"ratio_{name}_median") is not None:
                lines.append(f"ours / PyVRP on {label} (ours {s.get('ours_workers', 1)} process, PyVRP 1 thread, same "
                             f"limit): median {s[f'ratio_{name}_median']:.4f}, worst {s[f'ratio_{name}_worst']:.4f}")
    for t in s["targets"]:
        lines.append(f"target {'MET   ' if t['met'] else 'MISSED'} {t['target']}: {t['value']}")
    full = s.get("full_set")
    if full and s["partial"] != full:
        lines.append(
            f"subset only: {s['partial']['solomon']} of {full['solomon']} Solomon, {s['partial']['x_mid']} of "
            f"{full['x_mid']} X 100-300, {s['partial']['x_n1001']} of {full['x_n1001']} X-n1001-k43; the targets are "
            "meant for the full set"
        )
    return lines


def write_markdown(path: Path, rows: list[dict], s: dict, args, started: str) -> None:
    versions = _versions()
    out = [
        "# Solver benchmark",
        "",
        f"Run {started}; `--time-limit {args.time_limit:g} --x-large-time-limit {args.x_large_time_limit:g} "
        f"--seed {args.seed} --workers {' '.join(map(str, args.workers))}`{' --skip-pyvrp' if args.skip_pyvrp else ''}"
        f"{' --side-by-side (ours and PyVRP at the same time, one core each)' if args.side_by_side else ''}"
        f"{f'; search parameters {args.search_params}: {args.search_params.read_text().strip()}' if args.search_params else ''}; "
        f"{versions}; {os.cpu_count()} CPUs; load average before/after each run in the JSON output.",
        "",
        f"## Equal CPU: ours {args.workers[0]} process, PyVRP 1 thread, same time limit",
        "Costs recomputed from the raw instance by `verify_routes` (not the solvers' own figures). "
        "Gap % = (cost - reference) / reference; infeasible counts as an infinite gap in medians.",
        "",
        TABLE_HEAD,
        "|" + "---|" * 15,
        *(table_row(r) for r in rows),
        "",
        *(["", "## Our solver with more processes (more CPU than PyVRP's one thread)", "", WORKERS_HEAD,
            "|" + "---|" * 8, *(x for r in rows for x in workers_rows(r))] if len(args.workers) > 1 else []),
        "",
        "## Summary",
        "",
        *(f"- {line}" for line in summary_lines(s, args.skip_pyvrp)),
        "",
    ]
    path.write_text("\n".join(out), encoding="utf-8")


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"Python {platform.python_version()}"]
    for pkg in ("ortools", "pyvrp", "vrplib"):
        try:
            parts.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:  # handled: reported in the environment line
            parts.append(f"{pkg} not installed")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", nargs="+", default=None,
                    help="globs, paths or names (C101, X-n101-k25); default: all Solomon then all X")
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per solver run (default 30)")
    ap.add_argument("--x-large-time-limit", type=float, default=60.0,
                    help=f"seconds for instances above {X_LARGE_CUSTOMERS} customers (default 60)")
    ap.add_argument("--seed", type=int, default=1, help="seed for both solvers (default 1)")
    ap.add_argument("--skip-pyvrp", action="store_true", help="run only our solver")
    ap.add_argument("--workers", type=int, nargs="+", default=[1],
                    help="our solver's processes: the first one for the headline table (default 1, PyVRP runs in "
                         "one thread), any further ones in a second, labelled table, e.g. --workers 1 2")
    ap.add_argument("--side-by-side", action="store_true",
                    help="run ours (first --workers value) and PyVRP at the same time, one per core (2-core "
                         "machine: half the wall time; each side still gets one core)")
    ap.add_argument("--json", action="store_true", help="one JSON line per instance on stdout (summary on stderr)")
    ap.add_argument("--search-params", type=Path, default=None, metavar="FILE",
                    help="JSON / TOML file of SearchParams fields, passed to python -m solver (tuning experiments)")
    ap.add_argument("--out", type=Path, default=None, help="write a Markdown table + summary to this file")
    args = ap.parse_args(argv)
    if args.search_params is not None:  # a bad file fails here, not once per instance
        probe = subprocess.run(
            [sys.executable, "-c", "import sys; from solver import SearchParams; SearchParams.from_file(sys.argv[1])",
             str(args.search_params.resolve())], cwd=REPO, capture_output=True, text=True)
        if probe.returncode != 0:
            print(f"error: --search-params: {probe.stderr.strip().splitlines()[-1]}", file=sys.stderr)
            return 2
    if min(args.workers) < 1:
        ap.error("--workers: at least 1")

    paths = resolve_instances(args.instances)
    refs = read_references()
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    if not args.skip_pyvrp:
        try:
            import pyvrp  # noqa: F401
        except ImportError:  # handled: said on stderr
            print("error: pyvrp is not installed (pip install -e '.[bench]'), or use --skip-pyvrp", file=sys.stderr)
            return 2
    info = sys.stderr if args.json else sys.stdout
    if not args.json:
        print(TABLE_HEAD, file=info)
    rows = []
    for path in paths:
        row = bench_one(path, args, refs)
        rows.append(row)
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            print(table_row(row), flush=True)
            for line in workers_rows(row):
                print(line, flush=True)
    s = summarise(rows, args.skip_pyvrp)
    print("", file=info)
    for line in summary_lines(s, args.skip_pyvrp):
        print(line, file=info)
    if args.out:
        write_markdown(args.out, rows, s, args, started)
        print(f"wrote {args.out}", file=info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
