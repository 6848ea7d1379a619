#!/usr/bin/env python
"""Load test (issue 8, item 6): relay-point reports and crew updates at a sustained rate while a day is planned.

Starts the API itself (uvicorn, N workers, 127.0.0.1 only) over a fresh database, seeds the Paris demo,
plans and publishes the next collection day, makes the crews' round links and the relay points' links, starts a
planning job for the collection day after, then sends requests open-loop at ``--rate`` per second for ``--duration``
seconds after a ``--warmup`` at the same rate (each request is scheduled at t0 + i/rate, whatever the answers
before it):

* 35 % fill reports through the API (``POST /api/v1/relay-points/{id}/reports``, staff token),
* 15 % relay-point page reports (``POST /p/{token}``, the form a shop uses),
* 50 % crew updates (``POST /r/{token}/stops/{id}/events``), 1 in 20 a repeat of an earlier key.

Prints throughput, latency percentiles (from the scheduled send time, so a server falling behind shows)
and errors (status 0: transport error or timeout; -1: not sent because the server was more than 10 s behind);
``--json`` prints one JSON object; ``--trace`` writes every request's timing to a CSV file. The warm-up's
answers (a just-started server opening its connections) are summed up apart, not mixed into the figures.
Bounded: ``--max-requests`` and ``--duration`` (at most 600 s), loopback only.

``--repeat N`` runs the whole scenario N times (a fresh database, server and planning job each time) and prints
each run's p50/p95/p99 and the worst of them: whether the latency holds run after run. ``--soak`` runs 30 minutes
at 100 requests/s by default (``--duration`` up to 4 h; no planning job unless ``--plan-job``) and samples the
server processes' resident memory (RSS, every ``--rss-interval`` s) to report its growth from the end of the
warm-up to the end.

    .venv/bin/python scripts/load_test.py --db sqlite --rate 200 --duration 60
    .venv/bin/python scripts/load_test.py --db postgresql --url postgresql+psycopg://postgres@127.0.0.1/loadtest \
        --reset --repeat 3
    .venv/bin/python scripts/load_test.py --db postgresql --url postgresql+psycopg://postgres@127.0.0.1/loadtest \
        --reset --soak
    .venv/bin/python scripts/load_test.py --db postgresql --url postgresql+psycopg://postgres@127.0.0.1/loadtest --reset
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GIVE_UP_S = 10.0  # a request due more than this long ago when a client thread is free is dropped


def load_days() -> tuple[dt.date, dt.date]:
    """(the published day the crews update, the day the planning job plans): the next two collection days
    after today in Paris, so that the crews' round links (valid until the end of their day) are live."""
    from dispatch.workdays import local_today, next_collection_day

    plan_day = next_collection_day(local_today("Europe/Paris"))
    return plan_day, next_collection_day(plan_day)


