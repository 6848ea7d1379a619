from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response, status

from api.deps import SessionDep, SettingsDep
from api.security import Role, require
from api.schemas import DayOut, JobAccepted, JobOut, PlanJobIn
from dispatch.jobs import runner as jobs
from dispatch.models import JobStatus
from dispatch.planning.day import get_plan
from dispatch.planning.views import plan_view

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
