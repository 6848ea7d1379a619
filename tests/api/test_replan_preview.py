"""A mid-day re-plan is a preview first (issue 25, item 2): it keeps the stops crews reported at (arrived
too) and the booked home pickups unless dropped by name, shows the differences, writes nothing until
confirmed, then applies exactly what was shown as a new version; donors left out are told (an event)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dispatch.db import session_scope
from tests.api.conftest import PLAN_DAY
from tests.api.test_jobs import finished_job

VISITS = ("relay_point", "pickup")
ON_THE_DAY = dt.datetime.combine(PLAN_DAY, dt.time(9))  # 10:00 in Paris


def _visits(rnd):
    return [s for s in rnd["stops"] if s["kind"] in VISITS]


def _published(client):
    plan = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1}).json()
    r = client.post(f"/api/v1/plans/{plan['plan_id']}/publish?accept_unassigned=true")
    assert r.status_code == 200, r.text
    return r.json()


def _report(engine, rnd, stop, kind, key, **kw):
    from dispatch.field import events

    with session_scope(engine) as s:
        events.record_stop_event(rnd["id"], stop["stop_id"], kind, session=s, idempotency_key=key, at=ON_THE_DAY,
                                 **kw)


def test_a_mid_day_replan_keeps_arrived_stops_and_booked_pickups(client, db_engine):
    from dispatch.models import PickupEvent, PickupRequest

    day = _published(client)
    pid, version = day["plan_id"], day["version"]
    rnd = max(day["rounds"], key=lambda r: len(_visits(r)))
    done, there = _visits(rnd)[0], _visits(rnd)[1]
    _report(db_engine, rnd, done, "collected", "mid-00001", collected_m3=done["expected_m3"])
    _report(db_engine, rnd, there, "arrived", "mid-00002")
    booked = {s["pickup_request_id"] for r in day["rounds"] for s in _visits(r) if s["kind"] == "pickup"}
    assert len(booked) >= 2
    later = [s for r in day["rounds"] for s in _visits(r)[2:] if s["kind"] == "pickup"]
    dropped = later[0]["pickup_request_id"]
    with session_scope(db_engine) as s:
        ref = s.get(PickupRequest, dropped).ref

    r = client.post(f"/api/v1/plans/{pid}/replan", json={"version": version, "at": "10:30", "time_limit_s": 3,
                                                          "drop": [ref]})
    job = finished_job(client, r)
    assert job["status"] == "succeeded", job
    preview = job["progress"]["preview"]
    assert preview["at"] == "10:30" and preview["kept_as_reported"] >= 2
    assert {x["crew"] for x in preview["rounds"]} and all("km_after" in x for x in preview["rounds"])
    assert [x["name"] for x in preview["left_out"] if x["by_hand"]] and not preview["booked_left_out"]
    assert client.get(f"/api/v1/plans/{pid}").json()["version"] == version  # nothing written yet

    applied = client.post(f"/api/v1/plans/{pid}/replan/{job['id']}/apply", json={"version": version})
    assert applied.status_code == 200, applied.text
    new = applied.json()
    assert new["version"] == version + 1
    same = next(x for x in new["rounds"] if x["id"] == rnd["id"])
    ids = [s["stop_id"] for s in _visits(same)]
    assert done["stop_id"] in ids and there["stop_id"] in ids, "the stop the crew is at stays in its round"
    served = {s["pickup_request_id"] for r in new["rounds"] for s in _visits(r) if s["kind"] == "pickup"}
    assert served == booked - {dropped}, "every booked pickup but the one dropped by name is still served"
    assert any(u["pickup_request_id"] == dropped and u["reason"] == "dropped" for u in new["unassigned"])
    with session_scope(db_engine) as s:
        told = s.scalars(select(PickupEvent).where(PickupEvent.pickup_request_id == dropped)
                         .order_by(PickupEvent.id.desc())).first()
        assert "taken out of today's rounds" in told.detail
    again = client.post(f"/api/v1/plans/{pid}/replan/{job['id']}/apply", json={"version": version + 1})
    assert again.status_code == 409 and "already applied" in again.json()["detail"]


def test_a_preview_is_not_applied_after_a_crew_report_or_an_edit(client, db_engine):
    day = _published(client)
    pid, version = day["plan_id"], day["version"]
    rnd = max(day["rounds"], key=lambda r: len(_visits(r)))
    r = client.post(f"/api/v1/plans/{pid}/replan", json={"version": version, "at": "10:30", "time_limit_s": 2})
    job = finished_job(client, r)
    _report(db_engine, rnd, _visits(rnd)[0], "collected", "late-00001", collected_m3=0.5)
    stale = client.post(f"/api/v1/plans/{pid}/replan/{job['id']}/apply", json={"version": version})
    assert stale.status_code == 409 and "preview the re-plan again" in stale.json()["detail"]
    assert client.get(f"/api/v1/plans/{pid}").json()["version"] == version
