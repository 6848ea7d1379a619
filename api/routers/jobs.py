from __future__ import annotations

import asyncio
import time

from anyio import to_thread
from fastapi import APIRouter, BackgroundTasks, Request, Response, status

from api.deps import SessionDep, SettingsDep
from api.security import Role, require
from api.schemas.jobs import JobAccepted, JobOut, PlanJobIn
from api.schemas.plans import DayOut
from dispatch.jobs import records as jobs
from dispatch.db import engine_for, session_scope
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import JobStatus, PlanJob
from dispatch.planning import get_plan
from dispatch.planning import plan_view

router = APIRouter(prefix="/api/v1/plan-jobs", tags=["planning"], dependencies=[require(Role.COORDINATOR)])


def _out(job, session) -> JobOut:
    """The job; its plan once it has succeeded (an edit job names its plan from the start)."""
    plan = None
    if job.plan_id and job.status is JobStatus.SUCCEEDED:
        plan = DayOut.from_view(plan_view(get_plan(job.plan_id, session=session)))
    return JobOut.from_orm_obj(job, plan)


def accepted(job, request: Request, response: Response, background: BackgroundTasks) -> JobAccepted:
    """202: hand the job to the runner after the response (hence after the request's commit: the
    worker finds it) and say where to poll it."""
    background.add_task(request.app.state.job_runner.submit, job.id)
    poll = f"/api/v1/plan-jobs/{job.id}"
    response.headers["Location"] = poll
    return JobAccepted(job=JobOut.from_orm_obj(job, None), poll=poll)


@router.post("", status_code=status.HTTP_202_ACCEPTED,
             summary="Start planning a day in the background; poll the returned job until it is done")
def start_job(body: PlanJobIn, request: Request, response: Response, background: BackgroundTasks,
              session: SessionDep, settings: SettingsDep) -> JobAccepted:
    job = jobs.create_job(body.date, session=session, seed=body.seed, regions=body.regions, balance=body.balance,
                          time_limit_s=body.time_limit_s or settings.solve_time_limit_s)
    return accepted(job, request, response, background)


@router.get("/{job_id}", summary="A job (planning, re-optimisation or re-plan): kind, status, phase, live progress (best cost so far), timings and, when done, the plan")
def get_job(job_id: str, session: SessionDep) -> JobOut:
    return _out(jobs.get_job(job_id, session=session), session)


@router.delete("/{job_id}", summary="Cancel a job (a running one stops its search at its next improving solution and stores nothing)")
def cancel_job(job_id: str, session: SessionDep) -> JobOut:
    return _out(jobs.cancel_job(job_id, session=session), session)


_ERRORS = {404: NotFound, 409: Conflict, 422: InvalidInput}
TERMINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


def _read_job(database_url: str, job_id: str) -> tuple[JobStatus, int | None, str | None, dict]:
    with session_scope(engine_for(database_url)) as session:
        job = session.get(PlanJob, job_id)
        return job.status, job.plan_id, job.error, dict(job.progress or {})


async def wait_for_job(request: Request, job_id: str, timeout_s: float) -> tuple[JobStatus, int | None]:
    """Wait (without holding a thread, a database session or the event loop) until the job has ended or
    ``timeout_s`` has passed; the solve itself runs in the job runner (child process or Celery), never in
    the request. A failed job becomes the domain error it recorded (409, 404, 422)."""
    database_url = request.app.state.settings.database_url
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    while True:
        state, plan_id, error, progress = await to_thread.run_sync(_read_job, database_url, job_id)
        if state in TERMINAL or time.monotonic() >= deadline:
            break
        await asyncio.sleep(delay)
        delay = min(0.5, delay * 1.5)
    if state is JobStatus.FAILED:
        error_type = _ERRORS.get(progress.get("error_status"), Conflict)
        raise error_type(error or "the planning job failed; the previous plan is unchanged",
                         field=progress.get("error_field"))
    if state is JobStatus.CANCELLED:
        raise Conflict(f"the planning job {job_id} was cancelled: nothing was changed", field="job_id")
    return state, plan_id

