"""A donor's right of access and of erasure, found by their phone number (``dispatch donor export|erase PHONE``).

- :func:`find_pickups`: the pickup requests whose phone is the same number, whatever its spelling
  ("06 12 34 56 78", "+33 6 12 34 56 78", "0612345678" are one number: the last 9 digits are compared).
- :func:`export`: everything stored about those requests, as JSON-able data: the request's fields, its history
  (statuses and their details) and the crew's updates at its stops (with their notes).
- :func:`erase`: anonymises them as retention does (``dispatch.access.retention.anonymise_pickups``: name, phone,
  address, access code, notes, status reason, history details, unassigned details, crew notes).

Both write one audit entry naming the requests by reference (never the phone or the name). Services flush and
never commit.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import audit
from dispatch.errors import InvalidInput, NotFound
from dispatch.models import PickupEvent, PickupRequest, Stop, StopEvent
from dispatch.access.retention import anonymise_pickups

SIGNIFICANT_DIGITS = 9  # a French number without its leading 0 or +33


def phone_key(phone: str) -> str:
    """The digits that identify a number; InvalidInput when ``phone`` cannot be one."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < SIGNIFICANT_DIGITS:
        raise InvalidInput(f"{phone!r} is not a phone number: give the donor's number as they gave it, "
                           "e.g. 06 12 34 56 78 or +33 6 12 34 56 78", field="phone")
    return digits[-SIGNIFICANT_DIGITS:]


def find_pickups(phone: str, *, session: Session) -> list[PickupRequest]:
    key = phone_key(phone)
    rows = session.execute(select(PickupRequest.id, PickupRequest.phone)
                           .where(PickupRequest.phone.like(f"%{key[-1]}"))).all()
    ids = [i for i, p in rows if re.sub(r"\D", "", p or "")[-SIGNIFICANT_DIGITS:] == key]
    if not ids:
        raise NotFound("no pickup request has this phone number (already erased, or given with another number)",
                       field="phone")
    return list(session.scalars(select(PickupRequest).where(PickupRequest.id.in_(ids)).order_by(PickupRequest.id)))


def _when(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def _pickup_record(p: PickupRequest, *, session: Session) -> dict[str, Any]:
    history = session.scalars(select(PickupEvent).where(PickupEvent.pickup_request_id == p.id)
                              .order_by(PickupEvent.at, PickupEvent.id))
    updates = session.scalars(select(StopEvent).join(Stop, StopEvent.stop_id == Stop.id)
                              .where(Stop.pickup_request_id == p.id).order_by(StopEvent.recorded_at))
    return {
        "ref": p.ref, "donor_name": p.donor_name, "phone": p.phone, "address": p.address, "postcode": p.postcode,
        "lat": p.lat, "lon": p.lon, "volume_m3": p.volume_m3, "categories": list(p.categories or []),
        "date": _when(p.date), "slot": p.slot.value, "floor": p.floor, "has_lift": p.has_lift,
        "access_code": p.access_code, "notes": p.notes, "status": p.status.value, "status_reason": p.status_reason,
        "created_at": _when(p.created_at),
        "history": [{"at": _when(e.at), "status": e.status.value, "date": _when(e.date),
                     "slot": e.slot.value if e.slot else None, "detail": e.detail} for e in history],
        "crew_updates": [{"at": _when(e.recorded_at), "kind": e.kind.value, "reason": e.reason, "note": e.note,
                          "collected_m3": e.collected_m3} for e in updates],
    }


def _audit(action: str, pickups: list[PickupRequest], actor: str, *, session: Session) -> None:
    audit.record(session=session, user_id=None, username=actor[:80], role="admin", method="CLI",
                 path=f"dispatch donor {action}", status_code=200, entity="pickup_request",
                 detail={"action": action, "refs": [p.ref for p in pickups], "count": len(pickups)})


def export(phone: str, *, session: Session, actor: str) -> dict[str, Any]:
    """Everything stored about the donor with this phone number (right of access)."""
    pickups = find_pickups(phone, session=session)
    _audit("export", pickups, actor, session=session)
    return {"pickup_requests": [_pickup_record(p, session=session) for p in pickups]}


def erase(phone: str, *, session: Session, actor: str) -> list[str]:
    """Anonymise every request of the donor with this phone number (right of erasure); their references."""
    pickups = find_pickups(phone, session=session)
    refs = [p.ref for p in pickups]
    anonymise_pickups(pickups, session=session)
    _audit("erase", pickups, actor, session=session)
    session.flush()
    return refs
