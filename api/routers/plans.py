from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, status

from api.deps import Id, NetworkDep, SessionDep, SettingsDep
from dispatch.geometry import round_geojson
from api.schemas import DayOut, PlanIn
from dispatch import planning
from dispatch.errors import NotFound
from dispatch.views import day_view, plan_view

router = APIRouter(prefix="/api/v1", tags=["planning"])


@router.post("/plans", status_code=status.HTTP_201_CREATED,
             summary="Plan a day's rounds (replaces that day's draft) and return the plan")
def create_plan(body: PlanIn, session: SessionDep, settings: SettingsDep, network: NetworkDep) -> DayOut:
    plan = planning.plan_day(body.date, settings, network, session=session, time_limit_s=body.time_limit_s,
                             seed=body.seed)
    return DayOut.from_view(plan_view(plan))


@router.get("/plans/{plan_id}", summary="One plan with its rounds and unassigned visits")
def get_plan(plan_id: Id, session: SessionDep) -> DayOut:
    return DayOut.from_view(plan_view(planning.get_plan(plan_id, session=session)))


@router.post("/plans/{plan_id}/publish", summary="Publish a draft plan: it is frozen and sent to the crews")
def publish_plan(plan_id: Id, session: SessionDep, accept_unassigned: bool = False) -> DayOut:
    plan = planning.publish_plan(plan_id, session=session, accept_unassigned=accept_unassigned)
    return DayOut.from_view(plan_view(plan))


@router.get("/rounds", summary="The rounds of a day: van, crew, ordered stops, and unassigned visits with reasons")
def get_rounds(date: dt.date, session: SessionDep) -> DayOut:
    view = day_view(date, session=session)
    if view is None:
        raise NotFound(f"no plan for {date.isoformat()}: POST /api/v1/plans with that date first", field="date")
    return DayOut.from_view(view)


@router.get(
    "/rounds/{round_id}/geometry",
    summary="GeoJSON of a round: street-level legs (km, minutes) and numbered stops",
    response_model=dict,
)
def get_round_geometry(round_id: Id, session: SessionDep, settings: SettingsDep, network: NetworkDep) -> dict:
    return round_geojson(round_id, session=session, network=network, max_snap_distance_m=settings.max_snap_distance_m)
