"""Home-pickup requests: the API, the donor's tracking page (/suivi) with its cancel and move, slot offers."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, status
from fastapi.responses import HTMLResponse

from api.deps import Id, NetworkDep, SessionDep, SettingsDep
from api.pages.common import HTMLErrorRoute, page_lang, render
from api.ratelimit import limit_key, rate_limited
from api.schemas.fleet import PickupEventOut, SlotOfferOut, TrackingOut
from api.schemas.donor import CancelIn, ChangeOut, DonorCancelIn, DonorMessageOut, DonorRescheduleIn, RescheduleIn
from api.security import Role, StaffUser, public, require
from dispatch.addresses import resolve_address
from dispatch.documents import i18n
from dispatch.errors import DispatchError, InvalidInput, NotFound
from dispatch.fleet import pickup_lifecycle
from dispatch.messages import outbox
from dispatch.pickups import changes as pickup_changes
from dispatch.pickups import offer_slots, with_trial_insertion
from api.schemas.pickups import OverrideIn, PickupIn, PickupOut
from dispatch.pickups import requests as service
from dispatch.models import PickupStatus, Slot
from dispatch.workdays import local_today

log = logging.getLogger("api.pickups")
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
    today = local_today(settings.timezone)
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
        access_code=body.access_code, notes=body.notes, email=body.email, lang=body.lang,
        messages_opt_out=body.messages_opt_out,
    )
    # The requested slot and the alternatives offered with a refusal are checked by trial insertion into the
    # days' plans.
    ctx = with_trial_insertion(service.rule_context(session=session, settings=settings, network=network, today=today),
                               body.lat, body.lon, body.volume_m3, session=session, settings=settings,
                               network=network, site=body)
    record, _ = service.create_pickup(request, config=service.rules_config(settings), session=session, ctx=ctx)
    return PickupOut.from_orm_obj(record)


@router.post(
    "/{pickup_id}/override",
    summary="Accept a refused request anyway, with a recorded reason (switchboard)",
    description="Some refusals cannot be overridden (e.g. hazardous products, a volume larger than every van, "
    "a Sunday): the answer names them. `overridden_by` is the signed-in account; `note` is kept beside the reason.",
)
def override(pickup_id: Id, body: OverrideIn, session: SessionDep,
             user: Annotated[StaffUser, require(Role.SWITCHBOARD, Role.COORDINATOR)]) -> PickupOut:
    # Who overrides is the signed-in account; what the client typed (note, the old "by") stays as a note.
    notes = [n.strip() for n in (body.note, body.by) if n and n.strip()]
    record = service.override_refusal(pickup_id, by=user.username, reason=body.reason, session=session,
                                      note=" / ".join(notes) or None)
    return PickupOut.from_orm_obj(record)


@router.get("", summary="List home-pickup requests")
def list_pickups(
    session: SessionDep,
    date: dt.date | None = None,
    status: PickupStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    phone: Annotated[str | None, Query(min_length=6, max_length=40, pattern=r"^[0-9+ ().-]+$",
                                       description="a caller's previous requests, newest first")] = None,
) -> list[PickupOut]:
    if phone is not None:
        return [PickupOut.from_orm_obj(p) for p in pickup_changes.previous_requests(phone, session=session,
                                                                                   limit=limit)]
    items = service.list_pickups(session=session, date=date, status=status, limit=limit, offset=offset)
    return [PickupOut.from_orm_obj(p) for p in items]


@router.get("/{pickup_id}", summary="One home-pickup request and its status")
def get_pickup(pickup_id: Id, session: SessionDep) -> PickupOut:
    return PickupOut.from_orm_obj(service.get_pickup(pickup_id, session=session))


# --- Pickup lifecycle: history, donor tracking, slot offers (dispatch/fleet/pickup_lifecycle.py, dispatch/pickups/slots.py) ---


@router.get("/{pickup_id}/events", summary="A request's history: requested, accepted, scheduled, missed...")
def pickup_events(pickup_id: Id, session: SessionDep) -> list[PickupEventOut]:
    service.get_pickup(pickup_id, session=session)
    return [PickupEventOut(at=e.at, status=e.status.value, date=e.date, slot=e.slot.value if e.slot else None,
                           detail=e.detail) for e in pickup_lifecycle.pickup_history(pickup_id, session=session)]


tracking = APIRouter(prefix="/api/v1/pickups", tags=["home pickups"])


@tracking.get(
    "/track/{ref}", dependencies=[public(), rate_limited("public")],
    summary="A donor's view of a request: date, slot, status (French and English text)",
    description="Public. `phone_last4` must be the last 4 digits of the phone given with the request; wrong "
    "digits get the same 404 as an unknown reference. No name, address or phone is returned.",
)
def track(ref: Annotated[str, Path(min_length=1, max_length=40)], session: SessionDep, request: Request,
          phone_last4: Annotated[str, Query(pattern=r"^[0-9]{4}$")]) -> TrackingOut:
    limit_key(request, "track:" + ref.strip().upper())  # 4 digits are guessed per reference, from any address
    pu = pickup_lifecycle.find_for_tracking(ref, phone_last4, session=session)
    return TrackingOut(**pickup_lifecycle.tracking_view(pu, session=session))


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
    today = local_today(settings.timezone)
    offers = offer_slots(lat, lon, volume_m3, from_ or today, days, session=session, settings=settings,
                         network=network, today=today)
    return [SlotOfferOut(**vars(o)) for o in offers]


pages = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False)


@pages.get("/suivi", response_class=HTMLResponse, dependencies=[public()])
def tracking_page(request: Request) -> HTMLResponse:
    return render(request, "tracking.html", track=None, not_found=False, ref="")


CHANGEABLE = ("requested", "accepted", "scheduled", "missed")


def _move_offers(pu, *, session, settings, network) -> list[dict]:
    """The free slots of the next two weeks the donor may move to (rules and trial insertion)."""
    if pu.status.value not in CHANGEABLE:
        return []
    today = local_today(settings.timezone)
    try:
        offers = offer_slots(pu.lat, pu.lon, pu.volume_m3, today, 14, session=session, settings=settings,
                             network=network, today=today, site=pu)
    except DispatchError as exc:  # handled: logged; the page offers no other slot
        log.info("no slots offered to move %s: %s", pu.ref, exc.message)
        return []
    return [{"value": f"{o.date.isoformat()}|{o.slot}", "date": o.date, "slot": o.slot} for o in offers
            if o.available and (o.date, o.slot) != (pu.date, pu.slot.value)][:12]


def _tracking(request: Request, pu, *, session, settings, network, tel: str, message: str | None = None,
              error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "tracking.html", status_code=status_code, track=pickup_lifecycle.tracking_view(pu, session=session),
                  not_found=False, ref=pu.ref, tel=tel, changeable=pu.status.value in CHANGEABLE,
                  offers=_move_offers(pu, session=session, settings=settings, network=network),
                  message=message, error=error)


def _not_found(request: Request, ref: str) -> HTMLResponse:
    return render(request, "tracking.html", status_code=404, track=None, not_found=True, ref=ref.strip()[:40])


@pages.post("/suivi", response_class=HTMLResponse, dependencies=[public(), rate_limited("public")])
def tracking_lookup(request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep,
                    ref: Annotated[str, Form(max_length=40)] = "",
                    tel: Annotated[str, Form(max_length=10)] = "") -> HTMLResponse:
    limit_key(request, "track:" + ref.strip().upper())
    try:
        pu = pickup_lifecycle.find_for_tracking(ref, tel, session=session)
    except NotFound:  # handled: answered: the tracking page's 404
        return _not_found(request, ref)
    return _tracking(request, pu, session=session, settings=settings, network=network, tel=tel)


# What the donor's change gives the tracking page: (message, None) when it was made, (None, error) when not (422).
_Outcome = tuple[str | None, str | None]


def _donor_change(request: Request, ref: str, tel: str, change: Callable[[Any, str], _Outcome], *, session,
                  settings, network) -> HTMLResponse:
    """What the donor's cancel and move on /suivi share: the request found by reference and phone (else the
    tracking page's 404), ``change(the pickup request, page language)`` made, and the tracking page saying how it went."""
    try:
        pu = pickup_lifecycle.find_for_tracking(ref, tel, session=session)
    except NotFound:  # handled: answered: the tracking page's 404
        return _not_found(request, ref)
    message, error = change(pu, page_lang(request))
    return _tracking(request, pu, session=session, settings=settings, network=network, tel=tel, message=message,
                     error=error, status_code=200 if error is None else 422)


