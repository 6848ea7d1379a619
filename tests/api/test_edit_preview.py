"""Edits previewed before saving (issue 25, item 3): a dry run answers the plan as the edit would leave it and
changes nothing; refusals name the stop and say clock times, never seconds or solver ids."""

from __future__ import annotations

import re

from tests.api.conftest import PLAN_DAY

VISITS = ("relay_point", "pickup")


def _visits(rnd):
    return [s for s in rnd["stops"] if s["kind"] in VISITS]


def test_a_dry_run_move_shows_the_new_times_and_changes_nothing(client):
    draft = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1}).json()
    pid = draft["plan_id"]
    rnd = max(draft["rounds"], key=lambda r: len(_visits(r)))
    first, last = _visits(rnd)[0], _visits(rnd)[-1]
    body = {"version": 1, "round_id": rnd["id"], "position": 1, "force": True}
    r = client.post(f"/api/v1/plans/{pid}/stops/{last['stop_id']}/move?dry_run=true", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["X-Dry-Run"] == "true"
    moved = next(x for x in r.json()["rounds"] if x["id"] == rnd["id"])
    assert _visits(moved)[0]["stop_id"] == last["stop_id"]
    assert _visits(moved)[0]["planned_arrival"] != last["planned_arrival"]
    now = client.get(f"/api/v1/plans/{pid}").json()
    assert now["version"] == 1 and now["rounds"] == draft["rounds"]
    assert client.get(f"/api/v1/plans/{pid}/changes").json() == []
    saved = client.post(f"/api/v1/plans/{pid}/stops/{last['stop_id']}/move", json=body)
    assert saved.status_code == 200 and saved.json()["version"] == 2
    # the same round as previewed; an unloading stop is written anew, so its id comes from the database's
    # sequence (PostgreSQL does not give back the id the rolled-back preview used)
    def same(stops):
        return [s if s["kind"] in ("relay_point", "pickup") else {**s, "stop_id": None} for s in stops]

    saved_round = next(x for x in saved.json()["rounds"] if x["id"] == rnd["id"])
    assert same(saved_round["stops"]) == same(moved["stops"])
    assert first["stop_id"] in [s["stop_id"] for s in _visits(moved)]


def test_a_refused_edit_names_the_stop_with_clock_times(client):
    draft = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1}).json()
    pid = draft["plan_id"]
    rounds = sorted((r for r in draft["rounds"] if _visits(r)), key=lambda r: len(_visits(r)))
    refused = None
    for stop in (s for r in rounds[:-1] for s in _visits(r)):  # pile visits onto the longest round
        r = client.post(f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/move?dry_run=true",
                        json={"version": 1, "round_id": rounds[-1]["id"], "position": 1})
        if r.status_code == 422:
            refused = r.json()
            break
    assert refused is not None, "some move breaks a rule"
    assert refused["field"] == "force" and refused["violations"]
    assert not re.search(r"\bcrew:\d+|\b\d{5}\b", refused["detail"]), refused["detail"]
    w = refused["violations"][0]
    assert w["stop"] and w["rule"]
    assert any(re.fullmatch(r"\d\d:\d\d", str(v or "")) for v in (w.get("at"), w.get("end"))) or w["rule"] in (
        "capacity", "break", "closed")
