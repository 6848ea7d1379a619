"""Planning as a job: POST starts it, GET polls; a failing job leaves no half-written plan."""

from __future__ import annotations

from sqlalchemy import select

from dispatch.db import session_scope
from dispatch.models import JobStatus, Plan, PlanJob
from tests.api.conftest import PLAN_DAY


def finished_job(client, started, timeout: float = 120) -> dict:
    """A job started by ``started`` (a 202 response), once the runner has finished it (bounded wait)."""
    assert started.status_code == 202, started.text
    job_id = started.json()["job"]["id"]
    assert started.headers["location"] == started.json()["poll"] == f"/api/v1/plan-jobs/{job_id}"
    client.app.state.job_runner.wait(job_id, timeout=timeout)
    r = client.get(f"/api/v1/plan-jobs/{job_id}")
    assert r.status_code == 200, r.text
    return r.json()


def _start(client, **body):
    r = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, **body})
    assert r.status_code == 202, r.text
    return r.json()["job"]["id"], r


def test_job_runs_and_returns_the_plan(client):
    job_id, r = _start(client, seed=1)
    assert r.headers["location"] == f"/api/v1/plan-jobs/{job_id}"
    client.app.state.job_runner.wait(job_id, timeout=120)
    job = client.get(f"/api/v1/plan-jobs/{job_id}").json()
    assert job["status"] == "succeeded" and job["phase"] == "done"
    assert job["plan"]["rounds_count"] >= 2 and job["elapsed_s"] >= 0
    rounds = client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()}).json()
    assert rounds["plan_id"] == job["plan"]["plan_id"]


def test_bad_jobs_are_refused_before_starting(client):
    r = client.post("/api/v1/plan-jobs", json={"date": "2026-12-25"})
    assert r.status_code == 422 and "public holiday" in r.json()["detail"]
    assert client.get("/api/v1/plan-jobs/nope").status_code == 404


def test_a_failing_job_is_recorded_and_stores_nothing(client, db_engine, monkeypatch):
    import dispatch.jobs.runner

    def explode(*args, **kwargs):
        raise RuntimeError("solver crashed")

    import dispatch.planning.scale

    monkeypatch.setattr(dispatch.planning.scale, "solve_part", explode)
    job_id, _ = _start(client)
    client.app.state.job_runner.wait(job_id, timeout=60)
    job = client.get(f"/api/v1/plan-jobs/{job_id}").json()
    assert job["status"] == "failed" and "internal error" in job["error"] and job["plan"] is None
    with session_scope(db_engine) as s:
        assert s.scalars(select(Plan)).all() == []


def test_cancel_a_queued_job_and_recover_interrupted_ones(client, db_engine):
    from dispatch.jobs.records import create_job
    from dispatch.jobs.workers import recover_interrupted

    with session_scope(db_engine) as s:
        queued = create_job(PLAN_DAY, session=s, time_limit_s=1)
        running = PlanJob(id="x" * 32, date=PLAN_DAY.replace(day=2), status=JobStatus.RUNNING, phase="planning",
                          time_limit_s=1)
        s.add(running)
        queued_id = queued.id
    r = client.delete(f"/api/v1/plan-jobs/{queued_id}")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.delete(f"/api/v1/plan-jobs/{queued_id}").status_code == 409
    with session_scope(db_engine) as s:
        assert recover_interrupted(session=s) == 1
    job = client.get(f"/api/v1/plan-jobs/{'x' * 32}").json()
    assert job["status"] == "failed" and "interrupted" in job["error"]


def test_one_active_job_per_day(client, db_engine):
    from dispatch.jobs.records import create_job

    with session_scope(db_engine) as s:
        create_job(PLAN_DAY, session=s, time_limit_s=1)
    r = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat()})
    assert r.status_code == 409 and "already queued" in r.json()["detail"]


def test_a_starting_worker_fails_only_the_jobs_of_dead_processes(client, db_engine):
    """Several API workers share the database: one starting up must not fail a job another live one runs."""
    import datetime as dt
    import os
    import socket
    import subprocess
    import sys

    from dispatch.jobs.workers import recover_interrupted
    from dispatch.models import utcnow

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid no longer exists
    host, now = socket.gethostname()[:100], utcnow()
    cases = {  # job id -> (worker, started, expected to be failed)
        "a" * 32: (f"{host}:{os.getppid()}", now, False),  # a live process of this host: still running
        "b" * 32: (f"{host}:{gone.pid}", now, True),  # its process is gone
        "c" * 32: (None, now, True),  # no process recorded
        "d" * 32: ("another-host:12", now, False),  # another machine's, recent: left alone
        "e" * 32: ("another-host:12", now - dt.timedelta(minutes=30), True),  # far beyond 2 x limit + 10 min
    }
    with session_scope(db_engine) as s:
        for i, (job_id, (worker, started, _)) in enumerate(cases.items()):
            s.add(PlanJob(id=job_id, date=PLAN_DAY.replace(day=1 + i), status=JobStatus.RUNNING, phase="solving",
                          time_limit_s=60, worker=worker, started_at=started))
    with session_scope(db_engine) as s:
        assert recover_interrupted(session=s) == sum(failed for *_, failed in cases.values())
    for job_id, (_, _, failed) in cases.items():
        job = client.get(f"/api/v1/plan-jobs/{job_id}").json()
        assert job["status"] == ("failed" if failed else "running"), (job_id, job)


def test_a_job_handed_to_two_runners_runs_once(client, db_engine, monkeypatch):
    """Every API worker resubmits the queued jobs when it starts: only the first claim runs the job."""
    import dispatch.planning.scale
    from dispatch.jobs.records import create_job
    from dispatch.jobs.runner import run_job
    from dispatch.roads.cache import get_network

    with session_scope(db_engine) as s:
        job_id = create_job(PLAN_DAY, session=s, time_limit_s=1, seed=1).id
        s.execute(PlanJob.__table__.update().where(PlanJob.id == job_id)
                  .values(status=JobStatus.RUNNING, worker="another-worker:1"))  # claimed by another worker
    prepared = []
    monkeypatch.setattr(dispatch.planning.scale, "prepare", lambda *a, **k: prepared.append(a) or [])
    settings = client.app.state.settings
    run_job(job_id, engine=db_engine, settings=settings, network=get_network(settings))
    assert prepared == []  # not run a second time
    with session_scope(db_engine) as s:
        job = s.get(PlanJob, job_id)
        assert job.status is JobStatus.RUNNING and job.worker == "another-worker:1"
