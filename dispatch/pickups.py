"""Home-pickup requests: the collection rules and the request record.

A request that the rules refuse is still stored (status ``refused`` with every
reason), so nothing a donor or the switchboard entered is lost.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import NotFound
from dispatch.models import PickupRequest, PickupStatus, Slot, Van
from dispatch.workdays import why_not_collection_day

ACCEPTED_CATEGORIES = frozenset(
    {"furniture", "textile", "books", "dishes", "toys", "small_appliances", "decor", "linen", "sports", "music"}
)
REFUSED_CATEGORIES = {
    "mattress": "mattresses are not accepted (hygiene)",
    "large_appliance": "large appliances (fridges, washing machines) are not accepted",
    "rubble": "building rubble is not accepted",
    "hazardous": "hazardous products (paint, solvents, batteries) are not accepted",
}

SLOT_WINDOWS_S = {Slot.MORNING: (8 * 3600, 12 * 3600), Slot.AFTERNOON: (13 * 3600, 16 * 3600)}


@dataclass(frozen=True)
class PickupInput:
    donor_name: str
    phone: str
    address: str
    postcode: str
    lat: float
    lon: float
    volume_m3: float
    date: dt.date
    slot: Slot
    categories: tuple[str, ...] = ()
    floor: int | None = None
    has_lift: bool | None = None
    access_code: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class RuleContext:
    today: dt.date
    min_volume_m3: float
    largest_van_m3: float
    in_served_area: Callable[[float, float], bool]


@dataclass
class Decision:
    accepted: bool
    reasons: list[str] = field(default_factory=list)
    # One stable code per reason, same order (for translations: dispatch.i18n.pickup_reason).
    # A refused or unknown category is "category_refused:<category>" / "category_unknown:<category>".
    codes: list[str] = field(default_factory=list)


def evaluate(request: PickupInput, ctx: RuleContext) -> Decision:
    """Apply every collection rule; return all the reasons for a refusal, not just the first."""
    reasons: list[str] = []
    codes: list[str] = []
    if request.volume_m3 < ctx.min_volume_m3:
        codes.append("volume_below_minimum")
        reasons.append(
            f"volume {request.volume_m3:g} m³ is below the {ctx.min_volume_m3:g} m³ minimum for a home pickup: "
            "please bring it to the nearest relay point"
        )
    if request.volume_m3 > ctx.largest_van_m3:
        codes.append("volume_above_van")
        reasons.append(
            f"volume {request.volume_m3:g} m³ exceeds our largest van ({ctx.largest_van_m3:g} m³): "
            "split the donation into several requests"
        )
    for category in request.categories:
        if category in REFUSED_CATEGORIES:
            codes.append(f"category_refused:{category}")
            reasons.append(REFUSED_CATEGORIES[category])
        elif category not in ACCEPTED_CATEGORIES:
            codes.append(f"category_unknown:{category}")
            reasons.append(
                f"unknown category {category!r}; accepted: {', '.join(sorted(ACCEPTED_CATEGORIES))}"
            )
    if request.date <= ctx.today:
        codes.append("date_not_after_today")
        reasons.append(f"date {request.date.isoformat()} is not after today ({ctx.today.isoformat()})")
    not_a_day = why_not_collection_day(request.date)
    if not_a_day:
        codes.append("date_not_collection_day")
        reasons.append(not_a_day)
    if not ctx.in_served_area(request.lat, request.lon):
        codes.append("outside_area")
        reasons.append(f"({request.lat:.5f}, {request.lon:.5f}) is outside the served area (Paris)")
    return Decision(accepted=not reasons, reasons=reasons, codes=codes)


def _new_ref(session: Session) -> str:
    while True:
        ref = "PU-" + secrets.token_hex(4).upper()
        if session.scalar(select(PickupRequest.id).where(PickupRequest.ref == ref)) is None:
            return ref


def largest_van_m3(*, session: Session) -> float:
    capacities = session.scalars(select(Van.capacity_m3).where(Van.active.is_(True))).all()
    return max(capacities, default=0.0)


def create_pickup(request: PickupInput, ctx: RuleContext, *, session: Session, ref: str | None = None) -> PickupRequest:
    decision = evaluate(request, ctx)
    record = PickupRequest(
        ref=ref or _new_ref(session),
        donor_name=request.donor_name,
        phone=request.phone,
        address=request.address,
        postcode=request.postcode,
        lat=request.lat,
        lon=request.lon,
        volume_m3=request.volume_m3,
        categories=list(request.categories),
        date=request.date,
        slot=request.slot,
        floor=request.floor,
        has_lift=request.has_lift,
        access_code=request.access_code,
        notes=request.notes,
        status=PickupStatus.ACCEPTED if decision.accepted else PickupStatus.REFUSED,
        status_reason="; ".join(decision.reasons) or None,
    )
    session.add(record)
    session.flush()
    return record


def get_pickup(pickup_id: int, *, session: Session) -> PickupRequest:
    record = session.get(PickupRequest, pickup_id)
    if record is None:
        raise NotFound(f"pickup request {pickup_id} does not exist", field="pickup_id")
    return record


def list_pickups(
    *, session: Session, date: dt.date | None = None, status: PickupStatus | None = None, limit: int = 100, offset: int = 0
) -> list[PickupRequest]:
    query = select(PickupRequest)
    if date is not None:
        query = query.where(PickupRequest.date == date)
    if status is not None:
        query = query.where(PickupRequest.status == status)
    return list(session.scalars(query.order_by(PickupRequest.id).limit(limit).offset(offset)).all())
