"""Relay-point edits and closures, vans, crews and their calendars through the API."""

from __future__ import annotations

from tests.api.conftest import PLAN_DAY


def _rp(client) -> dict:
    return client.get("/api/v1/relay-points", params={"limit": 1}).json()["items"][0]


def test_relay_point_patch_pause_and_host_constraints(client):
    rp = _rp(client)
    url = f"/api/v1/relay-points/{rp['id']}"
    r = client.patch(url, json={"paused": True, "pause_reason": "travaux", "capacity_m3": 2.5,
                                "no_visit_weekdays": [0, 5], "max_visits_per_week": 2, "access_notes": "cour B",
                                "contact_phone": "01 23 45 67 89",
                                "opening_hours": [{"days": [1, 2, 3], "open": "09:00", "close": "12:30"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["paused"] and body["pause_reason"] == "travaux" and body["capacity_m3"] == 2.5
    assert body["no_visit_weekdays"] == [0, 5] and body["max_visits_per_week"] == 2
    assert body["opening_hours"] == [{"days": [1, 2, 3], "open": "09:00", "close": "12:30"}]
    assert client.get(f"{url}/settings").json()["access_notes"] == "cour B"
    resumed = client.patch(url, json={"paused": False}).json()
    assert not resumed["paused"] and resumed["pause_reason"] is None


def test_relay_point_bad_input_names_the_field(client):
    url = f"/api/v1/relay-points/{_rp(client)['id']}"
    cases = [
        ({"opening_hours": [{"days": [1], "open": "14:00", "close": "09:00"}]}, "opening_hours[0].close"),
        ({"opening_hours": [{"days": [7], "open": "09:00", "close": "12:00"}]}, "opening_hours[0].days"),
        ({"opening_hours": [{"days": [1], "open": "9h", "close": "12:00"}]}, "opening_hours[0].open"),
        ({"capacity_m3": -1}, "capacity_m3"),
        ({"paused": True}, "pause_reason"),
        ({"no_visit_weekdays": [9]}, "no_visit_weekdays.0"),
        ({"colour": "red"}, "colour"),
    ]
    for body, field in cases:
        r = client.patch(url, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"] == field, (body, r.json())
    assert client.patch("/api/v1/relay-points/424242", json={"capacity_m3": 1}).status_code == 404


def test_relay_point_create_and_duplicates(client):
    rp = _rp(client)
    new = {"code": "AMI-TEST-01", "name": "Librairie Test", "kind": "shop", "address": "1 rue Test, 75019 Paris",
           "postcode": "75019", "lat": 48.8867, "lon": 2.3720, "capacity_m3": 1.5,
           "opening_hours": [{"days": [1, 2, 3, 4, 5], "open": "10:00", "close": "19:00"}]}
    r = client.post("/api/v1/relay-points", json=new)
    assert r.status_code == 201, r.text
    assert r.json()["code"] == "AMI-TEST-01" and r.json()["stock_m3"] == 0
    dup_code = client.post("/api/v1/relay-points", json=new | {"name": "Autre"})
    assert dup_code.status_code == 409 and "AMI-TEST-01" in dup_code.json()["detail"]
    near = client.post("/api/v1/relay-points", json=new | {"code": "AMI-TEST-02", "lat": 48.88675})  # ~5 m north
    assert near.status_code == 409 and "Librairie Test" in near.json()["detail"]
    far = client.post("/api/v1/relay-points", json=new | {"code": "AMI-TEST-03", "lat": 48.8877})  # ~110 m
    assert far.status_code == 201
    assert client.post("/api/v1/relay-points", json=new | {"code": "X", "capacity_m3": 0}).status_code == 422
    assert rp["id"] != r.json()["id"]


def test_closures_list_add_delete(client):
    rid = _rp(client)["id"]
    url = f"/api/v1/relay-points/{rid}/closures"
    r = client.post(url, json={"start_date": "2026-12-21", "end_date": "2027-01-03", "reason": "congés"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert [c["id"] for c in client.get(url).json()] == [cid]
    bad = client.post(url, json={"start_date": "2026-12-21", "end_date": "2026-12-20", "reason": "x"})
    assert bad.status_code == 422 and bad.json()["field"] == "end_date"
    assert client.post(url, json={"start_date": "2026-12-21", "end_date": "2026-12-22", "reason": ""}).status_code == 422
    assert client.post("/api/v1/relay-points/424242/closures",
                       json={"start_date": "2026-12-21", "end_date": "2026-12-22", "reason": "x"}).status_code == 404
    assert client.delete(f"{url}/{cid}").status_code == 204
    assert client.get(url).json() == []
    assert client.delete(f"{url}/{cid}").status_code == 404


def test_reports_are_paged(client):
    rid = _rp(client)["id"]
    for level in (10, 20, 30):
        assert client.post(f"/api/v1/relay-points/{rid}/reports", json={"level_pct": level}).status_code == 201
    first = client.get(f"/api/v1/relay-points/{rid}/reports", params={"limit": 2})
    total = int(first.headers["X-Total-Count"])
    assert total >= 3 and [r["level_pct"] for r in first.json()] == [30, 20]
    second = client.get(f"/api/v1/relay-points/{rid}/reports", params={"limit": 2, "offset": 2}).json()
    assert second[0]["level_pct"] == 10


def test_vans_crud_and_calendar(client):
    vans = client.get("/api/v1/vans").json()
    assert len(vans) == 4
    r = client.post("/api/v1/vans", json={"name": "Camion Test", "capacity_m3": 15, "skills": ["tail_lift"]})
    assert r.status_code == 201, r.text
    van = r.json()
    assert van["depot_id"] == vans[0]["depot_id"] and van["skills"] == ["tail_lift"]
    assert client.post("/api/v1/vans", json={"name": "Camion Test", "capacity_m3": 15}).status_code == 409
    assert client.post("/api/v1/vans", json={"name": "Neg", "capacity_m3": -3}).status_code == 422
    patched = client.patch(f"/api/v1/vans/{van['id']}", json={"capacity_m3": 18, "active": False})
    assert patched.status_code == 200 and patched.json()["capacity_m3"] == 18 and not patched.json()["active"]
    assert client.patch(f"/api/v1/vans/{van['id']}", json={"capacity_m3": 0}).json()["field"] == "capacity_m3"
    assert client.patch(f"/api/v1/vans/{van['id']}", json={"depot_id": 9999}).status_code == 404
    assert client.patch("/api/v1/vans/424242", json={"capacity_m3": 3}).status_code == 404
    cal = f"/api/v1/vans/{van['id']}/unavailability"
    entry = client.post(cal, json={"start_date": "2026-12-01", "end_date": "2026-12-02", "reason": "entretien"})
    assert entry.status_code == 201
    assert client.post(cal, json={"start_date": "2026-12-03", "end_date": "2026-12-02",
                                  "reason": "x"}).json()["field"] == "end_date"
    assert [e["reason"] for e in client.get(cal).json()] == ["entretien"]
    assert client.delete(f"{cal}/{entry.json()['id']}").status_code == 204
    assert client.get(cal).json() == []
    assert client.get("/api/v1/vans/424242/unavailability").status_code == 404


def test_crews_crud_and_calendar(client):
    van_id = client.get("/api/v1/vans").json()[0]["id"]
    r = client.post("/api/v1/crews", json={"name": "Équipe Test", "members": ["Ana", "Bo"], "van_id": van_id,
                                           "shift_start": "07:30", "shift_end": "15:30"})
    assert r.status_code == 201, r.text
    crew = r.json()
    assert crew["shift_start"] == "07:30" and crew["break_earliest"] == "11:30"
    bad_shift = client.patch(f"/api/v1/crews/{crew['id']}", json={"shift_end": "07:00"})
    assert bad_shift.status_code == 422 and bad_shift.json()["field"] == "shift_end"
    bad_break = client.patch(f"/api/v1/crews/{crew['id']}", json={"break_earliest": "14:00", "break_latest": "12:00"})
    assert bad_break.status_code == 422 and bad_break.json()["field"] == "break_latest"
    assert client.patch(f"/api/v1/crews/{crew['id']}", json={"shift_start": "25:00"}).status_code == 422
    assert client.patch(f"/api/v1/crews/{crew['id']}", json={"van_id": 424242}).status_code == 404
    ok = client.patch(f"/api/v1/crews/{crew['id']}", json={"break_minutes": 30, "active": False})
    assert ok.status_code == 200 and ok.json()["break_minutes"] == 30 and not ok.json()["active"]
    cal = f"/api/v1/crews/{crew['id']}/unavailability"
    assert client.post(cal, json={"start_date": PLAN_DAY.isoformat(), "end_date": PLAN_DAY.isoformat(),
                                  "reason": "formation"}).status_code == 201
    assert len(client.get(cal).json()) == 1
    assert client.post("/api/v1/crews/424242/unavailability", json={
        "start_date": "2026-12-01", "end_date": "2026-12-01", "reason": "x"}).status_code == 404
    assert client.get("/api/v1/crews/424242").status_code == 404


def test_the_day_says_which_vans_are_out(client):
    vans = client.get("/api/v1/vans").json()
    client.post(f"/api/v1/vans/{vans[0]['id']}/unavailability",
                json={"start_date": PLAN_DAY.isoformat(), "end_date": PLAN_DAY.isoformat(), "reason": "révision"})
    r = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1})
    assert r.status_code == 201, r.text
    out = r.json()["vans_out"]
    assert [(o["van_id"], o["reason"]) for o in out] == [(vans[0]["id"], "maintenance")]
    assert "révision" in out[0]["detail_fr"]
    assert vans[0]["name"] not in {rnd["van"] for rnd in r.json()["rounds"]}


def test_a_paused_relay_point_is_not_offered_to_donors(client):
    params = {"lat": 48.8722, "lon": 2.3770, "limit": 3}
    first = client.get("/api/v1/relay-points/nearest", params=params).json()[0]["relay_point"]
    assert client.patch(f"/api/v1/relay-points/{first['id']}",
                        json={"paused": True, "pause_reason": "inventaire"}).status_code == 200
    ids = [n["relay_point"]["id"] for n in client.get("/api/v1/relay-points/nearest", params=params).json()]
    assert first["id"] not in ids and len(ids) == 3