PLAN_DAY, JOB_DAY = load_days()


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--url", help="PostgreSQL URL (postgresql+psycopg://user@127.0.0.1/db); its schema is replaced "
                   "only with --reset")
    p.add_argument("--reset", action="store_true", help="create the PostgreSQL database if missing, then drop and recreate its public schema")
    p.add_argument("--rate", type=float, default=200.0, help="requests per second (default 200)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60, at most 600)")
    p.add_argument("--warmup", type=float, default=5.0,
                   help="seconds at the same rate before the measured --duration, summed up apart under 'warmup' "
                        "(a freshly started server opens its database connections and prepares its statements "
                        "then; default 5, 0 for none)")
    p.add_argument("--max-requests", type=int, default=200_000, help="never send more than this")
    p.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    p.add_argument("--clients", type=int, default=64, help="keep-alive client connections (default 64)")
    p.add_argument("--plan-time-limit", type=float, default=None,
                   help="time limit of the background planning job (default: the load's duration, so the solve "
                        "runs all along)")
    p.add_argument("--no-plan-job", action="store_true", help="no planning job during the load (for comparison)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--trace", metavar="CSV", help="write one line per request (due time, kind, status, latency, "
                   "client lag) to this file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=1, help="run the scenario this many times (1-10); prints each "
                   "run's p50/p95/p99 and the worst")
    p.add_argument("--soak", action="store_true", help="30 min at 100 requests/s (unless --duration/--rate say "
                   "otherwise), no planning job unless --plan-job; reports the server's memory (RSS) growth")
    p.add_argument("--plan-job", action="store_true", help="with --soak: run a planning job during it too")
    p.add_argument("--rss-interval", type=float, default=10.0, help="with --soak: seconds between RSS samples")
    defaults = {a.dest: a.default for a in p._actions}
    args = p.parse_args(argv)
    if args.soak:
        if args.duration == defaults["duration"]:
            args.duration = 1800.0
        if args.rate == defaults["rate"]:
            args.rate = 100.0
        if args.max_requests == defaults["max_requests"]:
            args.max_requests = int(args.rate * (args.duration + args.warmup)) + 1
        args.no_plan_job = args.no_plan_job or not args.plan_job
    if not 0 < args.duration <= (4 * 3600 if args.soak else 600):
        p.error("--duration must be in (0, 600] seconds (with --soak: up to 14400)")
    if not 1 <= args.repeat <= 10:
        p.error("--repeat must be in [1, 10]")
    if not 0.2 <= args.rss_interval <= 600:
        p.error("--rss-interval must be in [0.2, 600] seconds")
    if not 0 <= args.warmup <= 60:
        p.error("--warmup must be in [0, 60] seconds")
    if args.plan_time_limit is None:
        args.plan_time_limit = args.duration + args.warmup
    if not 0 < args.plan_time_limit <= 3600:
        p.error("--plan-time-limit must be in (0, 3600] seconds")
    if not 0 < args.rate <= 5000:
        p.error("--rate must be in (0, 5000] requests per second")
    if args.db == "postgresql" and not args.url:
        p.error("--db postgresql needs --url")
    if args.db == "postgresql" and args.repeat > 1 and not args.reset:
        p.error("--repeat with --db postgresql needs --reset (each run starts from a fresh schema)")
    return args


def log(args, msg: str) -> None:
    if not args.json:
        print(msg, flush=True)


def prepare(url: str, *, reset: bool, plan_time_limit: float) -> dict:
    """Schema, demo data, a published plan for PLAN_DAY, links, a staff token."""
    from sqlalchemy import select, text

    from dispatch.db import engine_for, make_engine, session_scope, upgrade
    from dispatch.demo import is_seeded, seed_demo
    from dispatch.field import links
    from dispatch.models import RelayPoint
    from dispatch.planning.day import plan_day
    from dispatch.planning.plans import publish_plan
    from dispatch.roads.cache import get_network
    from dispatch.settings import Settings

    if reset and url.startswith("postgresql"):
        _create_database_if_missing(url)
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    settings = Settings(database_url=url, _env_file=None)
    engine = engine_for(url)
    with session_scope(engine) as s:
        if is_seeded(session=s):
            raise SystemExit("load_test: the database is not empty; use an empty one or --reset")
        seed_demo(PLAN_DAY, session=s)
    network = get_network(settings)
    with session_scope(engine) as s:
        plan = plan_day(PLAN_DAY, settings, network, session=s, time_limit_s=plan_time_limit)
        publish_plan(plan.id, session=s, accept_unassigned=True)
        rounds = []
        for rnd in plan.rounds:
            token, _ = links.round_link(rnd.id, session=s, settings=settings)
            stops = [(st.id, st.kind.value, st.relay_point.capacity_m3 if st.relay_point else None)
                     for st in rnd.stops]
            rounds.append({"token": token, "stops": stops})
        points = [{"id": rp.id, "token": links.create_relay_point_link(rp.id, session=s),
                   "capacity": rp.capacity_m3}
                  for rp in s.scalars(select(RelayPoint).order_by(RelayPoint.id)).all()]
    staff_token = None
    try:
        from dispatch.access import auth
    except ImportError:  # handled: no authentication in this version: staff endpoints are open
        auth = None
    if auth is not None:
        with session_scope(engine) as s:
            user = auth.create_user(f"load-{secrets.token_hex(4)}", secrets.token_urlsafe(16), "admin", session=s)
            staff_token, _ = auth.issue_token(user, session=s)
    engine.dispose()
    return {"rounds": rounds, "points": points, "staff_token": staff_token, "plan_id": plan.id}


