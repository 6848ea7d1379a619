from __future__ import annotations

import datetime as dt

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Header, Request, Response, status
from fastapi.responses import JSONResponse

from api.deps import Id, NetworkDep, SessionDep, SettingsDep, in_unit_of_work
from api.routers import jobs as job_routes
from api.security import OptionalStaff, Role, StaffUser, pickup_postcodes, redact_day, require
from dispatch.documents import round_geojson
from api.schemas.jobs import JobAccepted, JobOut
from api.schemas.plans import DayOut, PlanIn
from dispatch.jobs import records as jobs
from dispatch.planning import plans as planning
from dispatch.db import engine_for, session_scope
from dispatch.models import JobStatus
from dispatch.errors import NotFound
from dispatch.planning import day_view, plan_view

router = APIRouter(prefix="/api/v1", tags=["planning"])


@router.post("/plans", status_code=status.HTTP_201_CREATED,
             summary="Plan a day's rounds as a job (the day's draft is replaced, kept in its history) and return the plan",
             description="The solve runs as a planning job (child process or Celery), never in the API process; "
             "this request waits for it (at most the time limit plus a minute), or with `wait=false` answers 202 "
             "with the job to poll. One job per day: a second request while one runs gets 409 naming it. The "
             "draft's locked, moved and inserted visits keep their van and order; visits dropped by hand stay out.",
             responses={202: {"description": "the job is still running (or wait=false): poll it"},
                        409: {"description": "the day is published, or another job of the day is running"}})
async def create_plan(body: PlanIn, request: Request, response: Response, session: SessionDep,
                      settings: SettingsDep, user: Annotated[StaffUser, require(Role.COORDINATOR)],
                      wait: bool = True) -> DayOut:
    limit = body.time_limit_s or settings.solve_time_limit_s

    def start() -> tuple[str, JobOut]:
        planning.ensure_not_published(body.date, session=session)
        job = jobs.create_job(body.date, session=session, time_limit_s=limit, seed=body.seed, actor=user.username,
                               balance=body.balance)
        return job.id, JobOut.from_orm_obj(job, None)

    job_id, job_out = await in_unit_of_work(request, start)
    await to_thread.run_sync(request.app.state.job_runner.submit, job_id)
    if wait:
        state, plan_id = await job_routes.wait_for_job(request, job_id, limit + 60)
        if state is JobStatus.SUCCEEDED and plan_id is not None:
            return await to_thread.run_sync(_plan_out, settings.database_url, plan_id)
    poll = f"/api/v1/plan-jobs/{job_id}"
    body_out = JobAccepted(job=job_out, poll=poll).model_dump(mode="json")
    return JSONResponse(body_out, status_code=202, headers={"Location": poll})  # type: ignore[return-value]


def _plan_out(database_url: str, plan_id: int) -> DayOut:
    with session_scope(engine_for(database_url)) as session:
        return DayOut.from_view(plan_view(planning.get_plan(plan_id, session=session)))


@router.get("/plans/{plan_id}", summary="One plan with its rounds and unassigned visits",
            dependencies=[require(Role.COORDINATOR)])
def get_plan(plan_id: Id, session: SessionDep, response: Response) -> DayOut:
    plan = planning.get_plan(plan_id, session=session)
    response.headers["ETag"] = f'"{plan.version}"'  # the version to send back with edits (If-Match)
    return DayOut.from_view(plan_view(plan))


@router.post("/plans/{plan_id}/publish", summary="Publish a draft plan: it is frozen and sent to the crews",
             responses={409: {"description": "already published, mandatory visits left out, or a stale If-Match"}})
def publish_plan(plan_id: Id, session: SessionDep, response: Response,
                 user: Annotated[StaffUser, require(Role.COORDINATOR)], accept_unassigned: bool = False,
                 if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> DayOut:
    if if_match is not None:  # optional here: publishing a version other than the one seen is refused (409)
        from api.routers.editing import requested_version
        from dispatch.planning import open_plan

        open_plan(plan_id, requested_version(if_match, None), session=session, draft=None)
    plan = planning.publish_plan(plan_id, session=session, accept_unassigned=accept_unassigned,
                                 actor=user.username)
    response.headers["ETag"] = f'"{plan.version}"'
    return DayOut.from_view(plan_view(plan))


@router.get("/rounds", summary="The rounds of a day: van, crew, ordered stops, and unassigned visits with reasons",
            description="Open to everyone; without a staff token, home-pickup stops show only their postcode.")
def get_rounds(date: dt.date, session: SessionDep, staff: OptionalStaff) -> DayOut:
    view = day_view(date, session=session)
    if view is None:
        raise NotFound(f"no plan for {date.isoformat()}: POST /api/v1/plans with that date first", field="date")
    day = DayOut.from_view(view)
    return day if staff is not None else redact_day(day, pickup_postcodes(day, session=session))


@router.get(
    "/rounds/{round_id}/geometry", dependencies=[require(Role.COORDINATOR)],
    summary="GeoJSON of a round: street-level legs (km, minutes) and numbered stops",
    response_model=dict,
)
def get_round_geometry(round_id: Id, session: SessionDep, settings: SettingsDep, network: NetworkDep) -> dict:
    return round_geojson(round_id, session=session, network=network, max_snap_distance_m=settings.max_snap_distance_m)
