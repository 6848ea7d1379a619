from __future__ import annotations

import datetime as dt

import pytest

from dispatch.workdays import next_collection_day


def _future_day() -> dt.date:
    return next_collection_day(dt.date.today() + dt.timedelta(days=7))


def _next_sunday() -> dt.date:
    day = dt.date.today() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(6 - day.weekday()) % 7)


def _body(**over):
    body = {
        "donor_name": "Mme Durand", "phone": "06 12 34 56 78", "address": "12 rue de Belleville, 75020 Paris",
        "postcode": "75020", "lat": 48.8721, "lon": 2.3770, "volume_m3": 3.5,
        "date": _future_day().isoformat(), "slot": "morning", "categories": ["furniture", "books"],
        "floor": 3, "has_lift": False, "access_code": "4521B",
    }
    body.update(over)
    return body


def test_accepted_request(client):
    r = client.post("/api/v1/pickup-requests", json=_body())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "accepted" and body["reasons"] == []
    assert client.get(f"/api/v1/pickup-requests/{body['id']}").json()["ref"] == body["ref"]


@pytest.mark.parametrize(
    "override,code,needle",
    [
        ({"volume_m3": 1.0}, "volume_below_minimum", "below the 2 m³ minimum"),
        ({"volume_m3": 30.0}, "volume_above_van", "largest van"),
        ({"categories": ["mattress"]}, "category_refused", "mattresses"),
        ({"categories": ["cats"]}, "category_unknown", "cats"),
        ({"lat": 48.95, "lon": 2.60}, "position_off_network", "map of our rounds"),
        ({"postcode": "69001"}, "outside_zone", "69001"),
        ({"date": "2020-01-02"}, "date_too_soon", "in the past"),
        ({"date": _next_sunday().isoformat()}, "date_not_collection_day", "Sunday"),
        ({"floor": None}, "missing_detail", "floor"),
    ],
)
def test_refused_requests_are_stored_with_their_reason(client, override, code, needle):
    r = client.post("/api/v1/pickup-requests", json=_body(**override))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "refused"
    assert [reason["code"] for reason in body["reasons"]] == [code], body["reasons"]
    assert needle in body["reasons"][0]["message"]
    listed = client.get("/api/v1/pickup-requests", params={"status": "refused"}).json()
    assert [p["id"] for p in listed] == [body["id"]]


def test_every_reason_is_given(client):
    r = client.post("/api/v1/pickup-requests", json=_body(volume_m3=1.0, categories=["rubble"]))
    assert [reason["code"] for reason in r.json()["reasons"]] == ["volume_below_minimum", "category_refused"]


def test_a_full_slot_offers_alternatives(client, db_engine):
    from sqlalchemy import update

    from dispatch.db import session_scope
    from dispatch.models import PickupRequest

    day = _future_day()
    with session_scope(db_engine) as s:  # the demo's 16 accepted pickups (8 a slot) move to that day
        s.execute(update(PickupRequest).values(date=day))
    body = client.post("/api/v1/pickup-requests", json=_body(date=day.isoformat())).json()
    assert body["status"] == "refused"
    assert {reason["code"] for reason in body["reasons"]} == {"day_full", "slot_full"}
    assert body["alternatives"] and all(a["date"] != day.isoformat() for a in body["alternatives"])


def test_switchboard_override_is_recorded(client):
    refused = client.post("/api/v1/pickup-requests", json=_body(volume_m3=1.5)).json()
    r = client.post(f"/api/v1/pickup-requests/{refused['id']}/override",
                    json={"by": "Standard - Amina", "reason": "Personne âgée, accord de la responsable"})
    assert r.status_code == 200, r.text
    body = r.json()
    # Who overrode is the signed-in account; the typed "by" is only kept as a note.
    assert body["status"] == "accepted" and body["overridden_by"] == "test-admin"
    assert body["override_reason"] == "Personne âgée, accord de la responsable (note: Standard - Amina)"
    assert [reason["code"] for reason in body["reasons"]] == ["volume_below_minimum"]  # kept for the record
    again = client.post(f"/api/v1/pickup-requests/{refused['id']}/override", json={"by": "x", "reason": "encore"})
    assert again.status_code == 409
    sunday = client.post("/api/v1/pickup-requests", json=_body(date=_next_sunday().isoformat())).json()
    blocked = client.post(f"/api/v1/pickup-requests/{sunday['id']}/override",
                          json={"by": "Standard", "reason": "urgent, donateur insistant"})
    assert blocked.status_code == 422 and "date_not_collection_day" in blocked.json()["detail"]
    assert client.get(f"/api/v1/pickup-requests/{sunday['id']}").json()["status"] == "refused"
    short = client.post(f"/api/v1/pickup-requests/{sunday['id']}/override", json={"by": "S", "reason": "ok"})
    assert short.status_code == 422 and short.json()["field"] == "reason"


@pytest.mark.parametrize(
    "override,field",
    [({"postcode": "7501"}, "postcode"), ({"volume_m3": -2}, "volume_m3"), ({"slot": "night"}, "slot"),
     ({"date": "2026-02-30"}, "date"), ({"phone": "<script>"}, "phone"), ({"categories": ["Cats!"]}, "categories.0")],
)
def test_malformed_requests_name_the_field(client, override, field):
    r = client.post("/api/v1/pickup-requests", json=_body(**override))
    assert r.status_code == 422
    assert r.json()["field"] == field
    assert client.get("/api/v1/pickup-requests", params={"date": _future_day().isoformat()}).json() == []
