#!/usr/bin/env python
"""Scaling benchmark: Paris days of 100 to 5,000 stops, on the product's path and on the solver alone.

The largest road graph available offline is the bundled whole-Paris graph (11,348 junctions, Google
Hash Code 2014); Île-de-France beyond the périphérique is not in it, so the "Île-de-France-like"
instances are Paris-only, stops at random junctions of that graph (seeded), three depots (19e, 14e, 17e).

**The product path** (mode ``product``, the headline figure). A fresh SQLite database
(``dispatch.db.upgrade``) is seeded with a day of N visits, the way ``scripts/bench_days.py`` makes its
records (``dispatch.demo.add_relay_point`` / ``add_pickup`` with the demo's records as templates,
``Van``, ``Crew``, ``Depot``): three depots, each its own region (``est``, ``sud``, ``ouest``; a visit
belongs to the region of its nearest depot, ``dispatch/planning/regions.py``), one van and crew per ~35
visits shared out over the depots by their regions' visits (12 / 16 / 20 m³, lunch break, unloading at
their own depot), 80 % relay points at random junctions (~15 % reported full: mandatory; ~40 % shops
open in two windows; the others mandatory, optional or not needed as the horizon rule decides) and 20 %
home pickups with a morning or afternoon slot (mandatory). The day is the next collection day after
today and the stock reports are made now (the product forecasts from the clock). That day is then
planned by the product's own code, what a planning job runs in-process (``dispatch.planning.scale.
plan_regions``, spelt out to time and check each part): ``scale.iter_parts`` (one part per region, each
built by ``planning.day.build_day`` with its own road matrices, only when the previous region is solved and
kept without its problem: one region's matrices in memory at a time), ``scale.solve_part`` per region with
``scale.options_for`` at ``--time-limit`` seconds EACH (decomposition, ``solver.decompose.solve_large``,
above ``scale.LARGE_PART`` visits), ``scale.store`` (the merged plan, committed). Settings:
``Settings(database_url=<the temporary database>, solve_workers=1)``, the rest the product's defaults
(``DISPATCH_*`` variables of the environment apply); ``--solution-limit`` sets ``solve_solution_limit``.

Then everything is checked, and any violation is printed and the run fails (exit status 1):

* every part: ``solver.check(part.problem, solution)`` (``solver/check.py``: windows, loads, breaks,
  unloads, costs, every visit served or unassigned once) returns no violation;
* the stored plan: every relay point and home pickup of the database is on exactly one round's stop,
  or in the plan's unassigned list once with a reason, or (a relay point) not needed today by the
  horizon rule (its decision "skip" in the plan's ``relay_point_decisions``, with its reason).

Times: ``seconds`` from the database to the committed plan (building, matrices, solving, storing; the checks
of each part, made between regions, are left out of it and reported in ``check_seconds``);
``build_seconds`` (``scale.iter_parts``: reading, forecasting, snapping, matrices), of which
``matrix_seconds`` (``DayProblem.matrix_seconds``, summed over regions), ``solve_seconds`` and
``store_seconds`` are parts of it; seeding the database and loading the graph are reported apart (``seed_seconds``,
``graph_seconds``).

**The solver-level path** (modes ``inprocess``, ``workers``, ``mono``; no database, no ``dispatch``
planning): the script builds ``solver.Problem`` parts itself. One van per ~35 stops (20 m³,
08:00-16:00, 45-min lunch, up to 2 unloads at its own depot), 20 % mandatory stops, a third with a
morning or afternoon window, the others optional.

* ``inprocess``: ``solver.decompose.solve_decomposed`` with ``workers=1`` (clusters one after the other);
* ``workers``: the same with ``--workers`` processes (default 2);
* ``mono``: one monolithic OR-Tools solve (``solver.solve``) on the full matrix, same time limit,
  only up to ``--mono-max`` stops (default 1,000; above, the full matrix and model get too big).

Decomposition there never builds the full matrix: clusters get theirs from
``dispatch.roads.subsets.matrix_provider``; ``--time-limit`` is for the whole day. Time is wall-clock
from the instance to the solution, matrices included.

Each size and mode runs in its own child process; peak memory is that child's maximum resident set
(``ru_maxrss``, itself or its solver children, whichever is larger). The machine is usually shared:
the figures are noisy.

    python scripts/bench_scale.py --sizes 5000 --modes product --time-limit 150 --json   # the headline
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
sys.path.insert(0, str(ROOT / "scripts"))

DEPOTS = (  # (name, lat, lon)
    ("Archereau 19e", 48.8905, 2.3770),
    ("Porte d'Orléans 14e", 48.8236, 2.3256),
    ("Porte Maillot 17e", 48.8790, 2.2840),
)
MODES = ("product", "inprocess", "workers", "mono")
SOLVER_MODES = MODES[1:]  # the solver-level path
REGIONS = ("est", "sud", "ouest")  # one per depot of DEPOTS
VISITS_PER_VAN = 35


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


# ---------------------------------------------------------------------------------------------------
# the product path
# ---------------------------------------------------------------------------------------------------


def seed_day(session, network, n: int, seed: int, day, now) -> dict:
    """A day of ``n`` visits in a fresh database: three depots (one region each), vans and crews,
    relay points and home pickups at random junctions of the graph; returns what was made."""
    from generated_days import add_crewed_van, add_visits

    from dispatch.models import Depot
    from dispatch.planning import regions

    rng = random.Random(seed)
    depots = [Depot(name=f"Dépôt {name}", address=f"{name}, Paris", lat=lat, lon=lon, region=region)
              for (name, lat, lon), region in zip(DEPOTS, REGIONS)]
    session.add_all(depots)
    session.flush()  # ids: the nearest depot breaks ties by id
    junctions = rng.sample(range(network.n), n)

    def place(i: int) -> dict:
        v = network.routing_nodes[junctions[i]]
        return {"lat": network.graph.nodes[v]["y"], "lon": network.graph.nodes[v]["x"]}

    per_region = {r: 0 for r in REGIONS}
    for i in range(n):
        per_region[regions.region_of_depot(regions.nearest_depot(**place(i), depots=depots))] += 1
    # one van per ~35 visits, shared out over the depots by their regions' visits (at least one each)
    n_vans = max(len(DEPOTS), math.ceil(n / VISITS_PER_VAN))
    share = {r: max(1, math.floor(n_vans * per_region[r] / n)) for r in REGIONS}
    for r in sorted(REGIONS, key=lambda r: n_vans * per_region[r] / n - share[r], reverse=True):
        if sum(share.values()) >= n_vans:
            break
        share[r] += 1
    k = 0
    for depot, region in zip(depots, REGIONS):
        for _ in range(share[region]):
            add_crewed_van(session, depot, k, rng)
            k += 1
    n_pickups = max(1, n // 5)
    add_visits(session, rng, relay_points=n - n_pickups, pickups=n_pickups, place=place,
               pickup_offset=n - n_pickups, day=day, now=now, width=5)
    session.flush()
    return {"vans": k, "vans_per_region": share, "relay_points": n - n_pickups, "pickups": n_pickups,
            "records_per_region": per_region}


def check_parts(parts, solutions) -> list[str]:
    """``solver.check`` of every part's solution against that part's problem: each violation, as text."""
    import solver

    out = []
    for part, solution in zip(parts, solutions, strict=True):
        out += [f"region {part.region}: check.py: {v.cause}: {v.detail}" for v in solver.check(part.problem, solution)]
    return out


def check_plan(plan, day, *, session) -> tuple[dict, list[str]]:
    """Every relay point and home pickup of the day in the stored ``plan``: on one round's stop, or
    unassigned once with a reason, or (a relay point) not needed today by the horizon rule. Returns the
    counts and each problem found, as text."""
    from sqlalchemy import select

    from dispatch.models import PickupRequest, RelayPoint, StopKind
    from dispatch.planning.horizon import SKIP

    records = {f"rp:{i}": "relay point" for i in session.scalars(select(RelayPoint.id).where(RelayPoint.active.is_(True)))}
    records |= {f"pu:{i}": "home pickup" for i in session.scalars(select(PickupRequest.id).where(PickupRequest.date == day))}

    def key(x) -> str | None:
        return (f"rp:{x.relay_point_id}" if x.relay_point_id is not None else
                f"pu:{x.pickup_request_id}" if x.pickup_request_id is not None else None)

    on_stops: dict[str, int] = {}
    for rnd in plan.rounds:
        for stop in rnd.stops:
            if stop.kind in (StopKind.RELAY_POINT, StopKind.PICKUP):
                on_stops[key(stop)] = on_stops.get(key(stop), 0) + 1
    unassigned: dict[str, list] = {}
    for u in plan.unassigned:
        unassigned.setdefault(key(u), []).append(u)
    skipped = {f"rp:{d['relay_point_id']}": d for d in plan.relay_point_decisions or []
               if d.get("decision") == SKIP and not d.get("visited") and d.get("reason")}

    problems = [f"plan: {k} is on a stop or unassigned but is not a visit of the day"
                for k in sorted((on_stops.keys() | unassigned.keys()) - records.keys())]
    by_reason: dict[str, int] = {}
    served = not_needed = mandatory_unassigned = 0
    for k, what in sorted(records.items()):
        stops, outs = on_stops.get(k, 0), unassigned.get(k, [])
        if stops > 1 or len(outs) > 1 or (stops and outs):
            problems.append(f"plan: {what} {k} is on {stops} stop(s) and unassigned {len(outs)} time(s)")
        elif stops:
            served += 1
        elif outs:
            if not outs[0].reason:
                problems.append(f"plan: {what} {k} is unassigned without a reason")
            by_reason[outs[0].reason] = by_reason.get(outs[0].reason, 0) + 1
            mandatory_unassigned += bool(outs[0].mandatory)
        elif k in skipped:
            not_needed += 1
        else:
            problems.append(f"plan: {what} {k} is neither on a round nor unassigned with a reason "
                            "nor left for another day by the horizon rule")
    counts = {"records": len(records), "served": served, "unassigned": dict(sorted(by_reason.items())),
              "mandatory_unassigned": mandatory_unassigned, "not_needed_today": not_needed}
    return counts, problems


def _plan_checked(engine, day, settings, network, time_limit: float) -> dict:
    """What ``scale.plan_regions`` does, spelt out to time and check each part: a region is built, solved, checked
    against its own problem (``check_parts``), then kept without it (one region's matrices at a time); the merged
    plan is stored and committed. Returns the parts, solutions, per-region times and sizes, the problems found, the
    stored plan's id, the search's workers and the times (``seconds``: database to committed plan, the checks left out)."""
    from dispatch.db import session_scope
    from dispatch.planning import scale

    t0 = time.perf_counter()
    out: dict = {"parts": [], "solutions": [], "solve_s": [], "sizes": {}, "problems": [], "build_s": 0.0, "check_s": 0.0}
    with session_scope(engine) as session:
        options = scale.options_for(settings, time_limit, None)
        out["workers"] = options.workers
        regions = scale.iter_parts(day, settings, network, session=session)
        while True:
            s0 = time.perf_counter()
            part = next(regions, None)
            out["build_s"] += time.perf_counter() - s0
            if part is None:
                break
            out["sizes"][part.region] = (len(part.problem.visits), len(part.problem.durations))
            s0 = time.perf_counter()
            out["solutions"].append(scale.solve_part(part, options))
            out["solve_s"].append(time.perf_counter() - s0)
            s0 = time.perf_counter()
            out["problems"] += check_parts([part], out["solutions"][-1:])
            out["check_s"] += time.perf_counter() - s0
            out["parts"].append(part.without_problem())
            del part
        s0 = time.perf_counter()
        out["plan_id"] = scale.store(out["parts"], out["solutions"], time_limit, session=session,
                                     actor="bench_scale").id
    out["store_s"] = time.perf_counter() - s0  # storing and committing
    out["seconds"] = time.perf_counter() - t0 - out["check_s"]
    return out


def run_product(size: int, args) -> dict:
    """Seed a day of ``size`` visits, plan it through ``dispatch.planning.scale``, check it; raises
    ``SystemExit`` (printing every problem) on any violation or visit unaccounted for."""
    import datetime as dt
    import tempfile

    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.models import Plan
    from dispatch.planning import scale
    from dispatch.roads.cache import get_network
    from dispatch.settings import Settings
    from dispatch.workdays import next_collection_day

    day = next_collection_day(dt.date.today())
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scale.sqlite3"
        settings = Settings(database_url=url, solve_workers=1,
                            **({"solve_solution_limit": args.solution_limit} if args.solution_limit else {}))
        t0 = time.perf_counter()
        network = get_network(settings)
        graph_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        upgrade(url)
        engine = engine_for(url)
        with session_scope(engine) as session:
            made = seed_day(session, network, size, args.seed, day, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        seed_s = time.perf_counter() - t0

        run = _plan_checked(engine, day, settings, network, args.time_limit)
        parts, solve_s, sizes = run["parts"], run["solve_s"], run["sizes"]
        problems, check_s, plan_id = run["problems"], run["check_s"], run["plan_id"]
        build_s, store_s, seconds = run["build_s"], run["store_s"], run["seconds"]

        t0 = time.perf_counter()
        with session_scope(engine) as session:
            plan = session.get(Plan, plan_id)
            counts, plan_problems = check_plan(plan, day, session=session)
            cost, km, routes = plan.cost, round(plan.distance_m / 1000, 1), len(plan.rounds)
        problems += plan_problems
        check_s += time.perf_counter() - t0
        engine.dispose()
    if problems:
        print(f"bench_scale product {size}: {len(problems)} violation(s):", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        raise SystemExit(f"bench_scale product {size}: {len(problems)} violation(s), first: {problems[0]}")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "size": size, "mode": "product", "workers": run["workers"],
        "graph": "bundled Paris (Hash Code 2014)", "day": day.isoformat(), "vans": made["vans"],
        "settings": {"solve_workers": settings.solve_workers, "solve_seed": settings.solve_seed,
                     "solve_solution_limit": settings.solve_solution_limit},
        "time_limit_s": args.time_limit, "time_limit_per": "region",
        "regions": [p.region for p in parts],
        "records_per_region": made["records_per_region"], "vans_per_region": made["vans_per_region"],
        "visits_per_region": {region: visits for region, (visits, _) in sizes.items()},
        "matrix_sites_per_region": {region: sites for region, (_, sites) in sizes.items()},
        "decomposed_regions": [region for region, (visits, _) in sizes.items() if visits > scale.LARGE_PART],
        "seconds": round(seconds, 2),
        "matrix_seconds": round(sum(p.day_problem.matrix_seconds for p in parts), 2),
        "solve_seconds": round(sum(solve_s), 2),
        "solve_seconds_per_region": {p.region: round(s, 2) for p, s in zip(parts, solve_s)},
        "build_seconds": round(build_s, 2), "store_seconds": round(store_s, 2),
        "seed_seconds": round(seed_s, 2), "graph_seconds": round(graph_s, 2), "check_seconds": round(check_s, 2),
        "cost": cost, "distance_km": km, "routes": routes,
        "candidates": counts["records"], "served": counts["served"],
        "unassigned": sum(counts["unassigned"].values()), "unassigned_by_reason": counts["unassigned"],
        "mandatory_unassigned": counts["mandatory_unassigned"], "not_needed_today": counts["not_needed_today"],
        "violations": 0,
        "peak_rss_mb": round(max(own, kids) / 1024, 1),
        "peak_rss_self_mb": round(own / 1024, 1), "peak_rss_children_mb": round(kids / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 2000])
    parser.add_argument("--time-limit", type=float, default=60.0,
                        help="seconds: per region in product mode (regions one after the other), for the whole "
                             "day in the solver-level modes")
    parser.add_argument("--solution-limit", type=int, default=None,
                        help="fixed work per sub-solve (speed-up runs; product: solve_solution_limit)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES),
                        help="product: the product's path (headline); the others: the solver-level path")
    parser.add_argument("--mono-max", type=int, default=1000, help="largest size solved monolithically")
    parser.add_argument("--cluster-size", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="one JSON line per size and mode")
    parser.add_argument("--one", nargs=2, metavar=("SIZE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        size, mode = int(args.one[0]), args.one[1]
        print(json.dumps(run_product(size, args) if mode == "product" else run_one(size, mode, args)))
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
                if done.returncode != 0:  # loudly: the child's whole report (every violation) goes to stderr
                    print(done.stderr, file=sys.stderr, flush=True)
                    row = {"size": size, "mode": mode, "error": done.stderr.strip().splitlines()[-1:]}
                else:
                    row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
            elif "seconds" in row and mode == "product":
                print(f"{size:>5} {mode:>9} {row['workers']:>2} {row['seconds']:>7.1f} {row['cost']:>10} "
                      f"{row['distance_km']:>8.1f} {row['routes']:>6} {row['unassigned']:>6} "
                      f"{row['mandatory_unassigned']:>5} {row['peak_rss_mb']:>8.0f}  (product: matrices "
                      f"{row['matrix_seconds']} s, solve {row['solve_seconds']} s, served {row['served']}, "
                      f"not needed {row['not_needed_today']}, {row['violations']} violations)", flush=True)
            elif "seconds" in row:
                print(f"{size:>5} {mode:>9} {row['workers']:>2} {row['seconds']:>7.1f} {row['cost']:>10} "
                      f"{row['distance_km']:>8.1f} {row['routes']:>6} {row['unassigned']:>6} "
                      f"{row['mandatory_unassigned']:>5} {row['peak_rss_mb']:>8.0f}", flush=True)
            else:
                print(f"{size:>5} {mode:>9}  {row.get('skipped') or row.get('error')}", flush=True)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
