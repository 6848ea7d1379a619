"""Home-pickup requests: applying the collection rules (:mod:`dispatch.pickups.rules`) and the request record.

A request that the rules refuse is still stored (status ``refused`` with every reason and the
rules' decision), so nothing a donor or the switchboard entered is lost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.pickups import rule_decision, rules, rules_file
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import SLOT_WINDOWS_S, PickupEvent, PickupRequest, PickupStatus, Slot, Van  # noqa: F401 (SLOT_WINDOWS_S re-exported)
from dispatch.exchange import check_pickup_text, check_text
from dispatch.settings import Settings



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
    # Donor messages (dispatch/messages/): an e-mail address (optional), "fr" or "en", no message at all.
    email: str | None = None
    lang: str = "fr"
    messages_opt_out: bool = False


@lru_cache(maxsize=8)
def _load_rules(path: str | None) -> rules_file.RulesConfig:
    return rules_file.load_rules(Path(path) if path else None)


def rules_config(settings: Settings) -> rules_file.RulesConfig:
    """The association's collection rules (``DISPATCH_RULES_FILE``, default: the bundled JSON)."""
    return _load_rules(str(settings.rules_file) if settings.rules_file else None)


def booked_slots(*, session: Session, start: dt.date, end: dt.date, exclude_id: int | None = None) -> dict:
    """(date, slot) -> number of accepted or scheduled home pickups, for the rules' capacities."""
    query = (
        select(PickupRequest.date, PickupRequest.slot, func.count())
        .where(PickupRequest.date >= start, PickupRequest.date <= end)
        .where(PickupRequest.status.in_([PickupStatus.ACCEPTED, PickupStatus.SCHEDULED]))
        .group_by(PickupRequest.date, PickupRequest.slot)
    )
    if exclude_id is not None:
        query = query.where(PickupRequest.id != exclude_id)
    return {(day, slot.value): count for day, slot, count in session.execute(query).all()}


def rule_context(*, session: Session, settings: Settings, network, today: dt.date,
                 exclude_id: int | None = None) -> rule_decision.RuleContext:
    """What the rules need to know about today's state: booked slots, the fleet, the road network."""
    config = rules_config(settings)

    def on_network(lat: float, lon: float) -> bool:
        if not network.contains(lat, lon):
            return False
        try:
            network.snap("pickup", lat, lon, max_distance_m=settings.max_snap_distance_m)
        except InvalidInput:  # handled: not a valid value: the caller reports it
            return False
        return True

    return rule_decision.RuleContext(
        today=today,
        largest_van_m3=largest_van_m3(session=session),
        in_graph_area=on_network,
        booked=booked_slots(session=session, start=today, end=rules.latest_date(config, today),
                            exclude_id=exclude_id),
    )


def evaluate(request: PickupInput, *, config: rules_file.RulesConfig,
             ctx: rule_decision.RuleContext) -> rule_decision.RuleDecision:
    """Apply every collection rule; every reason of a refusal is returned, not just the first."""
    return rules.evaluate(rule_decision.RuleRequest.from_input(request), config, ctx)


def new_ref(session: Session) -> str:
    while True:
        ref = "PU-" + secrets.token_hex(4).upper()
        if session.scalar(select(PickupRequest.id).where(PickupRequest.ref == ref)) is None:
            return ref


def largest_van_m3(*, session: Session) -> float:
    capacities = session.scalars(select(Van.capacity_m3).where(Van.active.is_(True))).all()
    return max(capacities, default=0.0)


def create_pickup(
    request: PickupInput, *, config: rules_file.RulesConfig, ctx: rule_decision.RuleContext, session: Session,
    ref: str | None = None, channel: str | None = None, guard: list[rule_decision.RuleReason] | None = None,
) -> tuple[PickupRequest, rule_decision.RuleDecision]:
    """Store the request with the rules' decision: accepted, or refused with every reason. ``guard``: the
    online abuse guard's reasons (dispatch/access/booking_guard.py), added to the rules' ones."""
    check_pickup_text(request)
    decision = evaluate(request, config=config, ctx=ctx)
    if guard:
        decision = dataclasses.replace(decision, accepted=False, reasons=[*decision.reasons, *guard],
                                       alternatives=[])
    record = PickupRequest(
        channel=channel,
        ref=ref or new_ref(session),
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
        email=(request.email or "").strip() or None,
        lang=request.lang if request.lang in ("fr", "en") else "fr",
        messages_opt_out=bool(request.messages_opt_out),
        status=PickupStatus.ACCEPTED if decision.accepted else PickupStatus.REFUSED,
        status_reason=decision.summary("en"),
        decision=decision.to_dict(),
    )
    session.add(record)
    session.flush()
    # The request's history (dispatch/fleet/pickup_lifecycle.py): received, then the rules' decision.
    session.add(PickupEvent(pickup_request_id=record.id, status=PickupStatus.REQUESTED, date=record.date,
                            slot=record.slot, detail=None))
    session.add(PickupEvent(pickup_request_id=record.id, status=record.status, date=record.date, slot=record.slot,
                            detail=record.status_reason))
    session.flush()
    from dispatch.messages import triggers

    triggers.pickup_accepted(record, session=session)  # the confirmation, in the same transaction
    return record, decision


def decision_of(record: PickupRequest) -> rule_decision.RuleDecision | None:
    return rule_decision.RuleDecision.from_dict(record.decision) if record.decision else None


def override_refusal(pickup_id: int, *, by: str, reason: str, session: Session,
                     note: str | None = None) -> PickupRequest:
    """Switchboard staff accept a refused request anyway, with a recorded reason. ``by``: the signed-in
    account (never client text); ``note``: free text kept with the reason.

    Some refusals cannot be overridden (hazardous products, a van too small, a Sunday...): the error
    names them.
    """
    check_text("reason", reason, multiline=True)
    check_text("note", note)
    record = get_pickup(pickup_id, session=session)
    decision = decision_of(record)
    if record.status is not PickupStatus.REFUSED or decision is None:
        raise Conflict(f"pickup request {pickup_id} is {record.status.value}: only a refused request can be overridden")
    decision = rule_decision.override(decision, by=by, reason=reason)
    record.status = PickupStatus.ACCEPTED
    record.decision = decision.to_dict()
    record.overridden_by = by.strip()
    record.override_reason = reason.strip() + (f" (note: {note.strip()})" if note and note.strip() else "")
    session.add(PickupEvent(pickup_request_id=record.id, status=record.status, date=record.date, slot=record.slot,
                            detail=f"refusal overridden by {record.overridden_by}"))
    session.flush()
    from dispatch.messages import triggers

    triggers.pickup_accepted(record, session=session)
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
