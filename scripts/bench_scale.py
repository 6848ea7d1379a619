#!/usr/bin/env python
"""Scaling benchmark: synthetic Paris-region days of 100 to 5,000 stops, solved by decomposition.

The largest road graph available offline is the bundled whole-Paris graph (11,348 junctions, Google
Hash Code 2014); Île-de-France beyond the périphérique is not in it, so the "Île-de-France-like"
instances are Paris-only: stops are random junctions of that graph (seeded), three depots (19e,
14e, 17e), one van per ~35 stops (20 m³, 08:00-16:00, 45-min lunch, up to 2 unloads at its own
depot), 20 % mandatory stops, a third with a morning or afternoon window, the others optional.

Modes, each run in its own child process (so that the peak memory is per mode):

* ``inprocess``: ``solver.decompose.solve_decomposed`` with ``workers=1`` (clusters one after the other);
* ``workers``: the same with ``--workers`` processes (default 2);
* ``mono``: one monolithic OR-Tools solve (``solver.solve``) on the full matrix, same time limit,
  only up to ``--mono-max`` stops (default 1,000; above, the full matrix and model get too big).

Decomposition never builds the full matrix: clusters get theirs from
``dispatch.roads.subsets.matrix_provider``. Time is wall-clock from the instance to the solution,
matrices included; peak memory is the child's maximum resident set (``ru_maxrss``, itself plus its
solver children). The machine is usually shared: the figures are noisy.

    python scripts/bench_scale.py --sizes 100 500 1000 2000 [5000] [--time-limit 60] [--workers 2] [--json]
    python scripts/bench_scale.py --sizes 500 --solution-limit 20 --time-limit 600   # fixed work: speed-up
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEPOTS = (  # (name, lat, lon)
    ("Archereau 19e", 48.8905, 2.3770),
    ("Porte d'Orléans 14e", 48.8236, 2.3256),
    ("Porte Maillot 17e", 48.8790, 2.2840),
)
MODES = ("inprocess", "workers", "mono")


def build_instance(network, n: int, seed: int):
    """(vehicles, visits, sites): depots are sites 0..2, stops 3..n+2."""
    import solver

    rng = random.Random(seed)
    sites = [network.snap(f"depot{i}", lat, lon) for i, (_, lat, lon) in enumerate(DEPOTS)]
    nodes = rng.sample(range(network.n), n)
    for i, node in enumerate(nodes):
        v = network.routing_nodes[node]
        sites.append(network.snap(f"s{i}", network.graph.nodes[v]["y"], network.graph.nodes[v]["x"]))
    n_vans = max(len(DEPOTS), math.ceil(n / 35))
    vehicles = tuple(
        solver.Vehicle(
            id=f"van{k}", start=k % len(DEPOTS), end=k % len(DEPOTS), capacity=(20_000,),
            shift=solver.TimeWindow(8 * 3600, 16 * 3600),
            breaks=(solver.Break("lunch", solver.TimeWindow(11 * 3600 + 1800, 13 * 3600 + 1800), 45 * 60),),
            reload_location=k % len(DEPOTS), reload_service=1200, max_reloads=2,
        )
        for k in range(n_vans)
    )
    visits = []
    for i in range(n):
        litres = rng.randint(100, 1500)
        window = rng.random()
        windows = ((solver.TimeWindow(8 * 3600, 12 * 3600),) if window < 1 / 6 else
                   (solver.TimeWindow(13 * 3600, 16 * 3600),) if window < 1 / 3 else ())
        visits.append(solver.Visit(
            id=f"s{i}", location=len(DEPOTS) + i, demand=(litres,), service=180 + round(120 * litres / 1000),
            windows=windows, penalty=None if rng.random() < 0.2 else 30_000,
        ))
    return vehicles, tuple(visits), sites


def run_one(size: int, mode: str, args) -> dict:
    import solver
    from dispatch.roads import RoadNetwork, default_graph_path
    from dispatch.roads.subsets import full_matrix_bytes, matrix_provider
    from solver.decompose import solve_decomposed

    network = RoadNetwork.load(default_graph_path(), van_speed_factor=0.85)
    vehicles, visits, sites = build_instance(network, size, args.seed)
    options = solver.SolveOptions(time_limit_s=args.time_limit, seed=args.seed, solution_limit=args.solution_limit)
    t0 = time.perf_counter()
    if mode == "mono":
        m = network.matrices(sites)
        problem = solver.Problem(tuple(map(tuple, m.durations)), tuple(map(tuple, m.distances)), vehicles, visits)
        matrix_s = time.perf_counter() - t0
        solution = solver.solve(problem, options)
        errors = solver.check(problem, solution)
    else:
        provider = matrix_provider(network, sites)
        coordinates = tuple((s.lat, s.lon) for s in sites)
        solution = solve_decomposed(vehicles, visits, provider, options, coordinates=coordinates,
                                    cluster_size=args.cluster_size, workers=args.workers if mode == "workers" else 1)
        matrix_s = None
        errors = None
    seconds = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    mandatory = {v.id for v in visits if v.penalty is None}
    return {
        "size": size, "mode": mode, "workers": args.workers if mode == "workers" else 1,
        "graph": "bundled Paris (Hash Code 2014)", "vans": len(vehicles),
        "time_limit_s": args.time_limit, "solution_limit": args.solution_limit,
        "seconds": round(seconds, 2), "matrix_seconds": None if matrix_s is None else round(matrix_s, 2),
        "cost": solution.summary.cost, "distance_km": round(solution.summary.distance / 1000, 1),
        "routes": solution.summary.routes, "unassigned": solution.summary.unassigned,
        "mandatory_unassigned": sum(1 for u in solution.unassigned if u.id in mandatory),
        "peak_rss_mb": round(max(own, kids) / 1024, 1),
        "full_matrix_mb_estimate": round(full_matrix_bytes(size + len(DEPOTS)) / 2**20),
        "check_errors": None if errors is None else len(errors),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 2000])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (all modes)")
    parser.add_argument("--solution-limit", type=int, default=None, help="fixed work per sub-solve (speed-up runs)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--mono-max", type=int, default=1000, help="largest size solved monolithically")
    parser.add_argument("--cluster-size", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="one JSON line per size and mode")
    parser.add_argument("--one", nargs=2, metavar=("SIZE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(int(args.one[0]), args.one[1], args)))
        return 0

    rows = []
    if not args.json:
        print("graph: bundled whole-Paris graph (largest available offline; Paris only, not Île-de-France)")
        print(f"{'size':>5} {'mode':>9} {'W':>2} {'time s':>7} {'cost':>10} {'km':>8} {'routes':>6} "
              f"{'unass.':>6} {'mand.':>5} {'peak MB':>8}")
    for size in args.sizes:
        for mode in args.modes:
            if mode == "mono" and size > args.mono_max:
                row = {"size": size, "mode": mode, "skipped": f"above --mono-max {args.mono_max}"}
            else:
                cmd = [sys.executable, str(Path(__file__).resolve()), "--one", str(size), mode,
                       "--time-limit", str(args.time_limit), "--workers", str(args.workers),
                       "--cluster-size", str(args.cluster_size), "--seed", str(args.seed)]
                if args.solution_limit is not None:
                    cmd += ["--solution-limit", str(args.solution_limit)]
                done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ))
                if done.returncode != 0:
                    row = {"size": size, "mode": mode, "error": done.stderr.strip().splitlines()[-1:]}
                else:
                    row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
            elif "seconds" in row:
                print(f"{size:>5} {mode:>9} {row['workers']:>2} {row['seconds']:>7.1f} {row['cost']:>10} "
                      f"{row['distance_km']:>8.1f} {row['routes']:>6} {row['unassigned']:>6} "
                      f"{row['mandatory_unassigned']:>5} {row['peak_rss_mb']:>8.0f}", flush=True)
            else:
                print(f"{size:>5} {mode:>9}  {row.get('skipped') or row.get('error')}", flush=True)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
