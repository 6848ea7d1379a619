"""The life of a home pickup: its events (requested, accepted, scheduled, collected, missed...),
re-scheduling after a missed visit on the next collection day with room, and the donor's tracking view
(reference and the phone's last 4 digits; no personal data shown). Services take ``*, session``, flush and
never commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import NotFound
from dispatch.models import PickupEvent, PickupRequest, PickupStatus, Plan, PlanStatus, Slot, utcnow
from dispatch.workdays import is_collection_day


RESCHEDULE_SEARCH_DAYS = 30


STATUS_TEXT = {
    "requested": {"fr": "Demande reçue, en cours d'examen.", "en": "Request received, being reviewed."},
    "accepted": {"fr": "Demande acceptée : enlèvement prévu le {date}, {slot}.",
                 "en": "Request accepted: pickup planned on {date}, {slot}."},
    "rescheduled": {"fr": "Nous n'avons pas pu passer ; nouvel enlèvement prévu le {date}, {slot}.",
                    "en": "We could not collect your donation; new pickup planned on {date}, {slot}."},
    "refused": {"fr": "Nous ne pouvons pas accepter cette demande.", "en": "We cannot accept this request."},
    "scheduled": {"fr": "Enlèvement confirmé dans une tournée le {date}, {slot}.",
                  "en": "Pickup confirmed in a round on {date}, {slot}."},
    "collected": {"fr": "Dons collectés. Merci !", "en": "Donation collected. Thank you!"},
    "missed": {"fr": "Nous n'avons pas pu passer ; nous allons vous recontacter.",
               "en": "We could not collect your donation; we will contact you."},
    "cancelled": {"fr": "Enlèvement annulé.", "en": "Pickup cancelled."},
}


_SLOT_WORDS = {"morning": {"fr": "le matin ({})", "en": "in the morning ({})"},
               "afternoon": {"fr": "l'après-midi ({})", "en": "in the afternoon ({})"}}


def slot_text(slot: str | None, lang: str) -> str:
    """"le matin (8 h – 12 h)": the hours from the one table of slots (``models.SLOT_WINDOWS_S``)."""
    from dispatch.documents import slot_hours

    if slot not in _SLOT_WORDS:
        return slot or ""
    return _SLOT_WORDS[slot][lang].format(slot_hours(slot, lang))


def status_text(status: str, day: dt.date | None, slot: str | None, lang: str, *, rescheduled: bool = False) -> str:
    from dispatch.documents import format_date

    key = "rescheduled" if rescheduled and status == "accepted" else status
    template = STATUS_TEXT[key][lang]
    return template.format(date=format_date(day, lang) if day else "?",
                           slot=slot_text(slot, lang))


def record_pickup_event(pu: PickupRequest, *, session: Session, detail: str | None = None,
                        at: dt.datetime | None = None, dedupe: bool = False) -> PickupEvent | None:
    """Append the pickup's current status (and date, slot) to its history. With ``dedupe``, nothing is
    added when the last event already says the same (re-planning a draft does not repeat "scheduled")."""
    if dedupe:
        last = session.scalars(select(PickupEvent).where(PickupEvent.pickup_request_id == pu.id)
                               .order_by(PickupEvent.id.desc())).first()
        if last is not None and last.status is pu.status and last.date == pu.date and last.slot is pu.slot:
            return None
    event = PickupEvent(pickup_request_id=pu.id, at=at or utcnow(), status=pu.status, date=pu.date, slot=pu.slot,
                        detail=detail)
    session.add(event)
    session.flush()
    return event


def pickup_history(pickup_id: int, *, session: Session) -> list[PickupEvent]:
    return list(session.scalars(select(PickupEvent).where(PickupEvent.pickup_request_id == pickup_id)
                                .order_by(PickupEvent.at, PickupEvent.id)).all())


def _published_days(start: dt.date, end: dt.date, *, session: Session) -> set[dt.date]:
    return set(session.scalars(select(Plan.date).where(Plan.date >= start, Plan.date <= end,
                                                       Plan.status == PlanStatus.PUBLISHED)).all())


def next_possible_slot(pu: PickupRequest, config, *, session: Session, after: dt.date
                       ) -> tuple[dt.date, Slot] | None:
    """The first collection day after ``after`` with room (the rules' daily and per-slot capacity, counting
    accepted and scheduled pickups) and no published plan yet; the same slot if it has room, else the other."""
    from dispatch.pickups import booked_slots

    last = after + dt.timedelta(days=RESCHEDULE_SEARCH_DAYS)
    booked = booked_slots(session=session, start=after, end=last, exclude_id=pu.id)
    frozen = _published_days(after, last, session=session)
    order = [pu.slot] + [s for s in Slot if s is not pu.slot]
    day = after + dt.timedelta(days=1)
    while day <= last:
        if is_collection_day(day) and day not in frozen:
            per_day = sum(n for (d, _), n in booked.items() if d == day)
            if per_day < config.daily_capacity:
                for slot in order:
                    if booked.get((day, slot.value), 0) < config.slot_capacity[slot.value]:
                        return day, slot
        day += dt.timedelta(days=1)
    return None


def pickup_missed(pu: PickupRequest, *, session: Session, config=None, reason: str | None = None) -> PickupRequest:
    """A crew missed a home pickup (already set to ``missed``): record it, then re-schedule it on the next
    possible collection day (see :func:`next_possible_slot`); the request goes back to ``accepted`` with its
    new date and slot. With no room within 30 days it stays ``missed`` for the switchboard to call the donor."""
    if config is None:
        from dispatch.pickups import rules_config
        from dispatch.settings import get_settings

        config = rules_config(get_settings())
    missed_day = pu.date
    record_pickup_event(pu, session=session, detail=pu.status_reason or (f"missed: {reason}" if reason else "missed"))
    found = next_possible_slot(pu, config, session=session, after=missed_day)
    if found is None:
        pu.status_reason = (f"missed on {missed_day.isoformat()}; no free slot in the next {RESCHEDULE_SEARCH_DAYS} "
                            "days: call the donor")
        record_pickup_event(pu, session=session, detail=pu.status_reason)
        return pu
    day, slot = found
    pu.date, pu.slot, pu.status = day, slot, PickupStatus.ACCEPTED
    pu.reschedule_count = (pu.reschedule_count or 0) + 1
    pu.status_reason = (f"rescheduled after the missed visit of {missed_day.isoformat()}"
                        + (f" ({reason})" if reason else "") + f": {day.isoformat()} {slot.value}")
    record_pickup_event(pu, session=session, detail=pu.status_reason)
    session.flush()
    return pu


def _last4(phone: str) -> str:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return digits[-4:]


def find_for_tracking(ref: str, phone_last4: str, *, session: Session) -> PickupRequest:
    """The request with this reference whose phone ends with these 4 digits. An unknown reference and
    wrong digits give the same NotFound, so the endpoint reveals nothing about which references exist."""
    ref = (ref or "").strip().upper()
    digits = (phone_last4 or "").strip()
    pu = session.scalars(select(PickupRequest).where(PickupRequest.ref == ref)).first() if ref else None
    if pu is None or len(digits) != 4 or not digits.isdigit() or _last4(pu.phone) != digits:
        raise NotFound("no pickup request with this reference and these phone digits", field="ref")
    return pu


def tracking_view(pu: PickupRequest, *, session: Session) -> dict:
    """What a donor may see: reference, date, slot, status and its French and English text, the history
    of statuses (no names, addresses, phones or notes)."""
    rescheduled = (pu.reschedule_count or 0) > 0
    history = [
        {"at": e.at, "status": e.status.value, "date": e.date, "slot": e.slot.value if e.slot else None,
         "text_fr": status_text(e.status.value, e.date, e.slot.value if e.slot else None, "fr"),
         "text_en": status_text(e.status.value, e.date, e.slot.value if e.slot else None, "en")}
        for e in pickup_history(pu.id, session=session)
    ]
    return {
        "ref": pu.ref, "date": pu.date, "slot": pu.slot.value, "status": pu.status.value,
        "rescheduled": rescheduled,
        "status_text_fr": status_text(pu.status.value, pu.date, pu.slot.value, "fr", rescheduled=rescheduled),
        "status_text_en": status_text(pu.status.value, pu.date, pu.slot.value, "en", rescheduled=rescheduled),
        "history": history,
    }
