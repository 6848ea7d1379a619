"""Cancelling a home pickup or moving it to another slot (switchboard staff, or the donor from /suivi).

* :func:`cancel_pickup`: the request becomes ``cancelled``; its slot is free again (only accepted and
  scheduled requests count in the rules' capacities); its visit leaves the day's plans — a draft's round is
  re-timed, a published round loses the stop on the crew's sheet — each with a recorded plan change.
* :func:`reschedule_pickup`: the collection rules are checked again for the new (date, slot), with trial
  insertion into that day's plan (dispatch/pickups/slots.py), not counting the request itself; if they refuse, nothing
  changes and every reason is given. Else the visit leaves the old day's plans and the request is
  ``accepted`` on its new date (the coordinator's next plan or insertion places it).

Both write the pickup's history (PickupEvent) and queue the donor's message (dispatch/messages/). A request
already collected, refused or cancelled, or whose crew has already reported at the visit, cannot be changed
(Conflict). Services flush and never commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.fleet import pickup_lifecycle
from dispatch.pickups import requests as pickup_rules
from dispatch.pickups import rule_decision, rules
from dispatch.planning import editing
from dispatch.errors import Conflict, InvalidInput
from dispatch.messages import triggers as messages
from dispatch.models import PickupRequest, PickupStatus, Plan, Slot
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings
from dispatch.pickups.slots import with_trial_insertion

CHANGEABLE = (PickupStatus.REQUESTED, PickupStatus.ACCEPTED, PickupStatus.SCHEDULED, PickupStatus.MISSED)
MAX_REASON = 300


def _check_changeable(pu: PickupRequest, what: str) -> None:
    if pu.status not in CHANGEABLE:
        raise Conflict(f"pickup {pu.ref} is {pu.status.value}: it can no longer be {what}", field="pickup_id")


def _reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    return text[:MAX_REASON] or None


def _withdraw(pu: PickupRequest, settings: Settings, network: RoadNetwork, *, session: Session, actor: str,
              op: str, detail: dict) -> list[int]:
    """Take the pickup out of every plan of its current date; the ids of the plans changed."""
    changed = []
    plans = session.scalars(select(Plan).where(Plan.date == pu.date).order_by(Plan.id)).all()
    for plan in plans:
        locked = session.get(Plan, plan.id, with_for_update=True, populate_existing=True)
        if editing.withdraw_pickup(locked, pu.id, settings, network, session=session, actor=actor, op=op,
                                   detail={"ref": pu.ref, **detail}) is not None:
            changed.append(plan.id)
    return changed


def cancel_pickup(pu: PickupRequest, settings: Settings, network: RoadNetwork, *, session: Session, actor: str,
                  reason: str | None = None) -> list[int]:
    """Cancel the request; returns the ids of the plans it was taken out of."""
    _check_changeable(pu, "cancelled")
    why = _reason(reason)
    plans = _withdraw(pu, settings, network, session=session, actor=actor, op="cancel_pickup",
                      detail={"reason": why})
    pu.status = PickupStatus.CANCELLED
    pu.status_reason = f"cancelled by {actor}" + (f": {why}" if why else "")
    pickup_lifecycle.record_pickup_event(pu, session=session, detail=pu.status_reason)
    messages.pickup_cancelled(pu, session=session)
    session.flush()
    return plans


def reschedule_pickup(pu: PickupRequest, day: dt.date, slot: Slot | str, settings: Settings, network: RoadNetwork,
                      *, session: Session, actor: str, today: dt.date, lang: str = "en",
                      reason: str | None = None) -> list[int]:
    """Move the request to (``day``, ``slot``) if the rules and the day's plan allow it; returns the ids of
    the plans it was taken out of. A refusal raises InvalidInput listing every reason and what is free."""
    _check_changeable(pu, "moved")
    try:
        slot = Slot(getattr(slot, "value", slot))
    except ValueError:
        raise InvalidInput("slot must be morning or afternoon", field="slot") from None
    if (day, slot) == (pu.date, pu.slot) and pu.status is not PickupStatus.MISSED:
        raise InvalidInput(f"pickup {pu.ref} is already on {day.isoformat()} {slot.value}: choose another slot",
                           field="date")
    config = pickup_rules.rules_config(settings)
    ctx = pickup_rules.rule_context(session=session, settings=settings, network=network, today=today,
                                    exclude_id=pu.id)
    ctx = with_trial_insertion(ctx, pu.lat, pu.lon, pu.volume_m3, session=session, settings=settings,
                               network=network, site=pu)
    request = rule_decision.RuleRequest(volume_m3=pu.volume_m3, date=day, slot=slot.value, postcode=pu.postcode,
                                        lat=pu.lat, lon=pu.lon, categories=tuple(pu.categories or ()), phone=pu.phone,
                                        floor=pu.floor, has_lift=pu.has_lift, access_code=pu.access_code)
    decision = rules.evaluate(request, config, ctx)
    if not decision.accepted:
        free = ", ".join(f"{d.isoformat()} {s}" for d, s in decision.alternatives)
        raise InvalidInput(f"{day.isoformat()} {slot.value} is not possible: " + "; ".join(decision.messages(lang))
                           + (f" (free: {free})" if free else ""), field="date")
    old = (pu.date, pu.slot.value)
    why = _reason(reason)
    plans = _withdraw(pu, settings, network, session=session, actor=actor, op="reschedule_pickup",
                      detail={"to_date": day.isoformat(), "to_slot": slot.value, "reason": why})
    pu.date, pu.slot, pu.status = day, slot, PickupStatus.ACCEPTED
    pu.decision = decision.to_dict()
    pu.status_reason = (f"moved by {actor} from {old[0].isoformat()} {old[1]} to {day.isoformat()} {slot.value}"
                        + (f": {why}" if why else ""))
    pickup_lifecycle.record_pickup_event(pu, session=session, detail=pu.status_reason)
    messages.pickup_rescheduled(pu, session=session)
    session.flush()
    return plans


def previous_requests(phone: str, *, session: Session, limit: int = 20) -> list[PickupRequest]:
    """A caller's earlier requests, by phone number (digits compared, spaces and dots ignored)."""
    digits = "".join(c for c in phone or "" if c.isdigit())
    if len(digits) < 6:
        raise InvalidInput("give at least 6 digits of the phone number", field="phone")
    tail = digits[-9:]  # 06 12 34 56 78 and +33 6 12 34 56 78 end the same
    bare = PickupRequest.phone
    for sep in (" ", ".", "-", "(", ")"):
        bare = func.replace(bare, sep, "")
    return list(session.scalars(select(PickupRequest).where(bare.like(f"%{tail}"))
                                .order_by(PickupRequest.date.desc(), PickupRequest.id.desc()).limit(limit)).all())
