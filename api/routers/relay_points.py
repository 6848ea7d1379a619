from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, status

from api.deps import Id, NetworkDep, SessionDep, SettingsDep
from api.schemas import FillReportIn, ForecastOut, FillReportOut, NearbyRelayPointOut, RelayPointOut, RelayPointPage
from dispatch import relay_points as service
from dispatch.models import ReportSource

router = APIRouter(prefix="/api/v1/relay-points", tags=["relay points"])


@router.get("", summary="List relay points with their current stock")
def list_relay_points(
    session: SessionDep,
    active: bool | None = None,
    full: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RelayPointPage:
    items, total = service.list_relay_points(session=session, active=active, full=full, limit=limit, offset=offset)
    return RelayPointPage(items=[RelayPointOut.from_orm_obj(rp) for rp in items], total=total, limit=limit, offset=offset)


@router.get(
    "/nearest",
    summary="The nearest open relay points by road distance (full ones are left out)",
    description="Distances are along the street network from the snapped position; the walking time assumes "
    "1.2 m/s. A position outside Paris is refused with 422.",
)
def nearest(
    session: SessionDep,
    settings: SettingsDep,
    network: NetworkDep,
    lat: Annotated[float, Query(ge=-90, le=90, examples=[48.8722])],
    lon: Annotated[float, Query(ge=-180, le=180, examples=[2.3770])],
    limit: Annotated[int, Query(ge=1, le=20)] = 3,
) -> list[NearbyRelayPointOut]:
    found = service.nearest_relay_points(
        lat, lon, limit, session=session, network=network, max_snap_distance_m=settings.max_snap_distance_m
    )
    return [
        NearbyRelayPointOut(relay_point=RelayPointOut.from_orm_obj(n.relay_point), road_distance_m=n.road_distance_m,
                            walking_minutes=n.walking_minutes)
        for n in found
    ]


@router.get("/{relay_point_id}", summary="One relay point")
def get_relay_point(relay_point_id: Id, session: SessionDep) -> RelayPointOut:
    return RelayPointOut.from_orm_obj(service.get_relay_point(relay_point_id, session=session))


@router.get("/{relay_point_id}/forecast",
            summary="Fill forecast: rate with weekday effects and uncertainty, expected full date, p(full) by day")
def get_forecast(relay_point_id: Id, session: SessionDep, settings: SettingsDep,
                 days: Annotated[int, Query(ge=1, le=30)] = 7) -> ForecastOut:
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    return ForecastOut(**service.relay_point_forecast(relay_point_id, session=session, today=today, horizon_days=days))


@router.post("/{relay_point_id}/reports", status_code=status.HTTP_201_CREATED,
             summary="Report a relay point's fill level, stock in m³, or that it is full")
def post_report(relay_point_id: Id, body: FillReportIn, session: SessionDep) -> FillReportOut:
    report = service.report_fill(
        relay_point_id, session=session, source=ReportSource.RELAY_POINT, level_pct=body.level_pct,
        stock_m3=body.stock_m3, full=body.full, note=body.note,
    )
    return FillReportOut.from_orm_obj(report)


@router.get("/{relay_point_id}/reports", summary="Fill-report history, newest first")
def list_reports(
    relay_point_id: Id, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[FillReportOut]:
    rp = service.get_relay_point(relay_point_id, session=session)
    return [FillReportOut.from_orm_obj(r) for r in reversed(rp.reports)][:limit]
