"""Data retention: donors' personal details are anonymised once their pickup is old enough.

A pickup request whose date is more than ``days`` days ago keeps what the statistics need (date, slot, volume,
categories, status, postcode, a position rounded to about 100 m) and loses the rest: the name becomes
"anonymised", the phone, access code and notes are cleared, the address is reduced to the postcode. Crew notes
on stop events older than that are cleared too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from dispatch.models import DonorMessage, PickupRequest, StopEvent

ANONYMISED = "anonymised"
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
            or round(p.lon, COORD_DECIMALS) != p.lon)


def anonymise_old_data(*, session: Session, days: int, today: dt.date, dry_run: bool = False) -> RetentionResult:
    """Anonymise pickups dated before ``today - days`` and clear older stop-event notes; counts what changed."""
    if days < 1:
        raise ValueError("days must be at least 1")
    cutoff = today - dt.timedelta(days=days)
    pickups = [p for p in session.scalars(select(PickupRequest).where(PickupRequest.date < cutoff))
               if _needs_anonymising(p)]
    cutoff_at = dt.datetime.combine(cutoff, dt.time())
    events = list(session.scalars(select(StopEvent).where(StopEvent.recorded_at < cutoff_at,
                                                          or_(StopEvent.note.is_not(None)))))
    if not dry_run:
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
        for e in events:
            e.note = None
        session.flush()
    return RetentionResult(cutoff=cutoff, pickups=len(pickups), stop_event_notes=len(events), dry_run=dry_run)
