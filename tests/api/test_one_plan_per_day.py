"""One plan per day, kept whole (issue 25, item 1 and the first part of item 2): planning requests run as jobs,
one job per day (the database refuses a second), one published plan per day, the newest draft only is
published, a replaced draft stays readable, and re-planning an edited draft keeps its locks and drops."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dispatch.db import session_scope
from tests.api.conftest import PLAN_DAY, make_staff
from tests.live_server import fast_settings, serve

VISITS = ("relay_point", "pickup")
BODY = {"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1}


def _visits(rnd):
    return [s for s in rnd["stops"] if s["kind"] in VISITS]


def test_three_plan_requests_at_once_leave_one_draft(seeded, settings, paris_network, monkeypatch):
    import api.deps
    import dispatch.roads.cache
    from api.app import create_app
    from dispatch.models import Plan, PlanStatus

    monkeypatch.setattr(dispatch.roads.cache, "get_network", lambda _s: paris_network)
    monkeypatch.setattr(api.deps, "get_network", lambda _s: paris_network)
    _, token = make_staff(seeded, "coordinator")
    barrier = threading.Barrier(3)

    def plan(_):
        with httpx.Client(timeout=120) as c:
            barrier.wait(timeout=60)
            return c.post(f"{url}/api/v1/plans", json=BODY, headers={"Authorization": f"Bearer {token}"})

    with serve(create_app(fast_settings(settings))) as url:
        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(plan, range(3)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409], [a.text for a in answers]
    for refused in (a for a in answers if a.status_code == 409):
        assert "is already" in refused.json()["detail"] and "(job " in refused.json()["detail"]
    with session_scope(seeded) as s:
        drafts = s.scalars(select(Plan).where(Plan.date == PLAN_DAY, Plan.status == PlanStatus.DRAFT)).all()
        assert len(drafts) == 1


def test_the_database_refuses_a_second_active_job_of_a_day(seeded):
    """The guard holds across API workers and Celery: the database itself refuses the second row."""
    from dispatch.models import JobStatus, PlanJob

    with session_scope(seeded) as s:
        s.add(PlanJob(id="a" * 32, date=PLAN_DAY, status=JobStatus.RUNNING, phase="solving", time_limit_s=1))
    with pytest.raises(IntegrityError):
        with session_scope(seeded) as s:
            s.add(PlanJob(id="b" * 32, date=PLAN_DAY, status=JobStatus.QUEUED, phase="queued", time_limit_s=1))
    with session_scope(seeded) as s:  # a finished job does not count
        s.get(PlanJob, "a" * 32).status = JobStatus.SUCCEEDED
    with session_scope(seeded) as s:
        s.add(PlanJob(id="b" * 32, date=PLAN_DAY, status=JobStatus.QUEUED, phase="queued", time_limit_s=1))


def test_a_second_request_while_a_job_runs_gets_409_naming_it(client, db_engine):
    from dispatch.jobs.records import create_job

    with session_scope(db_engine) as s:
        job_id = create_job(PLAN_DAY, session=s, time_limit_s=1).id
    for r in (client.post("/api/v1/plans", json=BODY), client.post("/api/v1/plan-jobs", json=BODY)):
        assert r.status_code == 409 and job_id in r.json()["detail"], r.text


def test_publishing_refuses_a_second_published_plan_and_an_older_draft(client, db_engine):
    from dispatch.models import Plan, PlanStatus

    first = client.post("/api/v1/plans", json=BODY).json()
    second = client.post("/api/v1/plans", json=BODY).json()
    # The first draft was replaced: it cannot be published any more.
    r = client.post(f"/api/v1/plans/{first['plan_id']}/publish?accept_unassigned=true")
    assert r.status_code == 409 and "replaced" in r.json()["detail"]
    # Two drafts of one day (as the race of old left them): only the newest is published.
    with session_scope(db_engine) as s:
        s.get(Plan, first["plan_id"]).status = PlanStatus.DRAFT
    r = client.post(f"/api/v1/plans/{first['plan_id']}/publish?accept_unassigned=true")
    assert r.status_code == 409 and f"plan {second['plan_id']}" in r.json()["detail"]
    assert client.post(f"/api/v1/plans/{second['plan_id']}/publish?accept_unassigned=true").status_code == 200
    with session_scope(db_engine) as s:
        s.get(Plan, first["plan_id"]).status = PlanStatus.DRAFT
    r = client.post(f"/api/v1/plans/{first['plan_id']}/publish?accept_unassigned=true")
    assert r.status_code == 409 and "already published" in r.json()["detail"]
    with pytest.raises(IntegrityError):  # and the database refuses it, whatever the code does
        with session_scope(db_engine) as s:
            s.get(Plan, first["plan_id"]).status = PlanStatus.PUBLISHED


def test_a_replaced_draft_stays_readable_in_the_history(client):
    first = client.post("/api/v1/plans", json=BODY).json()
    again = client.post("/api/v1/plans", json=BODY)
    assert again.status_code == 201 and again.json()["plan_id"] != first["plan_id"]
    old = client.get(f"/api/v1/plans/{first['plan_id']}")
    assert old.status_code == 200 and old.json()["status"] == "replaced"
    assert old.json()["rounds"] == first["rounds"]
    changes = client.get(f"/api/v1/plans/{first['plan_id']}/changes").json()
    assert changes[-1]["op"] == "replaced" and changes[-1]["detail"]["by_plan_id"] == again.json()["plan_id"]
    day = client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()}).json()
    assert day["plan_id"] == again.json()["plan_id"]
    stop = _visits(first["rounds"][0])[0]
    r = client.post(f"/api/v1/plans/{first['plan_id']}/stops/{stop['stop_id']}/lock", json={"version": 2})
    assert r.status_code == 409 and "replaced" in r.json()["detail"]


@pytest.mark.parametrize("seed", [1, 4])
def test_replanning_an_edited_draft_keeps_its_locks_and_drops(client, seed):
    """Seed 4: the locked relay point is worth less than its detour; before, the search dropped it (CI, stop 28)."""
    body = {**BODY, "seed": seed}
    draft = client.post("/api/v1/plans", json=body).json()
    pid = draft["plan_id"]
    rounds = [r for r in draft["rounds"] if len(_visits(r)) >= 3]
    rnd = rounds[-1]
    # Lock the last two visits of a round (a coordinator's choice the solver would not make on its own).
    a, b = _visits(rnd)[-1], _visits(rnd)[-2]
    version = draft["version"]
    for stop in (a, b):
        r = client.post(f"/api/v1/plans/{pid}/stops/{stop['stop_id']}/lock", json={"version": version})
        assert r.status_code == 200, r.text
        version = r.json()["version"]
    dropped = _visits(rounds[0])[0]
    r = client.post(f"/api/v1/plans/{pid}/stops/{dropped['stop_id']}/drop", json={"version": version, "force": True})
    assert r.status_code == 200, r.text

    again = client.post("/api/v1/plans", json=body)
    assert again.status_code == 201, again.text
    new = again.json()

    def key(s):
        return (s["kind"], s.get("relay_point_id") or s.get("pickup_request_id"))

    same_crew = next(r for r in new["rounds"] if r["crew"] == rnd["crew"])
    keys = [key(s) for s in _visits(same_crew)]
    assert key(a) in keys and key(b) in keys, "the locked visits stay in their crew's round"
    assert keys.index(key(a)) > keys.index(key(b)), "in the order the coordinator locked them"
    in_rounds = {key(s) for r in new["rounds"] for s in _visits(r)}
    assert key(dropped) not in in_rounds
    left_out = [u for u in new["unassigned"] if u["reason"] == "dropped"]
    assert len(left_out) == 1 and "previous draft" in left_out[0]["detail"]


def test_planning_from_the_day_page_runs_as_a_job_with_progress_shown(client, api_app, db_engine):
    from dispatch.models import JobStatus, PlanJob

    day_url = f"/jour/{PLAN_DAY.isoformat()}"
    r = client.post(f"{day_url}/planifier", data={"time_limit_s": "2"}, follow_redirects=False)
    assert r.status_code == 303 and "?job=" in r.headers["location"], r.text
    job_id = r.headers["location"].split("job=")[1][:32]
    with session_scope(db_engine) as s:
        job = s.get(PlanJob, job_id)
        assert job is not None and job.params["actor"] == "test-admin"
        running = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    if running:  # the page says a plan is being computed and offers no second one
        page = client.get(r.headers["location"]).text
        assert 'id="job"' in page and "Calcul en cours" in page and "/static/day.js" in page
        again = client.post(f"{day_url}/planifier", data={"time_limit_s": "2"}, follow_redirects=False)
        assert again.status_code == 409
    api_app.state.job_runner.wait(job_id, timeout=120)
    with session_scope(db_engine) as s:
        assert s.get(PlanJob, job_id).status is JobStatus.SUCCEEDED
    page = client.get(day_url).text
    assert 'id="job"' not in page and "brouillon" in page
