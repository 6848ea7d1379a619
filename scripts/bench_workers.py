#!/usr/bin/env python
"""Speed-up benchmark: one multi-region day planned through real Celery workers, 1 worker versus 2.

A federation day: ``--regions`` collection groups across Paris, each with its own depot, a
demo-sized network (the 60 demo relay points' kinds, sizes, stocks and opening hours and the 16 demo
home pickups, placed at random junctions of the bundled whole-Paris road graph nearest to that depot)
and ``--vans`` vans with crews. The day is planned by the product's own job path
(``dispatch.jobs.records.create_job`` → ``dispatch.plan_job`` → one ``dispatch.solve_region`` task per region →
``dispatch.finish_regions``) on the local Redis broker, with ``W`` worker processes started beforehand
(warm: they load the road graph when they start, as in production), for each ``W`` of ``--workers``.
Every run starts from a copy of the same seeded SQLite database and uses the same seed and
``--solution-limit``: each region gets a fixed amount of search, so the plans must be identical and
only the wall-clock time may differ. Time is from submitting the job to the job's success, building
(database reads, road matrices), solving and storing included. The machine is usually shared: the
figures are noisy; ``--repeat`` keeps each W's fastest run.

    python scripts/bench_workers.py [--regions 4] [--workers 1 2] [--solution-limit 1000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEPOTS = (  # (region, name, lat, lon)
    ("nord-est", "Archereau 19e", 48.8905, 2.3770),
    ("sud", "Porte d'Orléans 14e", 48.8236, 2.3256),
    ("ouest", "Porte Maillot 17e", 48.8790, 2.2840),
    ("est", "Bercy 12e", 48.8380, 2.3830),
    ("nord", "La Chapelle 18e", 48.8980, 2.3600),
    ("sud-ouest", "Porte de Versailles 15e", 48.8320, 2.2880),
)


def next_weekday(weekday: int, today: dt.date) -> dt.date:
    """The next ``weekday`` (Monday 0) strictly after ``today``."""
    return today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def seed_federation(url: str, day: dt.date, regions: int, vans: int, seed: int) -> dict:
    """A fresh database holding ``regions`` demo-sized collection groups around Paris."""
    from dispatch.db import make_engine, session_scope, upgrade
    from dispatch.demo import FLEET, add_pickup, add_relay_point, load_demo
    from dispatch.models import Crew, Depot, Van, utcnow
    from dispatch.roads.cache import get_network
    from dispatch.settings import Settings

    demo = load_demo()
    network = get_network(Settings(database_url=url, _env_file=None))
    rng = random.Random(seed)
    depots = DEPOTS[:regions]
    per_region = len(demo["relay_points"]) + len(demo["pickups"])
    spots: dict[str, list[tuple[float, float]]] = {d[0]: [] for d in depots}
    for node in rng.sample(range(network.n), network.n):  # junctions in random order, each to its nearest depot
        v = network.routing_nodes[node]
        lat, lon = network.graph.nodes[v]["y"], network.graph.nodes[v]["x"]
        region = min(depots, key=lambda d: (d[2] - lat) ** 2 + ((d[3] - lon) * math.cos(math.radians(lat))) ** 2)[0]
        if len(spots[region]) < per_region:
            spots[region].append((lat, lon))
        if all(len(s) == per_region for s in spots.values()):
            break
    upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    with session_scope(engine) as s:
        for r, (region, name, lat, lon) in enumerate(depots):
            depot = Depot(name=name, address=f"{name}, Paris", lat=lat, lon=lon, region=region)
            s.add(depot)
            places = iter(spots[region])
            for item in demo["relay_points"]:
                plat, plon = next(places)
                add_relay_point(item, session=s, now=now, note="bench: initial stock", code=f"R{r}-{item['code']}",
                                name=f"{item['name']} ({region})", lat=plat, lon=plon)
            for k in range(vans):
                van_name, _, capacity, skills, crew_name, members = FLEET[k % len(FLEET)]
                van = Van(name=f"{van_name} {region} {k}", plate=None, capacity_m3=capacity, depot=depot, skills=skills)
                s.add(van)
                s.add(Crew(name=f"{crew_name} {region} {k}", members=members, van=van))
            for item in demo["pickups"]:
                plat, plon = next(places)
                add_pickup(item, day, session=s, ref=f"R{r}-{item['ref']}"[:40], lat=plat, lon=plon)
    engine.dispose()
    return {"regions": [d[0] for d in depots], "relay_points_per_region": len(demo["relay_points"]),
            "pickups_per_region": len(demo["pickups"]), "vans_per_region": vans}


def _start_workers(n: int, env: dict, queue: str, logdir: Path) -> list[subprocess.Popen]:
    celery = Path(sys.executable).parent / "celery"
    workers = []
    for i in range(n):
        with (logdir / f"w{i}.log").open("w") as log:  # the worker keeps its own copy of the descriptor
            workers.append(subprocess.Popen(
                [str(celery), "-A", "dispatch.jobs.celery_app", "worker", "--pool", "solo", "-Q", queue, "-n",
                 f"bench{i}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
                cwd=logdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))
    deadline = time.monotonic() + 300
    for i, w in enumerate(workers):  # "ready." is logged once the worker has loaded the road graph
        while "ready." not in (logdir / f"w{i}.log").read_text():
            if w.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {i} did not start:\n" + (logdir / f"w{i}.log").read_text()[-2000:])
            time.sleep(0.1)
    return workers


def run_celery(template: Path, day: dt.date, n_workers: int, args, broker: str) -> dict:
    from dispatch.db import make_engine, session_scope
    from dispatch.jobs.celery_app import CeleryRunner
    from dispatch.jobs.records import create_job
    from dispatch.models import JobStatus, Plan, PlanJob
    from dispatch.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    db = work / "day.sqlite3"
    shutil.copy(template, db)
    url = f"sqlite:///{db}"
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DISPATCH_DATABASE_URL": url, "DISPATCH_JOB_BACKEND": "celery",
           "DISPATCH_CELERY_BROKER_URL": broker, "DISPATCH_CELERY_QUEUE": queue,
           "DISPATCH_SOLVE_SOLUTION_LIMIT": str(args.solution_limit), "DISPATCH_SECRET_KEY": "bench"}
    env.pop("DISPATCH_GRAPH_PATH", None)
    settings = Settings(database_url=url, job_backend="celery", celery_broker_url=broker, celery_queue=queue,
                        solve_solution_limit=args.solution_limit, secret_key="bench", _env_file=None)
    workers = _start_workers(n_workers, env, queue, work)
    engine = make_engine(url)
    runner = CeleryRunner(settings)
    try:
        with session_scope(engine) as s:
            job_id = create_job(day, session=s, time_limit_s=args.time_limit, seed=args.seed).id
        t0 = time.perf_counter()
        runner.submit(job_id)
        runner.wait(job_id, timeout=args.time_limit * len(DEPOTS) * 4 + 600)
        seconds = time.perf_counter() - t0
    finally:
        runner.shutdown()
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(timeout=60)
    with session_scope(engine) as s:
        job = s.get(PlanJob, job_id)
        if job.status is not JobStatus.SUCCEEDED:
            raise RuntimeError(f"job {job.status.value}: {job.error}\n" + (work / "w0.log").read_text()[-3000:])
        plan = s.get(Plan, job.plan_id)
        row = {
            "mode": "celery", "workers": n_workers, "seconds": round(seconds, 2), "cost": plan.cost,
            "distance_km": round(plan.distance_m / 1000, 1), "rounds": len(plan.rounds),
            "stops": sum(len(r.stops) for r in plan.rounds), "unassigned": len(plan.unassigned),
            "regions_done": sum(1 for r in job.progress["regions"].values() if r["done"]),
            "plan": [(r.van.name, [(st.kind.value, st.relay_point_id, st.pickup_request_id) for st in r.stops])
                     for r in plan.rounds],
        }
    engine.dispose()
    shutil.rmtree(work, ignore_errors=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", type=int, default=4, choices=range(2, len(DEPOTS) + 1))
    parser.add_argument("--vans", type=int, default=4, help="vans (and crews) per region")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare")
    parser.add_argument("--solution-limit", type=int, default=1000,
                        help="fixed search per region (default 1000: solving, not start-up, dominates)")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per region (a safety net)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count; the fastest is kept")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--broker", default=os.environ.get("DISPATCH_BENCH_BROKER", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--json", action="store_true", help="one JSON line per worker count")
    args = parser.parse_args(argv)

    try:
        import redis

        redis.Redis.from_url(args.broker, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        print(f"error: no broker at {args.broker} ({exc}); start Redis or pass --broker", file=sys.stderr)
        return 2
    day = next_weekday(1, dt.date.today())  # a Tuesday: every demo relay point and pickup slot is open
    tmp = Path(tempfile.mkdtemp(prefix="bench-workers-template-"))
    template = tmp / "federation.sqlite3"
    info = seed_federation(f"sqlite:///{template}", day, args.regions, args.vans, args.seed)
    if not args.json:
        print(f"day {day}: {args.regions} regions x ({info['relay_points_per_region']} relay points, "
              f"{info['pickups_per_region']} pickups, {args.vans} vans); solution limit {args.solution_limit} "
              f"per region, seed {args.seed}; bundled whole-Paris graph")
        print(f"{'workers':>7} {'time s':>8} {'speed-up':>8} {'cost':>10} {'km':>7} {'rounds':>6} {'stops':>6} {'unass.':>6}")
    rows: list[dict] = []
    plans = set()
    for n in args.workers:
        best = min((run_celery(template, day, n, args, args.broker) for _ in range(args.repeat)),
                   key=lambda r: r["seconds"])
        plans.add(json.dumps(best.pop("plan")))
        base = rows[0]["seconds"] if rows else best["seconds"]
        best.update(day=day.isoformat(), regions=args.regions, vans_per_region=args.vans,
                    solution_limit=args.solution_limit, seed=args.seed, speedup_vs_first=round(base / best["seconds"], 2),
                    same_plan_as_first=len(plans) == 1)
        rows.append(best)
        if args.json:
            print(json.dumps(best), flush=True)
        else:
            print(f"{n:>7} {best['seconds']:>8.1f} {best['speedup_vs_first']:>7.2f}x {best['cost']:>10} "
                  f"{best['distance_km']:>7.1f} {best['rounds']:>6} {best['stops']:>6} {best['unassigned']:>6}",
                  flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if len(plans) != 1:
        print("error: the plans differ between worker counts (same seed and solution limit)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
