"""A two-depot day set up through the API (no SQL) and planned from the coordinator's day page:
each van starts and ends its round at its own depot."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from tests.pages.conftest import ARTIFACTS, wait_for

pytestmark = pytest.mark.slow

DAY = "2026-12-02"  # a Wednesday: relay points only (the demo's pickups are on the 1st)


def _api(live_server) -> httpx.Client:
    from dispatch.access import auth
    from dispatch.db import session_scope

    with session_scope(live_server.engine) as s:
        user = auth.create_user("depots-admin", "depots admin password", "admin", session=s)
        token, _ = auth.issue_token(user, session=s)
    return httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _sign_in(browser, live_server, path: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server.url}{path}")
    if "/connexion" in browser.current_url:
        browser.find_element(By.ID, "username").send_keys(live_server.staff_username)
        browser.find_element(By.ID, "password").send_keys(live_server.staff_password)
        browser.find_element(By.ID, "login-button").click()
        wait_for(browser, lambda d: d.current_url.split("?")[0].endswith(path))


def test_two_depot_day_planned_from_the_page_keeps_each_van_on_its_depot(live_server, browser) -> None:
    from selenium.webdriver.common.by import By

    from dispatch.db import session_factory
    from dispatch.documents.geometry import round_geojson
    from dispatch.models import Plan
    from dispatch.roads.cache import get_network

    api = _api(live_server)
    south = api.post("/api/v1/depots", json={
        "name": "Dépôt Sud", "address": "92 boulevard Masséna, 75013 Paris", "lat": 48.8215, "lon": 2.3675,
        "opening_hours": [{"days": [0, 1, 2, 3, 4, 5], "open": "07:00", "close": "18:00"}]})
    assert south.status_code == 201, south.text
    vans = api.get("/api/v1/vans").json()
    moved = [v for v in vans if v["name"] in ("Fourgon 3", "Fourgon 4")]
    for van in moved:
        assert api.patch(f"/api/v1/vans/{van['id']}", json={"depot_id": south.json()["id"]}).status_code == 200

    # Work on both sides of the city: relay points reported full in the south and in the north-east.
    relay_points = api.get("/api/v1/relay-points", params={"limit": 200}).json()["items"]
    for rp in relay_points:
        if rp["postcode"] in ("75013", "75014", "75019"):
            assert api.post(f"/api/v1/relay-points/{rp['id']}/reports", json={"full": True}).status_code == 201

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 1100, "height": 1400, "deviceScaleFactor": 1, "mobile": False})
    _sign_in(browser, live_server, f"/jour/{DAY}")
    field = browser.find_element(By.NAME, "time_limit_s")
    field.clear()
    field.send_keys("3")
    field.submit()
    wait_for(browser, lambda d: "ok=planned" in d.current_url)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "two-depots-day.png"))

    network = get_network(live_server.settings)
    with session_factory(live_server.engine)() as s:
        plan = s.scalars(select(Plan).order_by(Plan.id.desc())).first()
        assert plan.date.isoformat() == DAY
        depots = {r.van.name: r.van.depot.name for r in plan.rounds}
        assert {depots.get("Fourgon 3"), depots.get("Fourgon 4")} - {None} <= {"Dépôt Sud"}
        assert set(depots.values()) == {"Dépôt Sud", "Emmaüs Défi — Dépôt Archereau"}, depots  # both depots work
        for rnd in plan.rounds:
            # The stored distance is the solver's; the map's legs run depot -> stops -> depot from the van's own
            # depot. Had the solver started a van elsewhere, they would differ by kilometres.
            geo = round_geojson(rnd.id, session=s, network=network,
                                max_snap_distance_m=live_server.settings.max_snap_distance_m)
            assert abs(geo["properties"]["km"] - rnd.distance_m / 1000) < 0.5, (rnd.van.name, geo["properties"])
