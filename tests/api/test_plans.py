"""Planning the demo day through the API: the acceptance invariants of a real day."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.conftest import PLAN_DAY

VISIT_KINDS = ("relay_point", "pickup")


@pytest.fixture
def planned(client):
    r = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 3, "seed": 1})
    assert r.status_code == 201, r.text
    return r.json()


def test_rounds_of_the_day(client, planned):
    r = client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()})
    assert r.status_code == 200
    day = r.json()
    assert day["plan_id"] == planned["plan_id"]
    assert day["rounds_count"] >= 2
    for rnd in day["rounds"]:
        visits = [s for s in rnd["stops"] if s["kind"] in VISIT_KINDS]
        assert visits and all(s["name"] and s["address"] and s["lat"] and s["lon"] for s in visits)
        assert [s["position"] for s in rnd["stops"]] == list(range(1, len(rnd["stops"]) + 1))
        arrivals = [s["planned_arrival"] for s in rnd["stops"]]
        assert arrivals == sorted(arrivals)


def test_windows_capacity_and_breaks_hold(planned):
    for rnd in planned["rounds"]:
        start, end = dt.datetime.fromisoformat(rnd["start_at"]), dt.datetime.fromisoformat(rnd["end_at"])
        assert dt.time(8, 0) <= start.time() and end.time() <= dt.time(16, 0)
        for stop in rnd["stops"]:
            assert stop["load_after_m3"] <= rnd["van_capacity_m3"] + 1e-9
            if stop["kind"] not in VISIT_KINDS:
                continue
            begin = dt.datetime.fromisoformat(stop["planned_arrival"])
            window = dt.datetime.fromisoformat(stop["window_start"]), dt.datetime.fromisoformat(stop["window_end"])
            assert window[0] <= begin <= window[1], stop
            if stop["kind"] == "relay_point":  # the window shown is the opening hours: done before closing
                assert begin + dt.timedelta(minutes=stop["service_minutes"]) <= window[1] + dt.timedelta(minutes=1)
        breaks = [s for s in rnd["stops"] if s["kind"] == "break"]
        assert len(breaks) == 1
        lunch = dt.datetime.fromisoformat(breaks[0]["planned_arrival"]).time()
        assert dt.time(11, 30) <= lunch <= dt.time(13, 30)


def test_every_mandatory_visit_is_planned_or_explained(client, planned):
    planned_rps = {s["relay_point_id"] for r in planned["rounds"] for s in r["stops"] if s["relay_point_id"]}
    planned_pus = {s["pickup_request_id"] for r in planned["rounds"] for s in r["stops"] if s["pickup_request_id"]}
    explained_rps = {u["relay_point_id"] for u in planned["unassigned"] if u["reason"] and u["detail"]}
    explained_pus = {u["pickup_request_id"] for u in planned["unassigned"] if u["reason"] and u["detail"]}
    full = client.get("/api/v1/relay-points", params={"full": True, "limit": 500}).json()["items"]
    assert full
    for rp in full:
        assert rp["id"] in planned_rps | explained_rps, rp["name"]
    pickups = client.get("/api/v1/pickup-requests", params={"date": PLAN_DAY.isoformat()}).json()
    assert pickups
    for pu in pickups:
        assert pu["id"] in planned_pus | explained_pus, pu["ref"]
        assert pu["status"] == ("scheduled" if pu["id"] in planned_pus else "accepted")
    assert not planned_rps & explained_rps and not planned_pus & explained_pus


def test_replanning_replaces_the_draft(client, planned):
    again = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 1, "seed": 1})
    assert again.status_code == 201
    assert again.json()["plan_id"] != planned["plan_id"]
    old = client.get(f"/api/v1/plans/{planned['plan_id']}")  # replaced, kept in the day's history
    assert old.status_code == 200 and old.json()["status"] == "replaced"
    assert client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()}).json()["plan_id"] == again.json()["plan_id"]


def test_a_new_full_report_enters_the_next_plan(client, planned):
    in_rounds = {s["relay_point_id"] for r in planned["rounds"] for s in r["stops"]}
    candidates = client.get("/api/v1/relay-points", params={"full": False, "limit": 500}).json()["items"]
    target = next(rp for rp in candidates if rp["id"] not in in_rounds and rp["opening_hours"]
                  and any(PLAN_DAY.weekday() in o["days"] for o in rp["opening_hours"]))
    assert client.post(f"/api/v1/relay-points/{target['id']}/reports", json={"full": True}).status_code == 201
    replanned = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 3}).json()
    in_rounds = {s["relay_point_id"] for r in replanned["rounds"] for s in r["stops"]}
    explained = {u["relay_point_id"]: u for u in replanned["unassigned"]}
    assert target["id"] in in_rounds or explained[target["id"]]["mandatory"]


@pytest.mark.parametrize(
    "body,status,needle",
    [
        ({"date": "2026-11-29"}, 422, "Sunday"),
        ({"date": "2026-12-25"}, 422, "public holiday"),
        ({"date": "tomorrow"}, 422, "date"),
        ({"date": "2026-12-01", "time_limit_s": 0}, 422, "time_limit_s"),
        ({"date": "2026-12-01", "extra": 1}, 422, "extra"),
    ],
)
def test_bad_plan_requests(client, body, status, needle):
    r = client.post("/api/v1/plans", json=body)
    assert r.status_code == status
    assert needle in r.json()["detail"]


def test_rounds_without_plan_and_bad_dates(client):
    r = client.get("/api/v1/rounds", params={"date": "2026-12-02"})
    assert r.status_code == 404 and "POST /api/v1/plans" in r.json()["detail"]
    assert client.get("/api/v1/rounds", params={"date": "02/12/2026"}).status_code == 422
    assert client.get("/api/v1/rounds").status_code == 422
    assert client.get("/api/v1/nowhere").status_code == 404


def test_publish_freezes_the_plan(client, planned):
    url = f"/api/v1/plans/{planned['plan_id']}/publish"
    if planned["solver_status"] != "solved":
        refused = client.post(url)
        assert refused.status_code == 409 and "accept_unassigned" in refused.json()["detail"]
        url += "?accept_unassigned=true"
    r = client.post(url)
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert client.post(url).status_code == 409
    again = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 1})
    assert again.status_code == 409 and "published" in again.json()["detail"]
    assert client.post("/api/v1/plans/424242/publish").status_code == 404
