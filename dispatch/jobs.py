"""Planning jobs: a long solve never blocks a request.

``create_job`` records a job (in the caller's transaction); a runner executes ``run_job``, which
plans and stores the result in ONE transaction, so a job that fails or whose worker dies leaves
no half-written plan. The embedded default runs jobs in a thread of the API process
(:class:`InProcessRunner`); the same ``run_job`` can run on other workers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dispatch.db import session_scope
from dispatch.errors import Conflict, DispatchError, InvalidInput, NotFound
from dispatch.models import JobStatus, PlanJob, utcnow
from dispatch.regions import check_regions
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings
from dispatch.workdays import why_not_collection_day

log = logging.getLogger("dispatch.jobs")

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def create_job(day: dt.date, *, session: Session, time_limit_s: float, seed: int | None = None,
               regions: list[str] | None = None) -> PlanJob:
    """Record a job for ``day`` (``regions``: only those regions' depots, vans and visits; None: all)."""
    not_a_day = why_not_collection_day(day)
    if not_a_day:
        raise InvalidInput(not_a_day, field="date")
    regions = check_regions(regions, session=session)
    active = session.scalars(select(PlanJob).where(PlanJob.date == day, PlanJob.status.in_(ACTIVE))).first()
    if active is not None:
        raise Conflict(f"a planning job for {day.isoformat()} is already {active.status.value} (job {active.id})")
    job = PlanJob(id=uuid.uuid4().hex, date=day, status=JobStatus.QUEUED, phase="queued",
                  time_limit_s=time_limit_s, seed=seed, regions=regions)
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


def run_job(
    job_id: str, *, engine: Engine, settings: Settings, network: RoadNetwork,
    fan_out: Callable[[str, list, float, int | None], bool] | None = None,
) -> None:
    """Execute one job. Never raises: the outcome is recorded on the job.

    Phases: ``building`` (database, road matrices), ``solving`` (region by region; live progress at
    most once a second), ``storing``. With ``fan_out`` (Celery) and several regions, the regions are
    handed to ``fan_out(job_id, parts, limit, seed)``, which returns True once it has taken them:
    their tasks then call :func:`solve_job_part` and :func:`finish_job`."""
    from dispatch import scale

    with session_scope(engine) as session:
        job = session.get(PlanJob, job_id)
        # RUNNING again: the broker redelivered a job whose worker died; nothing of it was stored.
        if job is None or job.status not in ACTIVE:
            return
        job.status, job.phase, job.started_at = JobStatus.RUNNING, "building", utcnow()
        job.progress = {"phase": "building"}
        day, limit, seed, regions = job.date, job.time_limit_s, job.seed, job.regions
    try:
        with session_scope(engine) as session:  # reads only: no lock is held during the solve
            parts = scale.prepare(day, settings, network, session=session, regions=regions)
        if _cancel_requested(engine, job_id):
            raise _Cancelled()
        _set(engine, job_id, phase="solving",
             progress={"phase": "solving", "regions_total": len(parts), "regions_done": 0, "regions": {}})
        if fan_out is not None and len(parts) > 1 and fan_out(job_id, parts, limit, seed):
            return
        solutions = [solve_job_part(job_id, part, engine=engine, settings=settings, time_limit_s=limit, seed=seed)
                     for part in parts]
    except BaseException as exc:  # noqa: BLE001 - recorded, never lost
        _record_failure(engine, job_id, exc)
        return
    finish_job(job_id, parts, solutions, engine=engine, time_limit_s=limit)


class _Reporter:
    """A job's live progress: written at most once every ``interval`` seconds in its own short
    transaction; each write also reads whether the job was cancelled (then the search stops)."""

    def __init__(self, engine: Engine, job_id: str, region: str, interval: float = 1.0) -> None:
        self.engine, self.job_id, self.region, self.interval = engine, job_id, region, interval
        self.last = float("-inf")
        self.t0 = time.monotonic()
        self.cancelled = False

    def __call__(self, info: dict) -> bool:
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self.write({"best_cost": info.get("best_cost"), "solutions": info.get("solutions"),
                        "elapsed_s": round(now - self.t0, 2), "done": False})
        return self.cancelled

    def done(self, cost: int) -> None:
        self.write({"best_cost": cost, "elapsed_s": round(time.monotonic() - self.t0, 2), "done": True})

    def write(self, entry: dict) -> None:
        try:
            with session_scope(self.engine) as session:
                job = session.get(PlanJob, self.job_id)
                if job is None:
                    return
                progress = dict(job.progress or {})
                by_region = dict(progress.get("regions") or {})
                previous = by_region.get(self.region) or {}
                by_region[self.region] = {**previous, **{k: v for k, v in entry.items() if v is not None}}
                best = [r.get("best_cost") for r in by_region.values()]
                progress.update(
                    regions=by_region, region=self.region,
                    regions_done=sum(1 for r in by_region.values() if r.get("done")),
                    best_cost=sum(best) if all(b is not None for b in best) else None,
                    solutions=sum(r.get("solutions") or 0 for r in by_region.values()),
                    elapsed_s=round((utcnow() - job.started_at).total_seconds(), 2) if job.started_at else None,
                )
                job.progress = progress
                if progress["best_cost"] is not None and progress["best_cost"] < 2**31:
                    job.best_cost = progress["best_cost"]
                self.cancelled = bool(job.cancel_requested)
        except Exception:  # noqa: BLE001 - progress is best effort, the solve goes on
            log.warning("could not record the progress of job %s", self.job_id, exc_info=True)


def solve_job_part(job_id: str, part, *, engine: Engine, settings: Settings, time_limit_s: float,
                   seed: int | None):
    """Solve one region of a job with live progress; raises ``_Cancelled`` if the job was cancelled."""
    from dispatch import scale

    if _cancel_requested(engine, job_id):
        raise _Cancelled()
    reporter = _Reporter(engine, job_id, part.region)
    options = dataclasses.replace(scale.options_for(settings, time_limit_s, seed), progress=reporter)
    solution = scale.solve_part(part, options)
    if reporter.cancelled:
        raise _Cancelled()
    reporter.done(solution.summary.cost)
    return solution


def finish_job(job_id: str, parts: list, solutions: list, *, engine: Engine, time_limit_s: float) -> None:
    """Store the merged plan and the job's success in ONE transaction. Never raises."""
    from dispatch import scale

    try:
        _set(engine, job_id, phase="storing")
        with session_scope(engine) as session:
            job = session.get(PlanJob, job_id)
            if job is None or job.status is not JobStatus.RUNNING or job.cancel_requested:
                raise _Cancelled()
            plan = scale.store(parts, solutions, time_limit_s, session=session)
            progress = dict(job.progress or {})
            progress.update(phase="done", best_cost=plan.cost)
            job.status, job.phase, job.plan_id = JobStatus.SUCCEEDED, "done", plan.id
            job.best_cost, job.finished_at, job.progress = plan.cost, utcnow(), progress
    except BaseException as exc:  # noqa: BLE001
        _record_failure(engine, job_id, exc)


def _cancel_requested(engine: Engine, job_id: str) -> bool:
    with session_scope(engine) as session:
        job = session.get(PlanJob, job_id)
        return job is None or bool(job.cancel_requested) or job.status is not JobStatus.RUNNING


def _record_failure(engine: Engine, job_id: str, exc: BaseException) -> None:
    if isinstance(exc, _Cancelled):
        _set(engine, job_id, status=JobStatus.CANCELLED, phase="cancelled", finished_at=utcnow())
    elif isinstance(exc, DispatchError):
        _set(engine, job_id, status=JobStatus.FAILED, phase="failed", error=exc.message, finished_at=utcnow())
    elif isinstance(exc, Exception):
        log.error("planning job %s failed", job_id, exc_info=exc)
        _set(engine, job_id, status=JobStatus.FAILED, phase="failed",
             error=f"internal error ({type(exc).__name__}); the previous plan is unchanged", finished_at=utcnow())
    else:  # KeyboardInterrupt, SystemExit: the job is left running (recovered at start-up), re-raised
        raise exc


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
