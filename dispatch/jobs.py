"""Planning jobs: a long solve never blocks a request.

``create_job`` records a job (in the caller's transaction); a runner executes ``run_job``, which
plans and stores the result in ONE transaction, so a job that fails or whose worker dies leaves
no half-written plan. The embedded default runs jobs in a thread of the API process
(:class:`InProcessRunner`); the same ``run_job`` can run on other workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dispatch.db import session_scope
from dispatch.errors import Conflict, DispatchError, InvalidInput, NotFound
from dispatch.models import JobStatus, PlanJob, utcnow
from dispatch.planning import plan_day
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings
from dispatch.workdays import why_not_collection_day

log = logging.getLogger("dispatch.jobs")

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def create_job(day: dt.date, *, session: Session, time_limit_s: float, seed: int | None = None) -> PlanJob:
    not_a_day = why_not_collection_day(day)
    if not_a_day:
        raise InvalidInput(not_a_day, field="date")
    active = session.scalars(select(PlanJob).where(PlanJob.date == day, PlanJob.status.in_(ACTIVE))).first()
    if active is not None:
        raise Conflict(f"a planning job for {day.isoformat()} is already {active.status.value} (job {active.id})")
    job = PlanJob(id=uuid.uuid4().hex, date=day, status=JobStatus.QUEUED, phase="queued",
                  time_limit_s=time_limit_s, seed=seed)
    session.add(job)
    session.flush()
    return job


def get_job(job_id: str, *, session: Session) -> PlanJob:
    job = session.get(PlanJob, job_id)
    if job is None:
        raise NotFound(f"planning job {job_id} does not exist", field="job_id")
    return job


def cancel_job(job_id: str, *, session: Session) -> PlanJob:
    """A queued job is cancelled at once; a running one stops before it stores its plan."""
    job = get_job(job_id, session=session)
    if job.status not in ACTIVE:
        raise Conflict(f"planning job {job_id} is already {job.status.value}")
    job.cancel_requested = True
    if job.status is JobStatus.QUEUED:
        job.status, job.phase, job.finished_at = JobStatus.CANCELLED, "cancelled", utcnow()
    session.flush()
    return job


def _set(engine: Engine, job_id: str, **values) -> PlanJob | None:
    with session_scope(engine) as session:
        job = session.get(PlanJob, job_id)
        if job is not None:
            for key, value in values.items():
                setattr(job, key, value)
        return job


def run_job(job_id: str, *, engine: Engine, settings: Settings, network: RoadNetwork) -> None:
    """Execute one job. Never raises: the outcome is recorded on the job."""
    with session_scope(engine) as session:
        job = session.get(PlanJob, job_id)
        # RUNNING again: the broker redelivered a job whose worker died; nothing of it was stored.
        if job is None or job.status not in ACTIVE:
            return
        job.status, job.phase, job.started_at = JobStatus.RUNNING, "planning", utcnow()
        day, limit, seed = job.date, job.time_limit_s, job.seed
    try:
        with session_scope(engine) as session:
            plan = plan_day(day, settings, network, session=session, time_limit_s=limit, seed=seed)
            job = session.get(PlanJob, job_id)
            session.refresh(job)
            if job.cancel_requested:
                raise _Cancelled()
            job.status, job.phase, job.plan_id = JobStatus.SUCCEEDED, "done", plan.id
            job.best_cost, job.finished_at = plan.cost, utcnow()
    except _Cancelled:
        _set(engine, job_id, status=JobStatus.CANCELLED, phase="cancelled", finished_at=utcnow())
    except DispatchError as exc:
        _set(engine, job_id, status=JobStatus.FAILED, phase="failed", error=exc.message, finished_at=utcnow())
    except Exception as exc:  # noqa: BLE001 - recorded, never lost
        log.exception("planning job %s failed", job_id)
        _set(engine, job_id, status=JobStatus.FAILED, phase="failed",
             error=f"internal error ({type(exc).__name__}); the previous plan is unchanged", finished_at=utcnow())


class _Cancelled(Exception):
    pass


def recover_interrupted(*, session: Session) -> int:
    """At start-up: jobs left running by a process that died are marked failed (no plan was stored
    for them: planning commits the plan and the job's success together). Queued ones stay queued."""
    jobs = session.scalars(select(PlanJob).where(PlanJob.status == JobStatus.RUNNING)).all()
    for job in jobs:
        job.status, job.phase, job.finished_at = JobStatus.FAILED, "failed", utcnow()
        job.error = "interrupted: the worker stopped before the plan was stored; start the job again"
    session.flush()
    return len(jobs)


def queued_job_ids(*, session: Session) -> list[str]:
    return list(session.scalars(
        select(PlanJob.id).where(PlanJob.status == JobStatus.QUEUED).order_by(PlanJob.created_at)
    ).all())


class InProcessRunner:
    """Runs jobs one at a time in a background thread of this process (the embedded default)."""

    def __init__(self, run: Callable[[str], None]) -> None:
        self._run = run
        self._executor: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan-job")
            self._futures[job_id] = self._executor.submit(self._run, job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until the job has finished (tests and CLI use this; the API polls instead)."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=False)
                self._executor = None
