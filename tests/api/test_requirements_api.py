"""Requirements set by hand on a pickup or relay point, and crews' features, through the API."""

from __future__ import annotations


def _pickup(client) -> dict:
    return client.get("/api/v1/pickup-requests", params={"limit": 20}).json()


def test_set_a_pickups_requirements_by_hand_and_see_the_rules_ones(client, client_as):
    pickups = _pickup(client)
    third_floor = next(p for p in pickups if p["ref"] == "ENL-002")  # 5.7 m³, 3rd floor, no lift, furniture
    url = f"/api/v1/pickup-requests/{third_floor['id']}/requirements"
    got = client.get(url).json()
    assert got["by_hand"] == [] and got["needs"] == ["two_people"]
    assert {"code": "floor_no_lift", "floor": 3} in got["why"]
    switchboard = client_as("switchboard")
    r = switchboard.put(url, json={"features": ["tail_lift"]})
    assert r.status_code == 200, r.text
    assert r.json()["by_hand"] == ["tail_lift"] and r.json()["needs"] == ["tail_lift", "two_people"]
    bad = client.put(url, json={"features": ["jetpack"]})
    assert bad.status_code == 422 and "features" in bad.json()["field"]
    assert client.put("/api/v1/pickup-requests/424242/requirements", json={"features": []}).status_code == 404


def test_relay_point_requirements_and_crew_skills(client, client_as):
    rp = client.get("/api/v1/relay-points", params={"limit": 1}).json()["items"][0]
    r = client.put(f"/api/v1/relay-points/{rp['id']}/requirements", json={"features": ["tail_lift"]})
    assert r.status_code == 200 and r.json()["needs"] == ["tail_lift"]
    crew = client.get("/api/v1/crews").json()[2]  # Équipe C: Fourgon 3 (no tail lift), two members
    assert client.get(f"/api/v1/crews/{crew['id']}/features").json()["features"] == ["two_people"]
    r = client.put(f"/api/v1/crews/{crew['id']}/skills", json={"features": ["three_people"]})
    assert r.status_code == 200 and r.json()["features"] == ["three_people", "two_people"]
    assert client_as("switchboard").put(f"/api/v1/crews/{crew['id']}/skills",
                                        json={"features": []}).status_code == 403


def test_anonymous_rounds_show_no_donor_address_floor_or_staff_name(client, anon_client):
    from tests.api.conftest import PLAN_DAY

    plan = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1}).json()
    stop = next(s for r in plan["rounds"] for s in r["stops"] if s["kind"] == "pickup")
    assert client.post(f"/api/v1/plans/{plan['plan_id']}/stops/{stop['stop_id']}/drop",
                       json={"version": 1, "force": True}).status_code == 200
    staff = client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()}).json()
    dropped = next(u for u in staff["unassigned"] if u["reason"] == "dropped")
    assert dropped["address"] and dropped["params"] == {"by": "test-admin"}
    public = anon_client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()}).json()
    dropped = next(u for u in public["unassigned"] if u["reason"] == "dropped")
    assert dropped["address"] is None and dropped["params"] == {}
    assert all(s["requirements"] is None for r in public["rounds"] for s in r["stops"] if s["kind"] == "pickup")
