"""Faults (issue 8, item 4): the database going away and coming back, a planning worker that dies,
the solver's time limit.

The database test starts its OWN PostgreSQL (initdb into a temporary directory, a free port, a
private socket directory) with Debian's binaries in /usr/lib/postgresql/*/bin, and stops and
restarts that one only: the shared server other tests use is never touched.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import PLAN_DAY, make_staff
from tests.conftest import REPO
from tests.live_server import fast_settings, serve

# ------------------------------------------------------------------ a private PostgreSQL


class PrivatePostgres:
    """initdb + pg_ctl in a temporary directory, run as the ``postgres`` OS user when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="h7-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        assert result.returncode == 0, f"{args[0]} failed: {result.stdout}\n{result.stderr}\n" + (
            self.log.read_text() if self.log.exists() else "")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def cleanup(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except AssertionError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def _pg_bindir() -> Path | None:
    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    return None


@pytest.fixture
def private_pg():
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("needs Debian's PostgreSQL server binaries (apt-get install postgresql): "
                    "no /usr/lib/postgresql/*/bin/initdb")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a 'postgres' OS user: initdb refuses to run as root")
        if not shutil.which("runuser"):
            pytest.skip("running as root needs runuser (util-linux) to start PostgreSQL as 'postgres'")
    pg = PrivatePostgres(bindir)
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.cleanup()


@pytest.mark.slow
def test_database_going_away_gives_503_and_the_service_recovers(private_pg, paris_network, monkeypatch) -> None:
    import api.deps
    import dispatch.roads.cache
    from api.app import create_app
    from dispatch.field import links
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.demo import seed_demo
    from dispatch.settings import Settings
    from tests.pages.plan_data import build_plan

    url = private_pg.url
    upgrade(url)
    engine = engine_for(url)
    monkeypatch.setenv("DISPATCH_SECRET_KEY", "faults-secret")
    with session_scope(engine) as s:
        seed_demo(PLAN_DAY, session=s)
        plan = build_plan(s)
        rp_id = plan.rounds[0].stops[0].relay_point_id
        rp_token = links.create_relay_point_link(rp_id, session=s)
    _, token = make_staff(engine, "admin")
    monkeypatch.setattr(dispatch.roads.cache, "get_network", lambda _s: paris_network)
    monkeypatch.setattr(api.deps, "get_network", lambda _s: paris_network)
    app = create_app(fast_settings(Settings(database_url=url, _env_file=None)))
    auth = {"Authorization": f"Bearer {token}"}
    probes = [  # (method, path, body): a read, a write, the health check, a public page
        ("GET", f"/api/v1/relay-points/{rp_id}", None),
        ("POST", f"/api/v1/relay-points/{rp_id}/reports", {"level_pct": 40}),
        ("GET", "/health", None),
        ("GET", f"/p/{rp_token}", None),
    ]

    def check(client: httpx.Client, expect_up: bool) -> None:
        for method, path, body in probes:
            r = client.request(method, path, json=body)
            if expect_up:
                assert r.status_code in (200, 201), (path, r.status_code, r.text[:300])
            else:
                assert r.status_code == 503, (path, r.status_code, r.text[:300])
                assert r.headers.get("retry-after", "").isdigit(), (path, r.headers)
                if path.startswith("/api/"):
                    assert r.headers["content-type"].startswith("application/problem+json")
                    assert "retry" in r.json()["detail"]

    try:
        with serve(app) as base, httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            check(client, expect_up=True)
            private_pg.stop("fast")
            check(client, expect_up=False)
            check(client, expect_up=False)  # still a clean 503, not a 500 from a broken pool
            private_pg.start()
            check(client, expect_up=True)  # the same app, no restart: the pool reconnects
            assert client.get(f"/api/v1/relay-points/{rp_id}/reports").json()[0]["level_pct"] == 40
    finally:
        engine.dispose()


# ------------------------------------------------------------------ a planning worker that dies

CHILD = r"""
import sys
import solver
from dispatch.jobs import runner as jobs
from dispatch.db import engine_for
from dispatch.roads import RoadNetwork, default_graph_path
from dispatch.settings import Settings

url, job_id = sys.argv[1], sys.argv[2]
network = RoadNetwork.load(default_graph_path(), van_speed_factor=0.85)
real_solve = solver.solve

def solve(*args, **kwargs):
    print("solving", flush=True)  # the parent kills us now, in the middle of the job
    return real_solve(*args, **kwargs)

solver.solve = solve
jobs.run_job(job_id, engine=engine_for(url), settings=Settings(database_url=url, _env_file=None), network=network)
print("finished", flush=True)
"""


def test_a_pooled_connection_dropped_while_idle_is_replaced_not_failed(db_engine, migrated_url, monkeypatch) -> None:
    """The server drops a pooled connection (restart, idle timeout): a connection idle for longer than
    PING_IF_IDLE_S is pinged at checkout and replaced, so the next request does not fail. One used within that
    time is not pinged (a round trip per request saved): the same drop then fails that request once."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connections to drop")
    import sqlalchemy.exc

    import dispatch.db
    from dispatch.db import make_engine

    engine = make_engine(migrated_url)  # its own pool

    def pooled_backend() -> int:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()

    def drop(pid: int) -> None:
        with db_engine.connect() as admin:
            assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar()
            for _ in range(200):  # until the server has ended it
                if admin.exec_driver_sql(f"SELECT count(*) FROM pg_stat_activity WHERE pid = {int(pid)}").scalar() == 0:
                    break
                admin.exec_driver_sql("SELECT pg_sleep(0.01)")

    try:
        monkeypatch.setattr(dispatch.db, "PING_IF_IDLE_S", 0.0)  # every checkout counts as idle: pinged
        first = pooled_backend()
        drop(first)
        assert pooled_backend() != first  # replaced at checkout, no error
        monkeypatch.setattr(dispatch.db, "PING_IF_IDLE_S", 3600.0)  # recently used: not pinged
        second = pooled_backend()
        drop(second)
        with pytest.raises(sqlalchemy.exc.OperationalError):
            pooled_backend()
        assert pooled_backend() != second  # the pool dropped it: the next request works
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_job_whose_worker_dies_is_marked_failed_and_stores_nothing(db_engine, settings, migrated_url,
                                                                      paris_network, monkeypatch) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    import api.deps
    import dispatch.roads.cache
    from api.app import create_app
    from dispatch.jobs import records as jobs
    from dispatch.db import session_scope
    from dispatch.demo import seed_demo
    from dispatch.models import JobStatus, Plan, PlanJob, Round
    from tests.pages.plan_data import build_plan

    with session_scope(db_engine) as s:
        seed_demo(PLAN_DAY, session=s)
        previous = build_plan(s, published=False)  # the day's current draft
        previous_id = previous.id
        job_id = jobs.create_job(PLAN_DAY, session=s, time_limit_s=120).id
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DISPATCH_GRAPH_PATH", None)
    child = subprocess.Popen([sys.executable, "-c", CHILD, migrated_url, job_id], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = child.stdout.readline()  # blocks until the worker is solving (or has died by itself)
        assert line.strip() == "solving", child.stderr.read()[-2000:]
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the worker dies: no clean-up, no exception handler
        child.wait(timeout=60)
    with session_scope(db_engine) as s:
        assert s.get(PlanJob, job_id).status is JobStatus.RUNNING  # what a dead worker leaves behind
        plans = s.scalars(select(Plan).where(Plan.date == PLAN_DAY)).all()
        assert [p.id for p in plans] == [previous_id]  # the previous draft is untouched, nothing half-written
        assert len(s.scalars(select(Round).where(Round.plan_id == previous_id)).all()) == 1
    # The API starting up finds the interrupted job and marks it failed.
    monkeypatch.setattr(dispatch.roads.cache, "get_network", lambda _s: paris_network)
    monkeypatch.setattr(api.deps, "get_network", lambda _s: paris_network)
    _, token = make_staff(db_engine, "admin")
    with TestClient(create_app(fast_settings(settings)), headers={"Authorization": f"Bearer {token}"}) as c:
        job = c.get(f"/api/v1/plan-jobs/{job_id}").json()
    assert job["status"] == "failed" and "interrupted" in job["error"] and job.get("plan") is None
    with session_scope(db_engine) as s:
        assert [p.id for p in s.scalars(select(Plan).where(Plan.date == PLAN_DAY)).all()] == [previous_id]


def test_a_failing_job_leaves_the_previous_draft(db_engine, settings, paris_network, monkeypatch) -> None:
    from sqlalchemy import select

    import solver
    from dispatch.jobs import records, runner as jobs
    from dispatch.db import session_scope
    from dispatch.demo import seed_demo
    from dispatch.models import JobStatus, Plan, PlanJob
    from tests.pages.plan_data import build_plan

    with session_scope(db_engine) as s:
        seed_demo(PLAN_DAY, session=s)
        previous_id = build_plan(s, published=False).id
        job_id = records.create_job(PLAN_DAY, session=s, time_limit_s=5).id

    def broken(*_args, **_kwargs):
        raise MemoryError("simulated: the solver ran out of memory")

    monkeypatch.setattr(solver, "solve", broken)
    jobs.run_job(job_id, engine=db_engine, settings=settings, network=paris_network)
    with session_scope(db_engine) as s:
        job = s.get(PlanJob, job_id)
        assert job.status is JobStatus.FAILED and job.error and job.plan_id is None
        assert [p.id for p in s.scalars(select(Plan).where(Plan.date == PLAN_DAY)).all()] == [previous_id]


# ------------------------------------------------------------------ the solver's time limit


def test_the_solver_respects_its_time_limit(session, settings, paris_network) -> None:
    """Guided local search has no stopping rule but the time limit: the solver's own clock
    (``solve_seconds``, recorded on the plan) stays within the limit plus the route extraction."""
    from dispatch.demo import seed_demo
    from dispatch.planning.day import plan_day

    seed_demo(PLAN_DAY, session=session)
    limit = 2.0
    plan = plan_day(PLAN_DAY, settings.model_copy(update={"solve_solution_limit": None}), paris_network,
                    session=session, time_limit_s=limit)
    assert plan.time_limit_s == limit
    assert 0 < plan.solve_seconds <= limit * 1.5 + 1, plan.solve_seconds
    assert plan.rounds  # it did plan something within that time
