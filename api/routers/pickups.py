from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, status

from api.deps import Id, NetworkDep, SessionDep, SettingsDep
from api.schemas import OverrideIn, PickupIn, PickupOut
from dispatch import pickups as service
from dispatch.models import PickupStatus, Slot

router = APIRouter(prefix="/api/v1/pickup-requests", tags=["home pickups"])


@router.post(
    "", status_code=status.HTTP_201_CREATED,
    summary="Request a home pickup; the collection rules accept or refuse it",
    description="The request is always stored. `status` is `accepted` or `refused`; "
    "a refusal lists every reason in `reasons`.",
)
def create_pickup(body: PickupIn, session: SessionDep, settings: SettingsDep, network: NetworkDep) -> PickupOut:
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    request = service.PickupInput(
        donor_name=body.donor_name, phone=body.phone, address=body.address, postcode=body.postcode, lat=body.lat,
        lon=body.lon, volume_m3=body.volume_m3, date=body.date, slot=Slot(body.slot),
        categories=tuple(body.categories), floor=body.floor, has_lift=body.has_lift,
        access_code=body.access_code, notes=body.notes,
    )
    record, _ = service.create_pickup(
        request, config=service.rules_config(settings), session=session,
        ctx=service.rule_context(session=session, settings=settings, network=network, today=today),
    )
    return PickupOut.from_orm_obj(record)


@router.post(
    "/{pickup_id}/override",
    summary="Accept a refused request anyway, with a recorded reason (switchboard)",
    description="Some refusals cannot be overridden (e.g. hazardous products, a volume larger than every van, "
    "a Sunday): the answer names them.",
)
def override(pickup_id: Id, body: OverrideIn, session: SessionDep) -> PickupOut:
    record = service.override_refusal(pickup_id, by=body.by, reason=body.reason, session=session)
    return PickupOut.from_orm_obj(record)


@router.get("", summary="List home-pickup requests")
def list_pickups(
    session: SessionDep,
    date: dt.date | None = None,
    status: PickupStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[PickupOut]:
    items = service.list_pickups(session=session, date=date, status=status, limit=limit, offset=offset)
    return [PickupOut.from_orm_obj(p) for p in items]


@router.get("/{pickup_id}", summary="One home-pickup request and its status")
def get_pickup(pickup_id: Id, session: SessionDep) -> PickupOut:
    return PickupOut.from_orm_obj(service.get_pickup(pickup_id, session=session))
