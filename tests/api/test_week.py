"""GET /api/v1/week and `dispatch week`: the week ahead as data, coordinators only."""

from __future__ import annotations

from tests.api.conftest import PLAN_DAY


def test_the_week_as_data(client, anon_client):
    r = client.get("/api/v1/week", params={"from": PLAN_DAY.isoformat(), "days": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [d["date"] for d in body["days"]][0] == PLAN_DAY.isoformat() and len(body["days"]) == 3
    first = body["days"][0]
    assert first["pickups"] > 0 and first["vans"] > 0 and first["capacity_m3"] > 0
    assert set(first) >= {"visits", "optional", "load_m3", "m3_per_van", "overloaded", "fixes", "source"}
    assert all("relay_point_id" in v and "decision" in v for v in first["visits"])
    assert anon_client.get("/api/v1/week").status_code == 401


def test_a_bad_range_is_refused_with_the_field_named(client):
    r = client.get("/api/v1/week", params={"days": 40})
    assert r.status_code == 422 and "days" in r.text
    r = client.get("/api/v1/week", params={"from": "mardi"})
    assert r.status_code == 422 and "from" in r.text