def _create_database_if_missing(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}) is None:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int, env_extra: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DISPATCH_CREW_UPDATES_DAYS_BEFORE": "7",  # the crews update the next collection day
           **env_extra, "DISPATCH_DATABASE_URL": url, "PYTHONPATH": str(REPO),
           # the public rate limits protect against one abusive client; here every request comes from 127.0.0.1
           "DISPATCH_RATE_LIMIT_PUBLIC_PER_MINUTE": str(10**9), "DISPATCH_RATE_LIMIT_LOGIN_PER_MINUTE": str(10**9)}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "info", "--no-access-log",
           "--no-proxy-headers"]  # the client is the TCP peer (api/proxies.py)
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(base: str, proc: subprocess.Popen, workers: int, timeout: float = 120.0) -> None:
    """Every worker has started (each worker's start-up marks jobs left running as interrupted, so the
    planning job is started only once all are up), then /health answers."""
    import httpx

    deadline = time.monotonic() + timeout
    started = threading.Event()
    tail: list[str] = []

    def read_stderr() -> None:
        count = 0
        for line in proc.stderr:
            tail[:] = (tail + [line])[-50:]
            if "Application startup complete" in line:
                count += 1
                if count >= workers:
                    started.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    if not started.wait(timeout):
        raise SystemExit(f"load_test: the server did not start: {''.join(tail)[-2000:]}")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("load_test: the server exited")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:  # handled: the server is not up yet: polled again
            pass
        time.sleep(0.2)
    raise SystemExit("load_test: the server did not answer /health in time")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # handled: did not stop in time: killed
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


class Workload:
    """The i-th request: which endpoint, which body. Deterministic for a seed."""

    def __init__(self, world: dict, seed: int) -> None:
        self.rng = random.Random(seed)
        self.world = world
        self.sent_keys: list[tuple[str, int, dict]] = []
        self.collected: set[int] = set()
        self.lock = threading.Lock()
        self.staff = {"Authorization": f"Bearer {world['staff_token']}"} if world["staff_token"] else {}

    def next(self, i: int) -> tuple[str, str, dict]:
        """(kind, path, httpx keyword arguments)."""
        with self.lock:
            r = self.rng.random()
            if r < 0.35:
                rp = self.rng.choice(self.world["points"])
                return "api_report", f"/api/v1/relay-points/{rp['id']}/reports", {
                    "json": {"level_pct": self.rng.randint(0, 100), "note": f"load {i}"}, "headers": self.staff}
            if r < 0.50:
                rp = self.rng.choice(self.world["points"])
                form = {"action": "full"} if self.rng.random() < 0.2 else {"level": str(self.rng.choice((25, 50, 75)))}
                return "page_report", f"/p/{rp['token']}", {"data": form}
            if self.sent_keys and self.rng.random() < 0.05:  # a phone sending an update again
                token, stop_id, body = self.rng.choice(self.sent_keys)
                return "crew_repeat", f"/r/{token}/stops/{stop_id}/events", {"json": body}
            rnd = self.rng.choice(self.world["rounds"])
            stop_id, kind, capacity = self.rng.choice(rnd["stops"])
            body = {"kind": "arrived", "idempotency_key": f"load-{i:09d}"}
            # a stop is collected once (a second outcome is a correction, which crews rarely make), with a
            # volume near the expected one (far above it, the crew is asked to confirm)
            if kind == "relay_point" and stop_id not in self.collected and self.rng.random() < 0.5:
                self.collected.add(stop_id)
                body |= {"kind": "collected", "collected_m3": round(self.rng.uniform(0, 1), 2),
                         "remaining_m3": round(self.rng.uniform(0, capacity or 0), 2)}
            self.sent_keys.append((rnd["token"], stop_id, body))
            return "crew_update", f"/r/{rnd['token']}/stops/{stop_id}/events", {"json": body}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[k]


