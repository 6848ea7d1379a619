from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from api.deps import Id, NetworkDep, SessionDep, SettingsDep, in_unit_of_work
from api.ratelimit import rate_limited
from api.security import Role, public, require
from api.schemas.relay_points import FillReportIn, FillReportOut, ForecastOut, NearbyRelayPointOut, RelayPointOut, RelayPointPage
from api.schemas.fleet import DateRangeIn, DateRangeOut, RelayPointAdminOut, RelayPointIn, RelayPointPatch
from dispatch.addresses import resolve_address
from dispatch.errors import InvalidInput
from dispatch.fleet import relay_points
from dispatch.relay_points import points as service
from dispatch.models import ReportSource
from dispatch.workdays import local_today

router = APIRouter(prefix="/api/v1/relay-points", tags=["relay points"])


@router.get("", summary="List relay points with their current stock",
            dependencies=[require(Role.SWITCHBOARD, Role.COORDINATOR)])
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
    "/nearest", dependencies=[public(), rate_limited("public")],
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
        # Public: without the crews' access notes (door codes, the host's arrangements).
        NearbyRelayPointOut(relay_point=RelayPointOut.from_orm_obj(n.relay_point).model_copy(
                                update={"access_notes": None}), road_distance_m=n.road_distance_m,
                            walking_minutes=n.walking_minutes)
        for n in found
    ]


@router.get("/{relay_point_id}", summary="One relay point", dependencies=[require(Role.SWITCHBOARD, Role.COORDINATOR)])
def get_relay_point(relay_point_id: Id, session: SessionDep) -> RelayPointOut:
    return RelayPointOut.from_orm_obj(service.get_relay_point(relay_point_id, session=session))


@router.get("/{relay_point_id}/forecast", dependencies=[require(Role.COORDINATOR)],
            summary="Fill forecast: rate with weekday effects and uncertainty, expected full date, p(full) by day")
def get_forecast(relay_point_id: Id, session: SessionDep, settings: SettingsDep,
                 days: Annotated[int, Query(ge=1, le=30)] = 7) -> ForecastOut:
    today = local_today(settings.timezone)
    return ForecastOut(**service.relay_point_forecast(relay_point_id, session=session, today=today, horizon_days=days))


@router.post("/{relay_point_id}/reports", status_code=status.HTTP_201_CREATED, dependencies=[require(Role.COORDINATOR)],
             summary="Report a relay point's fill level, stock in m³, or that it is full")
async def post_report(relay_point_id: Id, body: FillReportIn, request: Request, session: SessionDep) -> FillReportOut:
    def work() -> FillReportOut:  # a hot endpoint: the work and its commit in one thread-pool hop
        report = service.report_fill(
            relay_point_id, session=session, source=ReportSource.RELAY_POINT, level_pct=body.level_pct,
            stock_m3=body.stock_m3, full=body.full, note=body.note,
        )
        return FillReportOut.from_orm_obj(report)

    return await in_unit_of_work(request, work)


@router.get("/{relay_point_id}/reports", summary="Fill-report history, newest first",
            dependencies=[require(Role.SWITCHBOARD, Role.COORDINATOR)])
def list_reports(
    relay_point_id: Id, session: SessionDep, response: Response, limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[FillReportOut]:
    """Paged with ``limit`` and ``offset``; the total number of reports is in the ``X-Total-Count`` header."""
    items, total = relay_points.list_reports(relay_point_id, session=session, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return [FillReportOut.from_orm_obj(r) for r in items]


# --- Creating and editing relay points, closures (dispatch/fleet/relay_points.py) ---


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[require(Role.COORDINATOR)],
             summary="Add a relay point",
             description="409 when the code is already used, or a relay point of the same name is within 10 m. "
             "Without `lat`/`lon`, the address is looked up: it must be found with its number, in the served zone "
             "and near a street (422 with the reason otherwise); its normalised label and postcode are stored.")
def create_relay_point(body: RelayPointIn, session: SessionDep, settings: SettingsDep,
                       network: NetworkDep) -> RelayPointAdminOut:
    values = body.model_dump()
    if body.lat is None or body.lon is None:
        found = resolve_address(body.address, settings=settings, network=network, postcode=body.postcode)
        values |= {"address": found.label, "postcode": found.postcode, "lat": found.lat, "lon": found.lon}
        if values["arrondissement"] is None and found.postcode.startswith("75"):
            number = int(found.postcode[-3:]) % 100
            values["arrondissement"] = number if 1 <= number <= 20 else None
    elif body.postcode is None:
        raise InvalidInput("give the postcode with lat/lon (or leave lat/lon out: the address is looked up)",
                           field="postcode")
    values["opening_hours"] = [o.model_dump() for o in body.opening_hours]
    return RelayPointAdminOut.from_orm_obj(relay_points.create_relay_point(values, session=session))


@router.get("/{relay_point_id}/settings", dependencies=[require(Role.SWITCHBOARD, Role.COORDINATOR)],
            summary="A relay point with its availability settings (pause, host constraints, contact)")
def get_relay_point_settings(relay_point_id: Id, session: SessionDep) -> RelayPointAdminOut:
    return RelayPointAdminOut.from_orm_obj(service.get_relay_point(relay_point_id, session=session))


@router.patch("/{relay_point_id}", dependencies=[require(Role.COORDINATOR)],
              summary="Change a relay point (only the fields sent): pause with a reason, capacity, opening hours, "
              "access notes, contact, host constraints")
def update_relay_point(relay_point_id: Id, body: RelayPointPatch, session: SessionDep) -> RelayPointAdminOut:
    changes = body.model_dump(exclude_unset=True)
    if body.opening_hours is not None:
        changes["opening_hours"] = [o.model_dump() for o in body.opening_hours]
    return RelayPointAdminOut.from_orm_obj(relay_points.update_relay_point(relay_point_id, changes, session=session))


@router.get("/{relay_point_id}/closures", dependencies=[require(Role.SWITCHBOARD, Role.COORDINATOR)],
            summary="A relay point's closures (host absences, holidays, works)")
def list_closures(relay_point_id: Id, session: SessionDep) -> list[DateRangeOut]:
    return [DateRangeOut.from_orm_obj(c) for c in relay_points.list_closures(relay_point_id, session=session)]


@router.post("/{relay_point_id}/closures", status_code=status.HTTP_201_CREATED,
             dependencies=[require(Role.COORDINATOR)],
             summary="Close a relay point from start_date to end_date inclusive: it is not visited then")
def add_closure(relay_point_id: Id, body: DateRangeIn, session: SessionDep) -> DateRangeOut:
    return DateRangeOut.from_orm_obj(relay_points.add_closure(relay_point_id, body.start_date, body.end_date,
                                                              body.reason, session=session))


@router.delete("/{relay_point_id}/closures/{closure_id}", status_code=status.HTTP_204_NO_CONTENT,
               dependencies=[require(Role.COORDINATOR)], summary="Remove a closure")
def delete_closure(relay_point_id: Id, closure_id: Id, session: SessionDep) -> None:
    relay_points.delete_closure(relay_point_id, closure_id, session=session)
