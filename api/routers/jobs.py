from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from pydantic import BaseModel

from api.deps import SessionDep, SettingsDep
from api.security import Role, require
from api.schemas import DayOut, JobOut, PlanJobIn
from dispatch import jobs
from dispatch.planning import get_plan
from dispatch.views import plan_view

router = APIRouter(prefix="/api/v1/plan-jobs", tags=["planning"], dependencies=[require(Role.COORDINATOR)])


class _Accepted(BaseModel):
    job: JobOut
    poll: str


def _out(job, session) -> JobOut:
    plan = DayOut.from_view(plan_view(get_plan(job.plan_id, session=session))) if job.plan_id else None
    return JobOut.from_orm_obj(job, plan)


@router.post("", status_code=status.HTTP_202_ACCEPTED,
             summary="Start planning a day in the background; poll the returned job until it is done")
def start_job(body: PlanJobIn, request: Request, response: Response, background: BackgroundTasks,
              session: SessionDep, settings: SettingsDep) -> _Accepted:
    job = jobs.create_job(body.date, session=session, seed=body.seed, regions=body.regions,
                          time_limit_s=body.time_limit_s or settings.solve_time_limit_s)
    # Handed to the runner after the response, hence after the request's commit: the worker finds it.
    background.add_task(request.app.state.job_runner.submit, job.id)
    poll = f"/api/v1/plan-jobs/{job.id}"
    response.headers["Location"] = poll
    return _Accepted(job=JobOut.from_orm_obj(job, None), poll=poll)


@router.get("/{job_id}", summary="A planning job: status, phase, live progress (best cost so far), timings and, when done, the plan")
def get_job(job_id: str, session: SessionDep) -> JobOut:
    return _out(jobs.get_job(job_id, session=session), session)


@router.delete("/{job_id}", summary="Cancel a planning job (a running one stops its search within about a second and stores nothing)")
def cancel_job(job_id: str, session: SessionDep) -> JobOut:
    return _out(jobs.cancel_job(job_id, session=session), session)
