"""Editing a plan over HTTP: If-Match versions, 409 with what changed, 428, refusals, force, re-plan."""

from __future__ import annotations

import pytest

from tests.api.conftest import PLAN_DAY
from tests.api.test_jobs import finished_job

VISITS = ("relay_point", "pickup")


@pytest.fixture
def draft(client):
    r = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 3, "seed": 1})
    assert r.status_code == 201, r.text
    return r.json()


def _visits(rnd):
    return [s for s in rnd["stops"] if s["kind"] in VISITS]


def _rounds(plan):
    return [r for r in plan["rounds"] if _visits(r)]


def test_get_plan_gives_its_version_as_etag(client, draft):
    r = client.get(f"/api/v1/plans/{draft['plan_id']}")
    assert r.status_code == 200 and r.headers["ETag"] == '"1"' and r.json()["version"] == 1
    assert all(s["stop_id"] for rnd in r.json()["rounds"] for s in rnd["stops"])


def test_two_clients_the_second_gets_409_with_what_the_first_changed(client, draft):
    pid = draft["plan_id"]
    stop = _visits(_rounds(draft)[0])[0]
    first = client.post(f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/lock", json={}, headers={"If-Match": '"1"'})
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"2"' and first.json()["version"] == 2
    locked = next(s for r in first.json()["rounds"] for s in r["stops"] if s["stop_id"] == stop["stop_id"])
    assert locked["locked"] is True
    # The second client still holds version 1.
    second = client.post(f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/drop", json={"version": 1, "force": True})
    assert second.status_code == 409
    assert second.headers["content-type"].startswith("application/problem+json")
    body = second.json()
    assert body["current_version"] == 2 and body["field"] == "version"
    assert [(c["version"], c["op"], c["actor"]) for c in body["changes"]] == [(2, "lock", "anonymous")] or [
        (c["version"], c["op"]) for c in body["changes"]] == [(2, "lock")]
    assert body["changes"][0]["detail"]["stop_id"] == stop["stop_id"]
    changes = client.get(f"/api/v1/plans/{pid}/changes", params={"since": 1}).json()
    assert [c["op"] for c in changes] == ["lock"]
    # Nothing of the stale edit was applied.
    assert client.get(f"/api/v1/plans/{pid}").json()["version"] == 2


def test_an_edit_without_a_version_is_428(client, draft):
    pid = draft["plan_id"]
    stop = _visits(_rounds(draft)[0])[0]
    r = client.post(f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/lock", json={})
    assert r.status_code == 428 and "If-Match" in r.json()["detail"]
    bad = client.post(f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/lock", json={}, headers={"If-Match": "abc"})
    assert bad.status_code == 422 and bad.json()["field"] == "If-Match"


def test_refused_move_names_the_stop_and_rule_then_force_keeps_warnings(client, draft):
    pid = draft["plan_id"]
    morning = next(s for r in _rounds(draft) for s in _visits(r)
                   if s["kind"] == "pickup" and s["window_end"].endswith("12:00:00"))
    target = max(_rounds(draft), key=lambda r: r["end_at"])
    body = {"version": 1, "round_id": target["id"]}
    r = client.post(f"/api/v1/plans/{pid}/stops/{morning['stop_id']}/move", json=body)
    assert r.status_code == 422, r.text
    assert morning["name"] in r.json()["detail"] and "outside its hours" in r.json()["detail"]
    assert r.json()["field"] == "force"
    r = client.post(f"/api/v1/plans/{pid}/stops/{morning['stop_id']}/move", json={**body, "force": True})
    assert r.status_code == 200, r.text
    rnd = next(x for x in r.json()["rounds"] if x["id"] == target["id"])
    assert _visits(rnd)[-1]["stop_id"] == morning["stop_id"]
    assert any(w["rule"] == "time_window" for w in rnd["warnings"])


def test_drop_then_insert_back_at_the_cheapest_place(client, draft):
    pid = draft["plan_id"]
    rp_stop = next((s for r in _rounds(draft) for s in _visits(r) if s["relay_point_id"]
                    and next(d for d in draft["relay_points"] if d["relay_point_id"] == s["relay_point_id"])[
                        "decision"] != "mandatory"), None)
    if rp_stop is None:
        pytest.skip("no optional relay point in this plan")
    r = client.post(f"/api/v1/plans/{pid}/stops/{rp_stop['stop_id']}/drop", json={"version": 1})
    assert r.status_code == 200, r.text
    un = next(u for u in r.json()["unassigned"] if u["relay_point_id"] == rp_stop["relay_point_id"])
    assert un["reason"] == "dropped" and "dropped by" in un["detail"]
    r = client.post(f"/api/v1/plans/{pid}/visits", json={"relay_point_id": rp_stop["relay_point_id"]},
                    headers={"If-Match": '"2"'})
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["version"] == 3
    assert not any(u["relay_point_id"] == rp_stop["relay_point_id"] for u in plan["unassigned"])
    assert sum(s["relay_point_id"] == rp_stop["relay_point_id"] for rr in plan["rounds"] for s in rr["stops"]) == 1
    # A mandatory pickup cannot be dropped without force.
    pickup = next(s for rr in _rounds(plan) for s in _visits(rr) if s["kind"] == "pickup")
    r = client.post(f"/api/v1/plans/{pid}/stops/{pickup['stop_id']}/drop", json={"version": 3})
    assert r.status_code == 422 and r.json()["field"] == "force"


def test_reoptimise_and_publish_freeze_then_replan(client, draft):
    pid = draft["plan_id"]
    stop = _visits(_rounds(draft)[0])[-1]
    rid = _rounds(draft)[0]["id"]
    client.post(f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/lock", json={"version": 1})
    r = client.post(f"/api/v1/plans/{pid}/reoptimise", json={"version": 2, "time_limit_s": 3})
    started = r.json()["job"]
    assert started["kind"] == "reoptimise" and started["plan_id"] == pid and started["plan_version"] == 2
    assert started["status"] in ("queued", "running", "succeeded") and started["links"]["self"] == r.json()["poll"]
    job = finished_job(client, r)
    assert job["status"] == "succeeded", job
    assert job["plan"]["version"] == 3 and job["progress"]["version"] == 3
    rnd = next(x for x in job["plan"]["rounds"] if x["id"] == rid)
    assert any(s["stop_id"] == stop["stop_id"] and s["locked"] for s in rnd["stops"])
    r = client.post(f"/api/v1/plans/{pid}/publish", headers={"If-Match": '"2"'})
    assert r.status_code == 409 and r.json()["current_version"] == 3
    assert [c["op"] for c in r.json()["changes"]] == ["reoptimise"]
    r = client.post(f"/api/v1/plans/{pid}/publish")
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 4
    r = client.post(f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/drop", json={"version": 4, "force": True})
    assert r.status_code == 409 and "re-plan instead" in r.json()["detail"]
    r = client.post(f"/api/v1/plans/{pid}/reoptimise", json={"version": 4})
    assert r.status_code == 409 and r.json()["field"] == "plan_id"  # a published plan is re-planned
    r = client.post(f"/api/v1/plans/{pid}/replan", json={"version": 4, "at": "10:30", "time_limit_s": 4,
                                                          "positions": [{"round_id": rid, "lat": 48.87,
                                                                         "lon": 2.37}]})
    job = finished_job(client, r)
    assert job["kind"] == "replan" and job["status"] == "succeeded", job
    assert job["progress"]["preview"]["rounds"] and client.get(f"/api/v1/plans/{pid}").json()["version"] == 4
    applied = client.post(f"/api/v1/plans/{pid}/replan/{job['id']}/apply", json={"version": 4})
    assert applied.status_code == 200, applied.text
    day = applied.json()
    assert day["version"] == 5 and day["status"] == "published"
    rnd = next(x for x in day["rounds"] if x["id"] == rid)
    assert all(s["planned_arrival"] >= f"{PLAN_DAY.isoformat()}T10:30:00" for s in _visits(rnd))
    bad = client.post(f"/api/v1/plans/{pid}/replan", json={"version": 5, "positions": [
        {"round_id": rid, "lat": 48.70, "lon": 2.10}]})
    assert bad.status_code == 422 and bad.json()["field"] == "positions"
    assert [c["op"] for c in client.get(f"/api/v1/plans/{pid}/changes").json()] == [
        "lock", "reoptimise", "publish", "replan"]


def test_a_job_whose_plan_was_edited_meanwhile_fails_and_writes_nothing(client, draft, db_engine, monkeypatch):
    """Another coordinator locks a stop while the re-optimisation is being solved: the job must not
    overwrite that edit; it fails naming the conflict, and the plan is exactly as the other left it."""
    from dispatch.planning import editing, resolve
    from dispatch.db import session_scope

    pid = draft["plan_id"]
    other_stop = _visits(_rounds(draft)[-1])[0]["stop_id"]
    real_solve = resolve.solve_prepared

    def solve_while_someone_edits(prep, settings, **kwargs):
        solution = real_solve(prep, settings, **kwargs)
        with session_scope(db_engine) as s:  # a concurrent edit, committed before the job stores
            editing.set_locked(pid, other_stop, True, session=s, version=1, actor="bob")
        return solution

    monkeypatch.setattr(resolve, "solve_prepared", solve_while_someone_edits)
    before = client.get(f"/api/v1/plans/{pid}").json()
    job = finished_job(client, client.post(f"/api/v1/plans/{pid}/reoptimise", json={"time_limit_s": 2},
                                           headers={"If-Match": '"1"'}))
    assert job["status"] == "failed" and job["plan"] is None
    assert job["error"].startswith("conflict:") and "nothing was written" in job["error"]
    assert "lock by bob" in job["error"]
    assert job["conflict"]["current_version"] == 2
    assert [(c["op"], c["actor"]) for c in job["conflict"]["changes"]] == [("lock", "bob")]
    after = client.get(f"/api/v1/plans/{pid}").json()
    assert after["version"] == 2
    assert [c["op"] for c in client.get(f"/api/v1/plans/{pid}/changes").json()] == ["lock"]

    def placed(day):
        return sorted((r["id"], s["stop_id"], s["position"], s["planned_arrival"]) for r in day["rounds"]
                      for s in r["stops"])

    assert placed(after) == placed(before)  # only bob's lock: not a stop moved by the job


def test_a_running_edit_job_is_cancelled_and_writes_nothing(client, draft, db_engine, monkeypatch):
    from dispatch.planning import resolve
    from dispatch.jobs import records as jobs
    from dispatch.db import session_scope

    pid = draft["plan_id"]
    real_solve = resolve.solve_prepared

    def cancelled_during_the_solve(prep, settings, **kwargs):
        with session_scope(db_engine) as s:
            job = s.query(jobs.PlanJob).filter_by(plan_id=pid, kind="reoptimise").one()
            assert job.status.value == "running"
            jobs.cancel_job(job.id, session=s)
        return real_solve(prep, settings, **kwargs)

    monkeypatch.setattr(resolve, "solve_prepared", cancelled_during_the_solve)
    job = finished_job(client, client.post(f"/api/v1/plans/{pid}/reoptimise", json={"version": 1,
                                                                                     "time_limit_s": 2}))
    assert job["status"] == "cancelled" and job["plan"] is None
    assert client.get(f"/api/v1/plans/{pid}").json()["version"] == 1
    assert client.get(f"/api/v1/plans/{pid}/changes").json() == []


def test_edit_jobs_check_the_version_before_starting(client, draft, db_engine):
    pid = draft["plan_id"]
    r = client.post(f"/api/v1/plans/{pid}/reoptimise", json={"time_limit_s": 2})
    assert r.status_code == 428 and r.json()["field"] == "version"
    stop = _visits(_rounds(draft)[0])[0]
    client.post(f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/lock", json={"version": 1})
    r = client.post(f"/api/v1/plans/{pid}/reoptimise", json={"version": 1})
    assert r.status_code == 409 and r.json()["current_version"] == 2
    assert [c["op"] for c in r.json()["changes"]] == ["lock"]
    assert client.get("/api/v1/plan-jobs/nope").status_code == 404
    # One job of the day at a time: another is refused while one is queued (never handed to a runner here).
    from dispatch.jobs import records as jobs
    from dispatch.db import session_scope
    from dispatch.models import Plan

    with session_scope(db_engine) as s:
        queued = jobs.create_edit_job("reoptimise", s.get(Plan, pid), session=s, time_limit_s=1, seed=None,
                                      actor="x")
        queued_id = queued.id
    r = client.post(f"/api/v1/plans/{pid}/reoptimise", json={"version": 2})
    assert r.status_code == 409 and "re-optimisation job" in r.json()["detail"] and queued_id in r.json()["detail"]
    r = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat()})
    assert r.status_code == 409 and "already queued" in r.json()["detail"]
    assert client.delete(f"/api/v1/plan-jobs/{queued_id}").json()["status"] == "cancelled"


def test_bad_edits_are_4xx_naming_the_field(client, draft):
    pid = draft["plan_id"]
    rnd = _rounds(draft)[0]
    stop = _visits(rnd)[0]
    lunch = next(s for s in rnd["stops"] if s["kind"] == "break")
    cases = [
        (f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/move", {"version": 1, "round_id": 999999}, 404, "round_id"),
        (f"/api/v1/plans/{pid}/stops/999999/drop", {"version": 1}, 404, "stop_id"),
        (f"/api/v1/plans/{pid}/stops/{lunch['stop_id']}/drop", {"version": 1}, 422, "stop_id"),
        (f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/move", {"version": 1, "round_id": rnd["id"], "position": 0},
         422, "position"),
        (f"/api/v1/plans/{pid}/visits", {"version": 1}, 422, "relay_point_id"),
        (f"/api/v1/plans/{pid}/visits", {"version": 1, "relay_point_id": 999999}, 404, "relay_point_id"),
        (f"/api/v1/plans/{pid}/visits", {"version": 1, "relay_point_id": stop["relay_point_id"] or 1,
                                         "pickup_request_id": 1}, 422, "relay_point_id"),
        (f"/api/v1/plans/{pid}/reoptimise", {"version": 1, "time_limit_s": 301}, 422, "time_limit_s"),
        (f"/api/v1/plans/{pid}/replan", {"version": 1}, 409, "plan_id"),  # a draft is edited, not re-planned
        ("/api/v1/plans/999999/reoptimise", {"version": 1}, 404, "plan_id"),
    ]
    for path, body, status, field in cases:
        r = client.post(path, json=body)
        assert r.status_code == status, (path, body, r.text)
        assert r.json()["field"] == field, (path, body, r.json())
    assert client.get(f"/api/v1/plans/{pid}").json()["version"] == 1  # nothing was changed
    assert client.get("/api/v1/plans/999999/changes").status_code == 404
