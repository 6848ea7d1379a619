"""Data retention: donors' personal details are anonymised once their pickup is old enough.

A pickup request whose date is more than ``days`` days ago keeps what the statistics need (date, slot, volume,
categories, status, postcode, a position rounded to about 100 m) and loses the rest: the name becomes
"anonymised", the phone, access code and notes are cleared, the address is reduced to the postcode. Crew notes
on stop events older than that (recorded before the cutoff, or on a plan dated before it) are cleared too, with
those of crew updates held for the coordinator (``HeldUpdate``), and so
are the texts that may quote a donor or a crew: the pickup's ``status_reason`` and history details
(``PickupEvent.detail``, which copy the crew's note of a missed visit) and the detail of its unassigned visits
(``UnassignedVisit.detail``, replaced by a fixed text). :func:`anonymise_pickups` does the same for chosen
pickups (a donor's erasure, dispatch/access/donors.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from dispatch.models import DonorMessage, HeldUpdate, PickupEvent, PickupRequest, Plan, Round, Stop, StopEvent, UnassignedVisit

ANONYMISED = "anonymised"
ERASED_DETAIL = "details removed (data retention)"
COORD_DECIMALS = 3  # 0.001° ≈ 111 m of latitude, 73 m of longitude in Paris


@dataclass(frozen=True)
class RetentionResult:
    cutoff: dt.date
    pickups: int
    stop_event_notes: int
    dry_run: bool


def _needs_anonymising(p: PickupRequest) -> bool:
    return (p.donor_name != ANONYMISED or bool(p.phone) or p.access_code is not None or p.notes is not None
            or p.email is not None
            or p.address != p.postcode or round(p.lat, COORD_DECIMALS) != p.lat
            or round(p.lon, COORD_DECIMALS) != p.lon or p.status_reason is not None)


def anonymise_pickups(pickups: list[PickupRequest], *, session: Session) -> int:
    """Remove the personal details of ``pickups`` and every text that may quote them; returns how many texts
    besides the pickups themselves were cleared (history details, unassigned details, crew notes)."""
    ids = [p.id for p in pickups]
    for p in pickups:
        p.donor_name = ANONYMISED
        p.phone = ""
        p.access_code = None
        p.notes = None
        p.email = None  # and the addresses its donor messages went to
        session.execute(update(DonorMessage).where(DonorMessage.pickup_request_id == p.id).values(recipient=""))
        p.address = p.postcode
        p.lat = round(p.lat, COORD_DECIMALS)
        p.lon = round(p.lon, COORD_DECIMALS)
        p.status_reason = None
    cleared = 0
    for start in range(0, len(ids), 500):  # bounded IN lists (SQLite's limit on bound parameters)
        cleared += _clear_texts(ids[start:start + 500], session=session)
    session.flush()
    return cleared


def _clear_texts(ids: list[int], *, session: Session) -> int:
    cleared = 0
    for e in session.scalars(select(PickupEvent).where(PickupEvent.pickup_request_id.in_(ids),
                                                       PickupEvent.detail.is_not(None))):
        e.detail, cleared = None, cleared + 1
    for u in session.scalars(select(UnassignedVisit).where(UnassignedVisit.pickup_request_id.in_(ids),
                                                           UnassignedVisit.detail != ERASED_DETAIL)):
        u.detail, cleared = ERASED_DETAIL, cleared + 1
    for e in session.scalars(select(StopEvent).join(Stop, StopEvent.stop_id == Stop.id)
                             .where(Stop.pickup_request_id.in_(ids), StopEvent.note.is_not(None))):
        e.note, cleared = None, cleared + 1
    return cleared


def anonymise_old_data(*, session: Session, days: int, today: dt.date, dry_run: bool = False) -> RetentionResult:
    """Anonymise pickups dated before ``today - days`` and clear older stop-event notes; counts what changed."""
    if days < 1:
        raise ValueError("days must be at least 1")
    cutoff = today - dt.timedelta(days=days)
    expired = list(session.scalars(select(PickupRequest).where(PickupRequest.date < cutoff)))
    pickups = [p for p in expired if _needs_anonymising(p)]
    cutoff_at = dt.datetime.combine(cutoff, dt.time())
    old_stops = select(Stop.id).join(Round, Stop.round_id == Round.id).join(Plan, Round.plan_id == Plan.id) \
        .where(Plan.date < cutoff)
    events = list(session.scalars(select(StopEvent).where(
        StopEvent.note.is_not(None), or_(StopEvent.recorded_at < cutoff_at, StopEvent.stop_id.in_(old_stops)))))
    old_rounds = select(Round.id).join(Plan, Round.plan_id == Plan.id).where(Plan.date < cutoff)
    held = list(session.scalars(select(HeldUpdate).where(
        HeldUpdate.note.is_not(None), or_(HeldUpdate.occurred_at < cutoff_at, HeldUpdate.round_id.in_(old_rounds)))))
    if not dry_run:
        for h in held:  # crew updates handed over for the coordinator: their notes go like the others
            h.note = None
        anonymise_pickups(expired, session=session)  # all: texts left by an older version are cleared too
        for e in events:
            e.note = None
        session.flush()
    return RetentionResult(cutoff=cutoff, pickups=len(pickups), stop_event_notes=len(events) + len(held),
                           dry_run=dry_run)
