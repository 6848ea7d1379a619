"""The coordinators' /semaine page in Chromium: an overloaded day is flagged with what would fix it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.pages.conftest import screenshot

pytestmark = pytest.mark.slow
MONDAY = dt.date(2026, 11, 30)


def test_an_overloaded_day_is_flagged_with_its_fix(live_server, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from dispatch.db import session_factory
    from dispatch.models import Crew, CrewUnavailability, RelayPoint

    with session_factory(live_server.engine)() as s:
        for rp in s.scalars(select(RelayPoint).where(RelayPoint.active.is_(True))).all():
            rp.full = True
        crews = s.scalars(select(Crew).order_by(Crew.id)).all()
        out_van = crews[1].van.name
        for crew in crews[1:]:
            s.add(CrewUnavailability(crew_id=crew.id, start_date=MONDAY, end_date=MONDAY, reason="formation"))
        s.commit()

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    browser.get(f"{live_server.url}/semaine?du={MONDAY.isoformat()}&jours=3")
    if "/connexion" in browser.current_url:
        browser.find_element(By.ID, "username").send_keys(live_server.staff_username)
        browser.find_element(By.ID, "password").send_keys(live_server.staff_password)
        browser.find_element(By.ID, "login-button").click()
    WebDriverWait(browser, 15).until(lambda d: "/semaine" in d.current_url and d.find_elements(By.TAG_NAME, "h1"))
    assert "La semaine à venir" in browser.find_element(By.TAG_NAME, "h1").text
    monday = browser.find_element(By.CSS_SELECTOR, f"[data-date='{MONDAY.isoformat()}']")
    assert monday.get_attribute("data-overloaded") == "true"
    text = monday.text
    assert "Jour surchargé" in text
    assert f"Remettre en service le camion {out_van}" in text
    assert "Ajouter une tournée le samedi 5 décembre 2026" in text
    assert "Il manque le temps de" in text
    assert "rp:" not in browser.find_element(By.TAG_NAME, "main").text  # no internal id
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    screenshot(browser, "week-overloaded")
