"""Planning jobs through a real Celery worker on the local Redis: same plan as in-process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.celery]

BROKER = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def seeded_files(tmp_path):
    """Two identical demo databases: one for the worker, one planned in-process."""
    from dispatch.db import session_scope, upgrade
    from dispatch.db import make_engine
    from dispatch.demo import seed_demo
    from tests.api.conftest import PLAN_DAY

    a = tmp_path / "worker.sqlite3"
    url = f"sqlite:///{a}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        seed_demo(PLAN_DAY, session=s)
    engine.dispose()
    b = tmp_path / "inprocess.sqlite3"
    shutil.copy(a, b)
    return a, b


def test_a_job_planned_by_a_celery_worker_equals_the_in_process_plan(seeded_files, paris_network, tmp_path):
    if not _redis_up():
        pytest.skip(f"no Redis at {BROKER}: start one (redis-server) to run the Celery test")
    from fastapi.testclient import TestClient

    from api.app import create_app
    from dispatch.db import make_engine, session_scope
    from dispatch.planning.day import plan_day
    from dispatch.settings import Settings
    from dispatch.planning.views import plan_view
    from tests.api.conftest import PLAN_DAY

    worker_db, inprocess_db = seeded_files
    queue = f"dispatch-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DISPATCH_DATABASE_URL": f"sqlite:///{worker_db}", "DISPATCH_JOB_BACKEND": "celery",
           "DISPATCH_CELERY_BROKER_URL": BROKER, "DISPATCH_CELERY_QUEUE": queue, "DISPATCH_SOLVE_SOLUTION_LIMIT": "40",
           "DISPATCH_SECRET_KEY": "test"}
    env.pop("DISPATCH_GRAPH_PATH", None)
    settings = Settings(database_url=env["DISPATCH_DATABASE_URL"], job_backend="celery", celery_broker_url=BROKER,
                        celery_queue=queue, solve_solution_limit=40, _env_file=None)
    celery = Path(sys.executable).parent / "celery"
    worker = subprocess.Popen(
        [str(celery), "-A", "dispatch.jobs.celery_app", "worker", "--pool", "solo", "-Q", queue, "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        from tests.api.conftest import make_staff

        _, token = make_staff(make_engine(settings.database_url), "coordinator")
        with TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"}) as client:
            r = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 60})
            assert r.status_code == 202, r.text
            job_id = r.json()["job"]["id"]
            # The API process runs no job itself: the worker does, then the result is read back.
            client.app.state.job_runner.wait(job_id, timeout=240)
            job = client.get(f"/api/v1/plan-jobs/{job_id}").json()
            # Re-optimising the draft is a job too, run by the same worker, written onto version 1 only.
            edit = None
            if job["status"] == "succeeded":
                r = client.post(f"/api/v1/plans/{job['plan']['plan_id']}/reoptimise",
                                json={"version": 1, "time_limit_s": 5})
                assert r.status_code == 202, r.text
                client.app.state.job_runner.wait(r.json()["job"]["id"], timeout=240)
                edit = client.get(r.json()["poll"]).json()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        output = worker.communicate(timeout=60)[0]
    assert job["status"] == "succeeded", (job, output[-2000:])
    assert edit["kind"] == "reoptimise" and edit["status"] == "succeeded", (edit, output[-2000:])
    assert edit["plan"]["version"] == 2

    local = Settings(database_url=f"sqlite:///{inprocess_db}", solve_solution_limit=40, _env_file=None)
    engine = make_engine(local.database_url)
    with session_scope(engine) as s:
        view = plan_view(plan_day(PLAN_DAY, local, paris_network, session=s, time_limit_s=60))
    remote_rounds = [[st["name"] for st in r["stops"]] for r in job["plan"]["rounds"]]
    local_rounds = [[st.name for st in r.stops] for r in view.rounds]
    assert remote_rounds == local_rounds
    assert job["plan"]["distance_km"] == view.distance_km


MULTI_BROKER = "redis://127.0.0.1:6379/14"


@pytest.fixture
def two_region_files(tmp_path):
    """Two identical two-depot, two-region demo databases: one for the workers, one planned in-process."""
    from dispatch.db import make_engine, session_scope, upgrade
    from dispatch.demo import seed_demo
    from tests.api.conftest import PLAN_DAY
    from tests.planning.test_scale import add_south_depot

    a = tmp_path / "workers.sqlite3"
    url = f"sqlite:///{a}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        seed_demo(PLAN_DAY, session=s)
        add_south_depot(s)
    engine.dispose()
    b = tmp_path / "inprocess.sqlite3"
    shutil.copy(a, b)
    return a, b


def _multi_redis_up() -> None:
    try:
        import redis

        redis.Redis.from_url(MULTI_BROKER, socket_connect_timeout=2).ping()
    except Exception:  # noqa: BLE001
        pytest.skip(f"no Redis at {MULTI_BROKER}: start one (redis-server) to run the Celery test")


def _start_workers(n: int, env: dict, queue: str, cwd: Path) -> list[subprocess.Popen]:
    celery = Path(sys.executable).parent / "celery"
    return [
        subprocess.Popen(
            [str(celery), "-A", "dispatch.jobs.celery_app", "worker", "--pool", "solo", "-Q", queue, "-n", f"w{i}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        for i in range(n)
    ]


def _multi_env(db: Path, queue: str) -> dict:
    env = {**os.environ, "DISPATCH_DATABASE_URL": f"sqlite:///{db}", "DISPATCH_JOB_BACKEND": "celery",
           "DISPATCH_CELERY_BROKER_URL": MULTI_BROKER, "DISPATCH_CELERY_QUEUE": queue,
           "DISPATCH_SOLVE_SOLUTION_LIMIT": "30", "DISPATCH_SECRET_KEY": "test"}
    env.pop("DISPATCH_GRAPH_PATH", None)
    return env


def _run_on_workers(db: Path, n_workers: int, tmp_path: Path) -> tuple[str, list[str]]:
    """Plan the demo day as a job on ``n_workers`` real workers; returns the job id and their output."""
    from dispatch.jobs.celery_app import CeleryRunner
    from dispatch.db import make_engine, session_scope
    from dispatch.jobs.records import create_job
    from dispatch.settings import Settings
    from tests.api.conftest import PLAN_DAY

    queue = f"dispatch-test-{uuid.uuid4().hex[:8]}"
    settings = Settings(database_url=f"sqlite:///{db}", job_backend="celery", celery_broker_url=MULTI_BROKER,
                        celery_queue=queue, solve_solution_limit=30, _env_file=None)
    workers = _start_workers(n_workers, _multi_env(db, queue), queue, tmp_path)
    engine = make_engine(settings.database_url)
    runner = CeleryRunner(settings)
    try:
        with session_scope(engine) as s:
            job_id = create_job(PLAN_DAY, session=s, time_limit_s=60).id
        runner.submit(job_id)
        runner.wait(job_id, timeout=300)
    finally:
        runner.shutdown()
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        outputs = [w.communicate(timeout=60)[0] for w in workers]
        engine.dispose()
    return job_id, outputs


def test_a_region_that_cannot_be_built_fails_the_whole_job_with_its_reason(two_region_files, tmp_path):
    """Each worker builds its own region: one that fails (no crew) fails the job, and nothing is stored."""
    _multi_redis_up()
    from sqlalchemy import func, select

    from dispatch.db import make_engine, session_scope
    from dispatch.models import Crew, Depot, JobStatus, Plan, PlanJob, Van

    worker_db, _ = two_region_files
    engine = make_engine(f"sqlite:///{worker_db}")
    with session_scope(engine) as s:  # the south depot keeps its vans, but none has a crew any more
        south = s.scalars(select(Depot).where(Depot.region == "south")).one()
        for crew in s.scalars(select(Crew).join(Van, Crew.van_id == Van.id).where(Van.depot_id == south.id)):
            crew.van_id = None
    job_id, outputs = _run_on_workers(worker_db, 2, tmp_path)
    with session_scope(engine) as s:
        job = s.get(PlanJob, job_id)
        assert job.status is JobStatus.FAILED, (job.status, [o[-2000:] for o in outputs])
        assert "south" in job.error and "crew" in job.error, job.error
        assert job.plan_id is None and s.scalar(select(func.count()).select_from(Plan)) == 0
    engine.dispose()


def test_a_multi_depot_day_on_two_celery_workers_equals_the_in_process_plan(two_region_files, paris_network,
                                                                             tmp_path):
    """One task per region (a chord) on two real workers; merged and stored: the same plan as in-process."""
    _multi_redis_up()
    from dispatch.db import make_engine, session_scope
    from dispatch.models import JobStatus, Plan, PlanJob
    from dispatch.planning.scale import plan_regions
    from dispatch.settings import Settings
    from tests.api.conftest import PLAN_DAY

    worker_db, inprocess_db = two_region_files
    job_id, outputs = _run_on_workers(worker_db, 2, tmp_path)
    engine = make_engine(f"sqlite:///{worker_db}")
    with session_scope(engine) as s:
        job = s.get(PlanJob, job_id)
        assert job.status is JobStatus.SUCCEEDED, (job.error, [o[-2000:] for o in outputs])
        assert job.progress["regions_total"] == 2 and all(r["done"] for r in job.progress["regions"].values())
        plan = s.get(Plan, job.plan_id)
        remote = ([(r.van.name, [(st.kind.value, st.relay_point_id, st.pickup_request_id) for st in r.stops])
                   for r in plan.rounds], plan.cost, plan.distance_m,
                  sorted((u.relay_point_id or 0, u.pickup_request_id or 0, u.reason) for u in plan.unassigned))
        assert {r.van.depot.region for r in plan.rounds} == {"north", "south"}
    engine.dispose()

    local = Settings(database_url=f"sqlite:///{inprocess_db}", solve_solution_limit=30, _env_file=None)
    engine = make_engine(local.database_url)
    with session_scope(engine) as s:
        plan = plan_regions(PLAN_DAY, local, paris_network, session=s, time_limit_s=60)
        here = ([(r.van.name, [(st.kind.value, st.relay_point_id, st.pickup_request_id) for st in r.stops])
                 for r in plan.rounds], plan.cost, plan.distance_m,
                sorted((u.relay_point_id or 0, u.pickup_request_id or 0, u.reason) for u in plan.unassigned))
    engine.dispose()
    assert remote == here


def test_a_worker_loads_the_road_graph_when_it_starts_not_at_its_first_job(monkeypatch):
    """`celery -A dispatch.jobs.celery_app worker` loads the graph before it reports ready (worker_init)."""
    from celery.signals import worker_init

    import dispatch.jobs.celery_app as celery_app
    import dispatch.roads.cache as network

    loaded = []
    monkeypatch.setattr(network, "get_network", lambda settings: loaded.append(settings.graph_path))
    celery_app._worker_app.cache_clear()
    try:
        app = celery_app.app  # what `-A dispatch.jobs.celery_app` looks up
        assert loaded == []  # nothing is loaded at import or when the app is built
        worker_init.send(sender=None)
        assert len(loaded) == 1
        assert app.conf.task_acks_late
    finally:
        celery_app._worker_app.cache_clear()
