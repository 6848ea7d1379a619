from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import SessionDep
from api.schemas import FillReportIn, FillReportOut, RelayPointOut, RelayPointPage
from dispatch import relay_points as service
from dispatch.models import ReportSource

router = APIRouter(prefix="/api/v1/relay-points", tags=["relay points"])


@router.get("", summary="List relay points with their current stock")
def list_relay_points(
    session: SessionDep,
    active: bool | None = None,
    full: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RelayPointPage:
    items, total = service.list_relay_points(session=session, active=active, full=full, limit=limit, offset=offset)
    return RelayPointPage(items=[RelayPointOut.from_orm_obj(rp) for rp in items], total=total, limit=limit, offset=offset)


@router.get("/{relay_point_id}", summary="One relay point")
def get_relay_point(relay_point_id: int, session: SessionDep) -> RelayPointOut:
    return RelayPointOut.from_orm_obj(service.get_relay_point(relay_point_id, session=session))


@router.post("/{relay_point_id}/reports", status_code=status.HTTP_201_CREATED,
             summary="Report a relay point's fill level, stock in m³, or that it is full")
def post_report(relay_point_id: int, body: FillReportIn, session: SessionDep) -> FillReportOut:
    report = service.report_fill(
        relay_point_id, session=session, source=ReportSource.RELAY_POINT, level_pct=body.level_pct,
        stock_m3=body.stock_m3, full=body.full, note=body.note,
    )
    return FillReportOut.from_orm_obj(report)


@router.get("/{relay_point_id}/reports", summary="Fill-report history, newest first")
def list_reports(
    relay_point_id: int, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[FillReportOut]:
    rp = service.get_relay_point(relay_point_id, session=session)
    return [FillReportOut.from_orm_obj(r) for r in reversed(rp.reports)][:limit]