class _Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: a client light enough that, on the same small
    machine, it does not take the CPU the server is being measured with (httpx costs ~1 ms per request)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, *, json_body=None, form=None, headers: dict | None = None) -> int:
        if json_body is not None:
            body, ctype = json.dumps(json_body).encode(), "application/json"
        else:
            body, ctype = urlencode(form or {}).encode(), "application/x-www-form-urlencoded"
        head = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Type: {ctype}",
                f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
        for attempt in (0, 1):  # a keep-alive connection the server closed meanwhile is opened again once
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> int:
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            while (size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        elif length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def drive(base: str, work: Workload, *, rate: float, duration: float, max_requests: int, clients: int,
          trace: str | None = None, warmup: float = 0.0) -> dict:
    """Open-loop: request i is due at t0 + i/rate; latency counts from that due time. ``clients``
    keep-alive connections; a request waits for a free one (that wait counts in its latency).
    ``trace``: a CSV file, one line per request (due time from the start, kind, status, latency, client lag),
    to see whether slow answers come in bursts. ``warmup``: seconds sent at the same rate first, whose answers
    are summed up apart (``warmup`` in the result) and left out of the figures."""
    return asyncio.run(_drive(base, work, rate=rate, duration=duration, max_requests=max_requests,
                              clients=clients, trace=trace, warmup=warmup))


async def _drive(base: str, work: Workload, *, rate: float, duration: float, max_requests: int,
                 clients: int, trace: str | None = None, warmup: float = 0.0) -> dict:
    parts = urlsplit(base)
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(clients):
        pool.put_nowait(_Connection(parts.hostname, parts.port))
    total = min(max_requests, int(rate * duration))
    n_warm = int(rate * warmup)
    results: list[tuple[str, int, float, float]] = []  # kind, status (0: transport error), latency s, lag s
    numbers: list[int] = []  # each result's request number i: due at t0 + i/rate, warm-up when i < n_warm
    first_error: dict[str, str] = {}
    loop = asyncio.get_running_loop()

    async def one(i: int, due: float) -> None:
        kind, path, kwargs = work.next(i)
        conn = await pool.get()
        start = loop.time()
        try:
            if start - due > GIVE_UP_S:  # the server is far behind: not sent, counted as an error (bounds the run)
                results.append((kind, -1, start - due, start - due))
                numbers.append(i)
                return
            try:
                status = await asyncio.wait_for(
                    conn.post(path, json_body=kwargs.get("json"), form=kwargs.get("data"),
                              headers=kwargs.get("headers")), timeout=30)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.close()
                status = 0
                first_error.setdefault("error", f"{type(exc).__name__}: {exc}")
            results.append((kind, status, loop.time() - due, start - due))
            numbers.append(i)
        finally:
            pool.put_nowait(conn)

    cpu0 = time.process_time()
    t0 = loop.time() + 0.2
    tasks = []
    for i in range(n_warm + total):
        if i == n_warm:
            cpu0 = time.process_time()
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - t0 - n_warm / rate
    client_cpu = time.process_time() - cpu0
    while not pool.empty():
        pool.get_nowait().close()
    if trace:
        with open(trace, "w", encoding="utf-8") as out:
            unix_t0 = time.time() - (loop.time() - t0)  # to line the trace up with other records
            out.write("due_s,kind,status,latency_ms,client_lag_ms,due_unix,warmup\n")
            for i, (kind, status, lat, lag) in sorted(zip(numbers, results)):
                out.write(f"{i / rate:.4f},{kind},{status},{1000 * lat:.2f},{1000 * lag:.2f},"
                          f"{unix_t0 + i / rate:.3f},{int(i < n_warm)}\n")
    ok = {200, 201, 303}
    warm_results = [r for i, r in zip(numbers, results) if i < n_warm]
    results = [r for i, r in zip(numbers, results) if i >= n_warm]
    warm_latencies = [lat for _, status, lat, _ in warm_results if status in ok]
    warm_summary = {"seconds": warmup, "requests": len(warm_results),
                    "errors": sum(status not in ok for _, status, _, _ in warm_results),
                    "latency_ms": {"p50": round(1000 * percentile(warm_latencies, 50), 1),
                                   "p99": round(1000 * percentile(warm_latencies, 99), 1),
                                   "max": round(1000 * max(warm_latencies, default=0.0), 1)}}
    latencies = [lat for _, status, lat, _ in results if status in ok]
    errors: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for kind, status, _, _ in results:
        by_kind[kind] = by_kind.get(kind, 0) + 1
        if status not in ok:
            errors[str(status)] = errors.get(str(status), 0) + 1
    return {
        "requests": len(results), "seconds": round(elapsed, 2),
        "throughput_rps": round(len(results) / elapsed, 1) if elapsed else 0.0,
        "target_rps": rate,
        "latency_ms": {name: round(1000 * percentile(latencies, q), 1)
                       for name, q in (("p50", 50), ("p95", 95), ("p99", 99))}
        | {"max": round(1000 * max(latencies, default=0.0), 1),
           "mean": round(1000 * statistics.fmean(latencies), 1) if latencies else 0.0},
        "client_lag_ms_p99": round(1000 * percentile([lag for *_, lag in results], 99), 1),
        "errors": sum(errors.values()), "errors_by_status": errors, "by_kind": by_kind,
        "latency_ms_by_kind": {kind: {"p50": round(1000 * percentile(lats, 50), 1),
                                      "p99": round(1000 * percentile(lats, 99), 1)}
                               for kind in sorted(by_kind)
                               if (lats := [lat for k, st, lat, _ in results if k == kind and st in ok])},
        "dropped_overload": errors.get("-1", 0),
        "first_transport_error": first_error.get("error"),
        "client_cpu_ms_per_request": round(1000 * client_cpu / len(results), 3) if results else 0.0,
        "warmup": warm_summary,
    }


def _quiet_collector() -> None:
    """Keep the client's garbage collector from pausing the sending loop.

    ``prepare`` planned a day, so this process holds the road network (millions of objects) and SQLAlchemy's
    machinery: a full collection while sending walked all of it, a ~0.4 s pause of the client about 12 s
    into every run (every request due meanwhile was sent late, then all at once). Drop the network and move
    what is left out of the collector's reach."""
    import gc

    from dispatch.roads import cache as network

    network._load.cache_clear()
    gc.collect()
    gc.freeze()


def server_rss_kb(pid: int) -> int:
    """Resident memory of the server: its master process and every process of its session (the workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != pid and int(entry) != pid:  # fields[3]: the process group
                continue
            with open(f"/proc/{entry}/status", encoding="utf-8") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, ValueError, IndexError, StopIteration):  # handled: a process that just ended
            continue
    return total


class RssSampler(threading.Thread):
    """Samples the server's RSS every ``interval`` s from ``start_after`` s on (the end of the warm-up)."""

    def __init__(self, pid: int, interval: float, start_after: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.start_after = pid, interval, start_after
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        t0 = time.monotonic()
        if self.stopped.wait(self.start_after):
            return
        while True:
            self.samples.append((round(time.monotonic() - t0, 1), server_rss_kb(self.pid)))
            if self.stopped.wait(self.interval):
                return

    def summary(self) -> dict:
        self.stopped.set()
        self.samples.append((self.samples[-1][0] if self.samples else 0.0, server_rss_kb(self.pid)))
        first, last = self.samples[0][1], self.samples[-1][1]
        peak = max(kb for _, kb in self.samples)
        return {"rss_start_mb": round(first / 1024, 1), "rss_end_mb": round(last / 1024, 1),
                "rss_peak_mb": round(peak / 1024, 1),
                "rss_growth_pct": round(100 * (last - first) / first, 1) if first else None,
                "rss_samples": len(self.samples)}


def run_once(args, index: int = 0) -> dict:
    """The scenario once: a fresh database and server, the load, the server stopped."""
    import httpx

    tmp = tempfile.mkdtemp(prefix="load-test-")
    url = args.url if args.db == "postgresql" else f"sqlite:///{tmp}/load.sqlite3"
    secret = secrets.token_urlsafe(32)
    os.environ["DISPATCH_SECRET_KEY"] = secret
    log(args, f"preparing {args.db} database, demo day {PLAN_DAY} planned and published …")
    world = prepare(url, reset=args.reset or index > 0, plan_time_limit=min(args.plan_time_limit, 5.0))
    _quiet_collector()
    proc, base = start_server(url, args.workers, {"DISPATCH_SECRET_KEY": secret,
                                                   "DISPATCH_SOLVE_TIME_LIMIT_S": str(args.plan_time_limit)})
    sampler = None
    try:
        wait_ready(base, proc, args.workers)
        staff = {"Authorization": f"Bearer {world['staff_token']}"} if world["staff_token"] else {}
        job_id = None
        if not args.no_plan_job:
            job = httpx.post(f"{base}/api/v1/plan-jobs", json={"date": JOB_DAY.isoformat(),
                                                               "time_limit_s": args.plan_time_limit},
                             headers=staff, timeout=60)
            job_id = job.json()["job"]["id"] if job.status_code == 202 else f"not started ({job.status_code})"
        log(args, f"server {base} ({args.workers} workers); planning job for {JOB_DAY}: "
                  f"{job_id or 'none'}; {args.rate:g} requests/s for {args.duration:g} s …")
        if args.soak:
            sampler = RssSampler(proc.pid, args.rss_interval, args.warmup)
            sampler.start()
        result = drive(base, Workload(world, args.seed), rate=args.rate, duration=args.duration,
                       max_requests=args.max_requests, clients=args.clients, trace=args.trace,
                       warmup=args.warmup)
        if sampler is not None:
            result["memory"] = sampler.summary()
        job_status = None
        if job_id and not job_id.startswith("not started"):
            try:
                job_status = httpx.get(f"{base}/api/v1/plan-jobs/{job_id}", headers=staff,
                                       timeout=60).json().get("status")
            except httpx.HTTPError as exc:
                job_status = f"unknown ({type(exc).__name__})"
    finally:
        stop_server(proc)
    return result | {"db": args.db, "workers": args.workers, "planning_job": job_status, "cpus": os.cpu_count(),
                     "load_average": [round(x, 2) for x in os.getloadavg()]}


def _print_run(args, result: dict, label: str = "") -> None:
    lat = result["latency_ms"]
    print(f"{label}{result['requests']} requests in {result['seconds']} s: {result['throughput_rps']} requests/s "
          f"(target {args.rate:g}); latency p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, "
          f"max {lat['max']} ms; errors {result['errors']} {result['errors_by_status'] or ''}; "
          f"planning job {result['planning_job']}; load average {result['load_average']}")
    warm = result["warmup"]
    if warm["requests"]:
        print(f"{label}warm-up before that ({warm['seconds']:g} s, not counted above): {warm['requests']} requests, "
              f"p50 {warm['latency_ms']['p50']} ms, p99 {warm['latency_ms']['p99']} ms, "
              f"max {warm['latency_ms']['max']} ms, errors {warm['errors']}")
    mem = result.get("memory")
    if mem:
        print(f"{label}server memory (RSS, all processes): {mem['rss_start_mb']} MB after the warm-up, "
              f"{mem['rss_end_mb']} MB at the end (peak {mem['rss_peak_mb']} MB): growth {mem['rss_growth_pct']} % "
              f"over {mem['rss_samples']} samples")


def _worst(runs: list[dict]) -> dict:
    return {q: max(r["latency_ms"][q] for r in runs) for q in ("p50", "p95", "p99", "max")} | {
        "errors": sum(r["errors"] + r["warmup"]["errors"] for r in runs)}


def main(argv=None) -> int:
    args = parse_args(argv)
    runs = []
    for index in range(args.repeat):
        if args.repeat > 1:
            log(args, f"run {index + 1} of {args.repeat}")
        runs.append(run_once(args, index))
    worst = _worst(runs)
    if args.json:
        print(json.dumps(runs[0] if args.repeat == 1 else {"runs": runs, "worst": worst}))
    elif args.repeat == 1:
        _print_run(args, runs[0])
    else:
        for index, result in enumerate(runs, start=1):
            _print_run(args, result, f"run {index}: ")
        print(f"worst of {args.repeat} runs: p50 {worst['p50']} ms, p95 {worst['p95']} ms, p99 {worst['p99']} ms, "
              f"max {worst['max']} ms; errors {worst['errors']}")
    return 0 if worst["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
