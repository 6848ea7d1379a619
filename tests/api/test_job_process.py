"""The embedded default runs planning jobs in a child process at a lower priority (dispatch/jobs/process.py):
a real plan through the API, and a child killed in the middle of a job."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from functools import partial

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatch.db import engine_for, session_scope
from dispatch.jobs.process import DIED, ProcessRunner
from dispatch.models import JobStatus, Plan, PlanJob, utcnow
from tests.api.conftest import PLAN_DAY, make_staff

pytestmark = pytest.mark.db


def test_a_job_is_planned_in_a_lower_priority_child_process(seeded, settings):
    from api.app import create_app

    _, token = make_staff(seeded, "coordinator")
    app = create_app(settings.model_copy(update={"job_isolation": "process", "job_nice": 7}))
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        r = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1})
        assert r.status_code == 202, r.text
        job_id = r.json()["job"]["id"]
        runner = app.state.job_runner
        assert isinstance(runner, ProcessRunner)
        runner.wait(job_id, timeout=300)
        child = runner.child_pid()
        assert child is not None and child != os.getpid()
        assert os.getpriority(os.PRIO_PROCESS, child) == os.getpriority(os.PRIO_PROCESS, 0) + 7
        if hasattr(os, "sched_getscheduler"):  # Linux: and only the CPU time requests leave (the default)
            assert os.sched_getscheduler(child) == os.SCHED_IDLE
        job = client.get(f"/api/v1/plan-jobs/{job_id}").json()
        assert job["status"] == "succeeded", job
        rounds = client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()}).json()
        assert rounds["plan_id"] == job["plan"]["plan_id"] and rounds["rounds"]


def _run_in_test(job_id: str, *, url: str, fifo: str) -> None:
    """A stand-in for run_job: seed 1 starts and then hangs (until killed), any other seed succeeds."""
    with session_scope(engine_for(url)) as s:
        job = s.get(PlanJob, job_id)
        job.status, job.phase, job.started_at = JobStatus.RUNNING, "solving", utcnow()
        hang = job.seed == 1
    if hang:
        with open(fifo, "w") as f:  # tells the test the job is running (open blocks until it reads)
            f.write("running\n")
        time.sleep(600)
    with session_scope(engine_for(url)) as s:
        job = s.get(PlanJob, job_id)
        job.status, job.phase, job.finished_at = JobStatus.SUCCEEDED, "done", utcnow()


def _job(engine, seed: int) -> str:
    from dispatch.jobs import records as jobs

    with session_scope(engine) as s:  # one active job per day: one day per seed
        return jobs.create_job(dt.date(2026, 12, 1 + seed), session=s, time_limit_s=5, seed=seed).id


def test_a_killed_child_fails_its_job_and_the_next_job_runs_in_a_new_one(db_engine, migrated_url, tmp_path):
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    runner = ProcessRunner(partial(_run_in_test, url=migrated_url, fifo=str(fifo)), database_url=migrated_url,
                           nice=0)
    try:
        hanging, waiting = _job(db_engine, seed=1), _job(db_engine, seed=2)
        runner.submit(hanging)
        runner.submit(waiting)  # queued behind it in the same child
        with open(fifo) as f:
            assert f.readline() == "running\n"
        first_child = runner.child_pid()
        os.kill(first_child, signal.SIGKILL)
        runner.wait(hanging, timeout=60)
        runner.wait(waiting, timeout=60)
        with session_scope(db_engine) as s:
            failed, done = s.get(PlanJob, hanging), s.get(PlanJob, waiting)
            assert (failed.status, failed.error) == (JobStatus.FAILED, DIED)
            assert done.status is JobStatus.SUCCEEDED  # handed to a new child, not lost
            assert s.scalars(select(Plan)).all() == []  # nothing half-written
        assert runner.child_pid() not in (None, first_child)
    finally:
        runner.shutdown()


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="scheduling policies are Linux-only")
@pytest.mark.parametrize("sched_idle", [True, False])
def test_the_planning_child_runs_under_sched_idle_only_when_asked(sched_idle):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from dispatch.jobs.process import _child_init

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_child_init,
                             initargs=(0, sched_idle)) as pool:
        policy = pool.submit(os.sched_getscheduler, 0).result(timeout=60)
    assert policy == (os.SCHED_IDLE if sched_idle else os.sched_getscheduler(0))
