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
    "override,needle",
    [
        ({"volume_m3": 1.0}, "below the 2 m³ minimum"),
        ({"volume_m3": 30.0}, "exceeds our largest van"),
        ({"categories": ["mattress"]}, "mattresses"),
        ({"lat": 48.95, "lon": 2.60}, "outside the served area"),
        ({"date": "2020-01-02"}, "not after today"),
        ({"date": _next_sunday().isoformat()}, "Sunday"),
    ],
)
def test_refused_requests_are_stored_with_their_reason(client, override, needle):
    r = client.post("/api/v1/pickup-requests", json=_body(**override))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "refused"
    assert any(needle in reason for reason in body["reasons"]), body["reasons"]
    listed = client.get("/api/v1/pickup-requests", params={"status": "refused"}).json()
    assert [p["id"] for p in listed] == [body["id"]]


def test_every_reason_is_given(client):
    r = client.post("/api/v1/pickup-requests", json=_body(volume_m3=1.0, categories=["rubble"]))
    assert len(r.json()["reasons"]) == 2


@pytest.mark.parametrize(
    "override,field",
    [({"postcode": "7501"}, "postcode"), ({"volume_m3": -2}, "volume_m3"), ({"slot": "night"}, "slot"),
     ({"date": "2026-02-30"}, "date"), ({"phone": "<script>"}, "phone"), ({"categories": ["cats"]}, "categories.0")],
)
def test_malformed_requests_name_the_field(client, override, field):
    r = client.post("/api/v1/pickup-requests", json=_body(**override))
    assert r.status_code == 422
    assert r.json()["field"] == field
    assert client.get("/api/v1/pickup-requests", params={"date": _future_day().isoformat()}).json() == []
