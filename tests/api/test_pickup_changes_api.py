"""Cancel and move through the API (switchboard and coordinator roles) and by the donor (/suivi and its API)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dispatch.db import session_scope
from dispatch.models import PickupRequest
from dispatch.workdays import local_today, next_collection_day


def _first(engine) -> tuple[int, str, str, str]:
    with session_scope(engine) as s:
        pu = s.scalars(select(PickupRequest).order_by(PickupRequest.id)).first()
        return pu.id, pu.ref, "".join(c for c in pu.phone if c.isdigit())[-4:], pu.phone


def _future_day() -> dt.date:
    today = local_today("Europe/Paris")
    return next_collection_day(today + dt.timedelta(days=7))


def test_switchboard_cancels_then_a_second_cancel_is_a_conflict(client_as, db_engine):
    client = client_as("switchboard", "standard-amina")
    pid, ref, _, _ = _first(db_engine)
    done = client.post(f"/api/v1/pickup-requests/{pid}/cancel", json={"reason": "a vendu son armoire"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "cancelled" and done.json()["ref"] == ref
    events = client.get(f"/api/v1/pickup-requests/{pid}/events").json()
    assert events[-1]["status"] == "cancelled" and "standard-amina" in events[-1]["detail"]
    again = client.post(f"/api/v1/pickup-requests/{pid}/cancel", json={})
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert client.post(f"/api/v1/pickup-requests/{pid}/cancel", json={"oops": 1}).status_code == 422


def test_moving_checks_the_rules_and_anonymous_callers_are_refused(client_as, anon_client, db_engine):
    client = client_as("coordinator")
    pid, _, _, _ = _first(db_engine)
    assert anon_client.post(f"/api/v1/pickup-requests/{pid}/reschedule",
                            json={"date": "2027-01-04", "slot": "morning"}).status_code == 401
    sunday = _future_day()
    while sunday.weekday() != 6:
        sunday += dt.timedelta(days=1)
    refused = client.post(f"/api/v1/pickup-requests/{pid}/reschedule", json={"date": sunday.isoformat(),
                                                                             "slot": "morning"})
    assert refused.status_code == 422 and "is not possible" in refused.json()["detail"]
    day = _future_day()
    moved = client.post(f"/api/v1/pickup-requests/{pid}/reschedule",
                        json={"date": day.isoformat(), "slot": "afternoon", "reason": "absent le matin"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["date"] == day.isoformat() and moved.json()["status"] == "accepted"
    assert client.get(f"/api/v1/pickup-requests/{pid}").json()["slot"] == "afternoon"


def test_previous_requests_by_phone_number(client_as, db_engine):
    client = client_as("switchboard")
    pid, _, _, phone = _first(db_engine)
    digits = "".join(c for c in phone if c.isdigit())
    spaced = " ".join(digits[i:i + 2] for i in range(0, len(digits), 2))
    found = client.get("/api/v1/pickup-requests", params={"phone": spaced})
    assert found.status_code == 200 and pid in [p["id"] for p in found.json()]
    assert client.get("/api/v1/pickup-requests", params={"phone": "abc"}).status_code == 422


def test_the_donor_cancels_through_the_api_only_with_the_right_digits(anon_client, db_engine):
    _, ref, last4, _ = _first(db_engine)
    wrong = "0000" if last4 != "0000" else "1111"
    assert anon_client.post(f"/api/v1/pickups/track/{ref}/cancel", json={"phone_last4": wrong}).status_code == 404
    ok = anon_client.post(f"/api/v1/pickups/track/{ref}/cancel", json={"phone_last4": last4})
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    assert ok.json()["history"][-1]["text_fr"] == "Enlèvement annulé."


def test_the_donor_cancels_from_the_tracking_page_after_confirming(anon_client, db_engine):
    _, ref, last4, _ = _first(db_engine)
    page = anon_client.post("/suivi", data={"ref": ref, "tel": last4})
    assert page.status_code == 200 and 'id="cancel"' in page.text and 'id="move"' in page.text
    unconfirmed = anon_client.post("/suivi/annuler", data={"ref": ref, "tel": last4})
    assert unconfirmed.status_code == 422 and "Cochez « Je confirme" in unconfirmed.text
    with session_scope(db_engine) as s:
        assert s.scalars(select(PickupRequest).where(PickupRequest.ref == ref)).one().status.value == "accepted"
    done = anon_client.post("/suivi/annuler", data={"ref": ref, "tel": last4, "confirm": "oui"})
    assert done.status_code == 200 and "Votre enlèvement est annulé" in done.text
    assert 'data-status="cancelled"' in done.text and 'id="cancel"' not in done.text
    wrong = "0000" if last4 != "0000" else "1111"
    assert anon_client.post("/suivi/annuler", data={"ref": ref, "tel": wrong, "confirm": "oui"}).status_code == 404


def test_the_donor_moves_from_the_tracking_page_to_an_offered_slot(anon_client, db_engine):
    _, ref, last4, _ = _first(db_engine)
    page = anon_client.post("/suivi?lang=en", data={"ref": ref, "tel": last4})
    first_offer = page.text.split('<option value="')[1].split('"')[0]
    moved = anon_client.post("/suivi/deplacer?lang=en", data={"ref": ref, "tel": last4, "creneau": first_offer})
    assert moved.status_code == 200 and "Your pickup is moved." in moved.text
    day, slot = first_offer.split("|")
    with session_scope(db_engine) as s:
        pu = s.scalars(select(PickupRequest).where(PickupRequest.ref == ref)).one()
        assert (pu.date.isoformat(), pu.slot.value, pu.status.value) == (day, slot, "accepted")
    bad = anon_client.post("/suivi/deplacer", data={"ref": ref, "tel": last4, "creneau": "2026-13-40|x"})
    assert bad.status_code == 422 and "Choose a new slot in the list." not in bad.text  # French: no ?lang=en
    assert "Choisissez un nouveau créneau" in bad.text


def test_the_messages_of_a_request_are_listed_with_utc_times(client_as, db_engine):
    client = client_as("switchboard")
    pid, _, _, _ = _first(db_engine)
    client.post(f"/api/v1/pickup-requests/{pid}/cancel", json={})
    messages = client.get(f"/api/v1/pickup-requests/{pid}/messages")
    assert messages.status_code == 200
    sms = [m for m in messages.json() if m["kind"] == "cancelled"]
    assert sms and sms[0]["status"] == "pending" and sms[0]["created_at"].endswith("Z")
    assert "annulé" in sms[0]["subject"]
