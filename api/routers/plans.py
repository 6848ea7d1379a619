from __future__ import annotations

import datetime as dt

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from api.deps import Id, NetworkDep, SessionDep, SettingsDep
from api.security import OptionalStaff, Role, StaffUser, pickup_postcodes, redact_day, require
from dispatch.documents.geometry import round_geojson
from api.schemas import DayOut, PlanIn
from dispatch.planning import day as planning
from dispatch.errors import NotFound
from dispatch.planning.views import day_view, plan_view

router = APIRouter(prefix="/api/v1", tags=["planning"])


@router.post("/plans", status_code=status.HTTP_201_CREATED, dependencies=[require(Role.COORDINATOR)],
             summary="Plan a day's rounds (replaces that day's draft) and return the plan")
def create_plan(body: PlanIn, session: SessionDep, settings: SettingsDep, network: NetworkDep) -> DayOut:
    plan = planning.plan_day(body.date, settings, network, session=session, time_limit_s=body.time_limit_s,
                             seed=body.seed, balance=body.balance)
    return DayOut.from_view(plan_view(plan))


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
        from dispatch.planning.editing import open_plan

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
