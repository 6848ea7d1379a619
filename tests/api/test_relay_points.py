from __future__ import annotations


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}


def test_list_relay_points_paginates(client):
    r = client.get("/api/v1/relay-points", params={"limit": 25, "offset": 50})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 60 and len(body["items"]) == 10
    full = client.get("/api/v1/relay-points", params={"full": True, "limit": 500}).json()
    assert full["total"] == len(full["items"]) >= 5
    assert all(item["full"] and item["fill_pct"] == 100 for item in full["items"])


def test_unknown_relay_point_is_a_404_problem(client):
    r = client.get("/api/v1/relay-points/999999")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "999999" in r.json()["detail"]


def _not_full(client):
    return client.get("/api/v1/relay-points", params={"full": False, "limit": 1}).json()["items"][0]


def test_report_full_sets_the_flag_and_keeps_history(client):
    rp = _not_full(client)
    r = client.post(f"/api/v1/relay-points/{rp['id']}/reports", json={"full": True, "note": "plus de place"})
    assert r.status_code == 201, r.text
    after = client.get(f"/api/v1/relay-points/{rp['id']}").json()
    assert after["full"] is True and after["stock_m3"] == rp["capacity_m3"]
    history = client.get(f"/api/v1/relay-points/{rp['id']}/reports").json()
    assert history[0]["full"] is True and history[0]["source"] == "relay_point"
    assert len(history) == 2  # the demo's initial stock, then this report


def test_report_level_sets_stock(client):
    rp = _not_full(client)
    r = client.post(f"/api/v1/relay-points/{rp['id']}/reports", json={"level_pct": 50})
    assert r.status_code == 201
    after = client.get(f"/api/v1/relay-points/{rp['id']}").json()
    assert after["stock_m3"] == round(rp["capacity_m3"] / 2, 3) and after["full"] is False


def test_bad_reports_are_refused_with_the_field(client):
    rp = _not_full(client)
    url = f"/api/v1/relay-points/{rp['id']}/reports"
    both = client.post(url, json={"level_pct": 50, "full": True})
    assert both.status_code == 422 and "exactly one" in both.json()["detail"]
    none = client.post(url, json={})
    assert none.status_code == 422 and "got none" in none.json()["detail"]
    too_high = client.post(url, json={"level_pct": 140})
    assert too_high.status_code == 422 and too_high.json()["field"] == "level_pct"
    too_much = client.post(url, json={"stock_m3": rp["capacity_m3"] + 5})
    assert too_much.status_code == 422 and "capacity" in too_much.json()["detail"]
    assert client.post("/api/v1/relay-points/424242/reports", json={"full": True}).status_code == 404
    not_json = client.post(url, content=b"full", headers={"content-type": "application/json"})
    assert not_json.status_code == 422
    # Nothing of the refused reports was stored.
    assert len(client.get(f"{url}").json()) == 1


def test_forecast_of_a_relay_point(client):
    rp = _not_full(client)
    r = client.get(f"/api/v1/relay-points/{rp['id']}/forecast", params={"days": 5})
    assert r.status_code == 200, r.text
    fc = r.json()
    assert fc["rate_m3_per_day"] > 0 and fc["rate_95"][0] <= fc["rate_m3_per_day"] <= fc["rate_95"][1]
    probabilities = list(fc["p_full_by"].values())
    assert len(probabilities) == 5 and probabilities == sorted(probabilities)
    client.post(f"/api/v1/relay-points/{rp['id']}/reports", json={"full": True})
    full = client.get(f"/api/v1/relay-points/{rp['id']}/forecast").json()
    assert full["fill_ratio"] == 1.0 and min(full["p_full_by"].values()) == 1.0
    assert client.get("/api/v1/relay-points/999999/forecast").status_code == 404