@pages.post("/suivi/annuler", response_class=HTMLResponse, dependencies=[public(), rate_limited("public")])
def tracking_cancel(request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep,
                    ref: Annotated[str, Form(max_length=40)] = "", tel: Annotated[str, Form(max_length=10)] = "",
                    confirm: Annotated[str, Form(max_length=10)] = "") -> HTMLResponse:
    """The donor cancels, after ticking the confirmation box (a cancellation is not undone by a click)."""
    def cancel(pu, lang: str) -> _Outcome:
        if confirm != "oui":
            return None, i18n.text("track_cancel_unconfirmed", lang)
        pickup_changes.cancel_pickup(pu, settings, network, session=session, actor="donor (suivi)")
        return i18n.text("track_cancelled_ok", lang), None

    return _donor_change(request, ref, tel, cancel, session=session, settings=settings, network=network)


@pages.post("/suivi/deplacer", response_class=HTMLResponse, dependencies=[public(), rate_limited("public")])
def tracking_move(request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep,
                  ref: Annotated[str, Form(max_length=40)] = "", tel: Annotated[str, Form(max_length=10)] = "",
                  creneau: Annotated[str, Form(max_length=30)] = "") -> HTMLResponse:
    def move(pu, lang: str) -> _Outcome:
        try:
            day, slot = dt.date.fromisoformat(creneau.split("|")[0]), creneau.split("|")[1]
        except (ValueError, IndexError):  # handled: answered: a 422 page saying the slot is not valid
            return None, i18n.text("track_move_invalid", lang)
        try:
            with session.begin_nested():  # a refusal leaves the request exactly as it was
                pickup_changes.reschedule_pickup(pu, day, slot, settings, network, session=session,
                                                 actor="donor (suivi)", today=local_today(settings.timezone), lang=lang)
        except DispatchError as exc:
            session.refresh(pu)
            return None, exc.message
        return i18n.text("track_moved_ok", lang), None

    return _donor_change(request, ref, tel, move, session=session, settings=settings, network=network)


