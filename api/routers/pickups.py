from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse

from api.deps import Id, NetworkDep, SessionDep, SettingsDep
from api.pages.common import HTMLErrorRoute, render
from api.ratelimit import rate_limited
from api.schemas.fleet import PickupEventOut, SlotOfferOut, TrackingOut
from dispatch.addresses.resolve import resolve_address
from dispatch.errors import InvalidInput, NotFound
from dispatch.fleet import availability
from dispatch.pickups.slots import offer_slots, with_trial_insertion
from api.security import Role, public, require
from api.schemas import OverrideIn, PickupIn, PickupOut
from dispatch.pickups import requests as service
from dispatch.models import PickupStatus, Slot

router = APIRouter(prefix="/api/v1/pickup-requests", tags=["home pickups"],
                   dependencies=[require(Role.SWITCHBOARD, Role.COORDINATOR)])


@router.post(
    "", status_code=status.HTTP_201_CREATED,
    summary="Request a home pickup; the collection rules accept or refuse it",
    description="Without `lat`/`lon` the address is looked up (it must be found with its house number, in the "
    "served zone, near a street): otherwise 422 with the reason, and nothing is stored. "
    "Once placed, the request is always stored. `status` is `accepted` or `refused`; "
    "a refusal lists every reason in `reasons`; when the date or slot was refused, `alternatives` are the next "
    "slots where the visit still fits the day's plan by trial insertion (the rules' calendar alone for days "
    "not planned yet).",
)
def create_pickup(body: PickupIn, session: SessionDep, settings: SettingsDep, network: NetworkDep) -> PickupOut:
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    if body.lat is None or body.lon is None:  # an address alone: looked up, refused (nothing stored) if not served
        found = resolve_address(body.address, settings=settings, network=network, postcode=body.postcode)
        body = body.model_copy(update={"address": found.label, "postcode": found.postcode, "lat": found.lat,
                                       "lon": found.lon})
    elif body.postcode is None:
        raise InvalidInput("give the postcode with lat/lon (or leave lat/lon out: the address is looked up)",
                           field="postcode")
    request = service.PickupInput(
        donor_name=body.donor_name, phone=body.phone, address=body.address, postcode=body.postcode, lat=body.lat,
        lon=body.lon, volume_m3=body.volume_m3, date=body.date, slot=Slot(body.slot),
        categories=tuple(body.categories), floor=body.floor, has_lift=body.has_lift,
        access_code=body.access_code, notes=body.notes,
    )
    # The requested slot and the alternatives offered with a refusal are checked by trial insertion into the
    # days' plans.
    ctx = with_trial_insertion(service.rule_context(session=session, settings=settings, network=network, today=today),
                               body.lat, body.lon, body.volume_m3, session=session, settings=settings,
                               network=network)
    record, _ = service.create_pickup(request, config=service.rules_config(settings), session=session, ctx=ctx)
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


# --- Pickup lifecycle: history, donor tracking, slot offers (dispatch/fleet/availability.py, dispatch/pickups/slots.py) ---


@router.get("/{pickup_id}/events", summary="A request's history: requested, accepted, scheduled, missed...")
def pickup_events(pickup_id: Id, session: SessionDep) -> list[PickupEventOut]:
    service.get_pickup(pickup_id, session=session)
    return [PickupEventOut(at=e.at, status=e.status.value, date=e.date, slot=e.slot.value if e.slot else None,
                           detail=e.detail) for e in availability.pickup_history(pickup_id, session=session)]


tracking = APIRouter(prefix="/api/v1/pickups", tags=["home pickups"])


@tracking.get(
    "/track/{ref}", dependencies=[public(), rate_limited("public")],
    summary="A donor's view of a request: date, slot, status (French and English text)",
    description="Public. `phone_last4` must be the last 4 digits of the phone given with the request; wrong "
    "digits get the same 404 as an unknown reference. No name, address or phone is returned.",
)
def track(ref: Annotated[str, Path(min_length=1, max_length=40)], session: SessionDep,
          phone_last4: Annotated[str, Query(pattern=r"^[0-9]{4}$")]) -> TrackingOut:
    pu = availability.find_for_tracking(ref, phone_last4, session=session)
    return TrackingOut(**availability.tracking_view(pu, session=session))


slots = APIRouter(prefix="/api/v1/pickup-slots", tags=["home pickups"])


@slots.get(
    "", dependencies=[public(), rate_limited("public")],
    summary="Bookable home-pickup slots, checked by trial insertion into the day's plan",
    description="For each collection day from `from` (default: today) for `days` days and each slot: the "
    "collection rules first; then, if the day already has a plan (draft or published), the cheapest feasible "
    "insertion of the visit into one of its rounds (capacity, the slot's window, the other stops' windows, the "
    "lunch break, the shift) with its extra minutes and km; without a plan, `checked: rules_only`. Public (the "
    "donor page uses it) and rate-limited.",
)
def pickup_slots(
    session: SessionDep, settings: SettingsDep, network: NetworkDep,
    lat: Annotated[float, Query(ge=-90, le=90, examples=[48.8722])],
    lon: Annotated[float, Query(ge=-180, le=180, examples=[2.3770])],
    volume_m3: Annotated[float, Query(gt=0, le=100, examples=[3.0])],
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    days: Annotated[int, Query(ge=1, le=31)] = 7,
) -> list[SlotOfferOut]:
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    offers = offer_slots(lat, lon, volume_m3, from_ or today, days, session=session, settings=settings,
                         network=network, today=today)
    return [SlotOfferOut(**vars(o)) for o in offers]


pages = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False)


@pages.get("/suivi", response_class=HTMLResponse, dependencies=[public()])
def tracking_page(request: Request) -> HTMLResponse:
    return render(request, "tracking.html", track=None, not_found=False, ref="")


@pages.post("/suivi", response_class=HTMLResponse, dependencies=[public(), rate_limited("public")])
def tracking_lookup(request: Request, session: SessionDep, ref: Annotated[str, Form(max_length=40)] = "",
                    tel: Annotated[str, Form(max_length=10)] = "") -> HTMLResponse:
    try:
        pu = availability.find_for_tracking(ref, tel, session=session)
    except NotFound:
        return render(request, "tracking.html", status_code=404, track=None, not_found=True, ref=ref.strip()[:40])
    return render(request, "tracking.html", track=availability.tracking_view(pu, session=session), not_found=False,
                  ref=pu.ref)
