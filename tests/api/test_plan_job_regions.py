"""POST /api/v1/plan-jobs with regions; GET shows the job's progress."""

from __future__ import annotations

from tests.api.conftest import PLAN_DAY


def test_unknown_regions_are_refused_naming_the_field(client):
    r = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat(), "regions": ["atlantis"]})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["field"] == "regions" and "'default'" in body["detail"]
    r = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat(), "regions": []})
    assert r.status_code == 422


def test_a_job_for_the_default_region_shows_its_progress(client):
    r = client.post("/api/v1/plan-jobs", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1,
                                               "regions": ["default"]})
    assert r.status_code == 202, r.text
    job_id = r.json()["job"]["id"]
    assert r.json()["job"]["regions"] == ["default"]
    client.app.state.job_runner.wait(job_id, timeout=120)
    job = client.get(f"/api/v1/plan-jobs/{job_id}").json()
    assert job["status"] == "succeeded", job
    assert job["progress"]["phase"] == "done" and job["progress"]["regions_total"] == 1
    assert job["progress"]["regions"]["default"]["done"] is True
    assert job["progress"]["best_cost"] == job["best_cost"] > 0 and job["plan"]["rounds_count"] >= 2