# --- Cancel and move (dispatch/pickup_changes.py), donor messages (dispatch/messages/) ---


def _change_out(pu, plans: list[int]) -> ChangeOut:
    return ChangeOut(ref=pu.ref, status=pu.status.value, date=pu.date, slot=pu.slot.value, plans_changed=plans)


@router.post(
    "/{pickup_id}/cancel", summary="Cancel a request: its slot is freed, its visit leaves the day's plans",
    description="The visit leaves the day's draft (its round re-timed) and published plan (the crew's sheet "
    "loses the stop), each with a recorded plan change; the request's history and the donor's message say so. "
    "A request collected, refused or already cancelled, or a visit the crew already reported at, is a 409.",
)
def cancel(pickup_id: Id, body: CancelIn, session: SessionDep, settings: SettingsDep, network: NetworkDep,
           user: Annotated[StaffUser, require(Role.SWITCHBOARD, Role.COORDINATOR)]) -> ChangeOut:
    pu = service.get_pickup(pickup_id, session=session)
    plans = pickup_changes.cancel_pickup(pu, settings, network, session=session, actor=user.username,
                                         reason=body.reason)
    return _change_out(pu, plans)


@router.post(
    "/{pickup_id}/reschedule", summary="Move a request to another date and slot, checked by the rules again",
    description="The collection rules and the trial insertion into that day's plan decide, not counting the "
    "request itself; a refusal (422) lists every reason and the slots that are free. Else the visit leaves the "
    "old day's plans (with plan changes) and the request is accepted on the new date.",
)
def reschedule(pickup_id: Id, body: RescheduleIn, session: SessionDep, settings: SettingsDep, network: NetworkDep,
               user: Annotated[StaffUser, require(Role.SWITCHBOARD, Role.COORDINATOR)]) -> ChangeOut:
    pu = service.get_pickup(pickup_id, session=session)
    plans = pickup_changes.reschedule_pickup(pu, body.date, body.slot, settings, network, session=session,
                                             actor=user.username, today=local_today(settings.timezone),
                                             reason=body.reason)
    return _change_out(pu, plans)


@router.get("/{pickup_id}/messages", summary="The messages sent (or waiting) to the request's donor")
def pickup_messages(pickup_id: Id, session: SessionDep) -> list[DonorMessageOut]:
    service.get_pickup(pickup_id, session=session)
    return [DonorMessageOut(kind=m.kind, channel=m.channel, status=m.status.value, attempts=m.attempts, lang=m.lang,
                            subject=m.subject, created_at=m.created_at, sent_at=m.sent_at, last_error=m.last_error)
            for m in outbox.messages_of(pickup_id, session=session)]


@tracking.post(
    "/track/{ref}/cancel", dependencies=[public(), rate_limited("public")],
    summary="The donor cancels their request (reference and the phone's last 4 digits)",
)
def donor_cancel(ref: Annotated[str, Path(min_length=1, max_length=40)], body: DonorCancelIn,
                 session: SessionDep, settings: SettingsDep, network: NetworkDep) -> TrackingOut:
    pu = pickup_lifecycle.find_for_tracking(ref, body.phone_last4, session=session)
    pickup_changes.cancel_pickup(pu, settings, network, session=session, actor="donor", reason=body.reason)
    return TrackingOut(**pickup_lifecycle.tracking_view(pu, session=session))


@tracking.post(
    "/track/{ref}/reschedule", dependencies=[public(), rate_limited("public")],
    summary="The donor moves their request to another slot (checked by the rules and the day's plan)",
)
def donor_reschedule(ref: Annotated[str, Path(min_length=1, max_length=40)], body: DonorRescheduleIn,
                     session: SessionDep, settings: SettingsDep, network: NetworkDep) -> TrackingOut:
    pu = pickup_lifecycle.find_for_tracking(ref, body.phone_last4, session=session)
    pickup_changes.reschedule_pickup(pu, body.date, body.slot, settings, network, session=session, actor="donor",
                                     today=local_today(settings.timezone), reason=body.reason)
    return TrackingOut(**pickup_lifecycle.tracking_view(pu, session=session))
