#!/usr/bin/env python
"""Crew sheet load times while a coordinator plans a day from the /jour page (issue 25, item 1).

Starts the API (uvicorn, 127.0.0.1, default settings: planning jobs in a child process) over a fresh SQLite
database with the Paris demo, a published plan of the next collection day and the crews' round links. Then:

1. **baseline**: the crews' sheets (``GET /r/{token}``) loaded by ``--clients`` clients for ``--baseline``
   seconds, no planning;
2. **during a plan**: the coordinator presses "Planifier" on ``/jour/{day after}`` (``POST .../planifier``, the
   page's own form; it answers at once with the job to follow), and the same clients load the sheets until
   the job has finished. ``/health`` is timed too.

Prints the latency percentiles of both phases (``--json``: one JSON object). Bounded: the plan's time limit is
``--plan-time-limit`` seconds (at most 120), loopback only.

    .venv/bin/python scripts/sheet_load_during_plan.py --plan-time-limit 10
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
_spec = importlib.util.spec_from_file_location("load_test", REPO / "scripts" / "load_test.py")
load_test = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load_test)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--plan-time-limit", type=float, default=10.0, help="seconds of solving (default 10, at most 120)")
    p.add_argument("--baseline", type=float, default=5.0, help="seconds of sheet loads before planning (default 5)")
    p.add_argument("--clients", type=int, default=4, help="crews loading their sheets at once (default 4)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not 0 < args.plan_time_limit <= 120 or not 0 < args.baseline <= 60 or not 1 <= args.clients <= 32:
        p.error("--plan-time-limit in (0, 120], --baseline in (0, 60], --clients in [1, 32]")
    return args


def _summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_s": round(statistics.median(values), 3),
            "p95_s": round(load_test.percentile(values, 95), 3), "max_s": round(max(values), 3)}


def _load(base: str, urls: list[str], clients: int, until) -> tuple[list[float], list[int]]:
    """Each client loads the sheets one after the other until ``until()`` is true."""
    import httpx

    times: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            n = i
            while not until():
                t0 = time.perf_counter()
                r = c.get(urls[n % len(urls)])
                spent = time.perf_counter() - t0
                with lock:
                    (times if r.status_code == 200 else errors).append(spent if r.status_code == 200 else r.status_code)
                n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, errors


def main(argv=None) -> int:
    import httpx

    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sheet-load-") as tmp:
        url = f"sqlite:///{tmp}/sheets.sqlite3"
        secret = secrets.token_urlsafe(32)
        os.environ["DISPATCH_SECRET_KEY"] = secret  # the links made here are read by the server
        world = load_test.prepare(url, reset=False, plan_time_limit=3.0)
        proc, base = load_test.start_server(url, 1, {"DISPATCH_SECRET_KEY": secret})
        try:
            load_test.wait_ready(base, proc, 1)
            sheets = [f"/r/{r['token']}" for r in world["rounds"]]
            auth = {"Authorization": f"Bearer {world['staff_token']}"}
            end = time.monotonic() + args.baseline
            baseline, base_errors = _load(base, sheets, args.clients, lambda: time.monotonic() > end)
            r = httpx.post(f"{base}/jour/{load_test.JOB_DAY.isoformat()}/planifier", headers=auth,
                           data={"time_limit_s": str(args.plan_time_limit)}, follow_redirects=False, timeout=30)
            if r.status_code != 303 or "job=" not in r.headers.get("location", ""):
                raise SystemExit(f"sheet_load: the page did not start a planning job: {r.status_code} {r.text[:300]}")
            job_id = r.headers["location"].split("job=")[1][:32]
            state = {"done": False, "health": []}

            def watch() -> None:
                with httpx.Client(base_url=base, timeout=30, headers=auth) as c:
                    while not state["done"]:
                        t0 = time.perf_counter()
                        c.get("/health")
                        state["health"].append(time.perf_counter() - t0)
                        job = c.get(f"/api/v1/plan-jobs/{job_id}").json()
                        state["job"] = job
                        state["done"] = job["status"] in ("succeeded", "failed", "cancelled")
                        time.sleep(0.5)

            watcher = threading.Thread(target=watch)
            watcher.start()
            during, during_errors = _load(base, sheets, args.clients, lambda: state["done"])
            watcher.join()
        finally:
            load_test.stop_server(proc)
    job = state.get("job", {})
    result = {"plan_time_limit_s": args.plan_time_limit, "clients": args.clients, "job_status": job.get("status"),
              "job_seconds": job.get("elapsed_s"), "baseline": _summary(baseline), "during_plan": _summary(during),
              "health_during_plan": _summary(state["health"]),
              "errors": {str(c): (base_errors + during_errors).count(c) for c in set(base_errors + during_errors)}}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"planning job ({args.plan_time_limit:g} s limit, started from /jour): {result['job_status']}")
        for name in ("baseline", "during_plan", "health_during_plan"):
            s = result[name]
            print(f"  {name:20s} n={s.get('n')} p50={s.get('p50_s')} s p95={s.get('p95_s')} s max={s.get('max_s')} s")
        print(f"  errors: {result['errors'] or 'none'}")
    return 0 if not result["errors"] and result["job_status"] == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
