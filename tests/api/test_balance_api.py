"""Fair work through the API and the day page: a plan asks for balancing and reports working times."""

from __future__ import annotations

from tests.api.conftest import PLAN_DAY


def test_the_api_and_the_page_ask_for_balancing(client_as, seeded):
    coordinator = client_as("coordinator")
    r = coordinator.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "balance": True})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["balanced"] and body["work_times"] and body["spread_minutes"] >= 0
    assert body["spread_minutes"] == max(w["minutes"] for w in body["work_times"]) - min(
        w["minutes"] for w in body["work_times"])
    page = coordinator.get(f"/jour/{PLAN_DAY.isoformat()}")
    assert 'id="work-times">Temps de travail\u00a0: ' in page.text and "(équilibré)" in page.text
    assert 'name="balance" value="true" checked' in page.text


def test_a_planning_job_can_ask_for_balancing(client):
    from tests.api.test_jobs import finished_job

    started = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2,
                                                     "balance": True})
    job = finished_job(client, started)
    assert job["status"] == "succeeded", job
    assert job["plan"]["balanced"] is True and job["plan"]["work_times"]
    started = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2})
    assert finished_job(client, started)["plan"]["balanced"] is False  # the setting: off
