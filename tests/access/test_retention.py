"""Donors' personal data is anonymised after the retention period; what statistics need is kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dispatch.models import PickupRequest, Slot, StopEvent, StopEventKind
from dispatch.access.retention import anonymise_old_data

TODAY = dt.date(2026, 12, 1)


def _pickup(session, ref: str, day: dt.date) -> PickupRequest:
    p = PickupRequest(ref=ref, donor_name="Mme Durand", phone="06 12 34 56 78",
                      address="12 rue de Belleville, 75020 Paris", postcode="75020", lat=48.872149, lon=2.377031,
                      volume_m3=3.5, categories=["books"], date=day, slot=Slot.MORNING, floor=3, has_lift=False,
                      access_code="4521B", notes="sonner deux fois")
    session.add(p)
    session.flush()
    return p


def test_old_pickups_are_anonymised_and_recent_ones_kept(session):
    old = _pickup(session, "OLD-1", TODAY - dt.timedelta(days=400))
    recent = _pickup(session, "NEW-1", TODAY - dt.timedelta(days=30))
    dry = anonymise_old_data(session=session, days=365, today=TODAY, dry_run=True)
    assert (dry.pickups, dry.dry_run, dry.cutoff) == (1, True, TODAY - dt.timedelta(days=365))
    assert old.donor_name == "Mme Durand"
    result = anonymise_old_data(session=session, days=365, today=TODAY)
    assert result.pickups == 1
    session.expire_all()
    old, recent = session.get(PickupRequest, old.id), session.get(PickupRequest, recent.id)
    assert (old.donor_name, old.phone, old.access_code, old.notes, old.address) == ("anonymised", "", None, None,
                                                                                    "75020")
    assert (old.lat, old.lon) == (48.872, 2.377)  # about 100 m
    assert (old.volume_m3, old.categories, old.date) == (3.5, ["books"], TODAY - dt.timedelta(days=400))
    assert recent.donor_name == "Mme Durand" and recent.phone and recent.access_code == "4521B"
    assert anonymise_old_data(session=session, days=365, today=TODAY).pickups == 0  # idempotent
    assert anonymise_old_data(session=session, days=20, today=TODAY).pickups == 1
    names = set(session.scalars(select(PickupRequest.donor_name)))
    assert names == {"anonymised"}


def test_old_stop_event_notes_are_cleared(session):
    from tests.pages.plan_data import build_plan
    from dispatch.demo import seed_demo

    seed_demo(TODAY, session=session)
    plan = build_plan(session)
    stop = plan.rounds[0].stops[0]
    old = StopEvent(stop_id=stop.id, kind=StopEventKind.ARRIVED, idempotency_key="old-event-1", note="code porte 1234",
                    recorded_at=dt.datetime(2025, 1, 2, 9, 0))
    new = StopEvent(stop_id=stop.id, kind=StopEventKind.ARRIVED, idempotency_key="new-event-1", note="gardien absent",
                    recorded_at=dt.datetime(2026, 11, 30, 9, 0))
    session.add_all([old, new])
    session.flush()
    result = anonymise_old_data(session=session, days=365, today=TODAY)
    assert result.stop_event_notes == 1
    assert old.note is None and new.note == "gardien absent"
