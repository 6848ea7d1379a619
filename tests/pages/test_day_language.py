"""The coordinator's day page in French, in a real browser: the infeasibility and every unassigned reason
are in French, with names and addresses, and no internal id (pu:1, rp:3)."""

from __future__ import annotations

import json
import re

import pytest

from tests.documents.language_check import foreign_text
from tests.pages.conftest import ARTIFACTS
from tests.pages.conftest import wait_for
from tests.pages.test_two_depots import _sign_in

pytestmark = pytest.mark.slow

DAY = "2026-12-03"  # a Thursday


def test_day_page_in_french_says_why_with_names(live_server, browser) -> None:
    import datetime as dt

    from selenium.webdriver.common.by import By

    from dispatch.db import session_scope
    from dispatch.demo import add_pickup, load_demo

    item = json.loads(json.dumps(load_demo()["pickups"][0]))
    with session_scope(live_server.engine) as s:
        add_pickup(item, dt.date.fromisoformat(DAY), session=s, ref="ENL-XXL", donor_name="Mme Grandvolume",
                   address="3 rue de la Grange-aux-Belles, 75010 Paris", volume_m3=30.0)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 1100, "height": 1400, "deviceScaleFactor": 1, "mobile": False})
    _sign_in(browser, live_server, f"/jour/{DAY}")
    browser.find_element(By.NAME, "time_limit_s").submit()
    wait_for(browser, lambda d: "ok=planned" in d.current_url)
    said = browser.find_element(By.ID, "explanation").text
    assert said.startswith("Plan incomplet : 1 visite obligatoire ne peut pas être faite : ENL-XXL Mme Grandvolume "
                           "(3 rue de la Grange-aux-Belles, 75010 Paris) — 30,0 m³ à collecter"), said
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-reason]")
    assert rows, "no unassigned visit listed"
    for row in rows:
        cells = row.find_elements(By.TAG_NAME, "td")
        assert cells[0].text.strip() and cells[2].text.strip(), row.text
    main = browser.find_element(By.TAG_NAME, "main").text
    assert not re.search(r"\b(pu|rp):\d+", main), main
    assert foreign_text(browser.page_source, "fr") == []
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "day-language-fr.png"))
