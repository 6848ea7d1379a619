"""End-to-end in real headless Chromium at a phone viewport: crew sheet (with a network cut),
relay-point flag, donor requests. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.pages.conftest import ARTIFACTS, screenshot, wait_for

pytestmark = pytest.mark.slow

OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0}
ONLINE = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def _session(live_server):
    from dispatch.db import session_factory

    return session_factory(live_server.engine)()


def _queue_length(driver, token) -> int:
    return driver.execute_script(f"return JSON.parse(localStorage.getItem('amistock-queue-{token}') || '[]').length")


def test_driver_marks_two_stops_one_while_offline(live_server, phone) -> None:
    from selenium.webdriver.common.by import By

    from dispatch.field import links
    from dispatch.models import Plan, RelayPoint, StopEvent

    with _session(live_server) as s:
        rnd = s.scalars(select(Plan)).first().rounds[0]
        token, _ = links.round_link(rnd.id, session=s, settings=live_server.settings)
        first, second = rnd.stops[0], rnd.stops[1]
        first_id, second_id, second_rp = first.id, second.id, second.relay_point_id

    phone.get(f"{live_server.url}/r/{token}")
    assert "Ma tournée" in phone.find_element(By.TAG_NAME, "h1").text
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    links_text = phone.find_element(By.ID, f"stop-{first_id}").get_attribute("innerHTML")
    assert "tel:" in links_text and "geo:" in links_text and "openstreetmap.org" in links_text

    # 1. online: arrived at the first stop
    phone.find_element(By.CSS_SELECTOR, f"#stop-{first_id} [data-action='arrived']").click()
    wait_for(phone, lambda d: "✓" in d.find_element(By.CSS_SELECTOR, f"#stop-{first_id} .state").text)

    # 2. network cut: collected at the second stop, 1,5 m³ (kept in the page's queue)
    phone.execute_cdp_cmd("Network.enable", {})
    phone.execute_cdp_cmd("Network.emulateNetworkConditions", OFFLINE)
    phone.find_element(By.CSS_SELECTOR, f"#stop-{second_id} [data-action='open-collected']").click()
    field = phone.find_element(By.CSS_SELECTOR, f"#stop-{second_id} input[name='collected_m3']")
    field.clear()
    field.send_keys("1.5")
    phone.find_element(By.CSS_SELECTOR, f"#stop-{second_id} form[data-panel='collected'] button[type='submit']").click()
    wait_for(phone, lambda d: d.find_element(By.ID, "offline").is_displayed())
    assert _queue_length(phone, token) == 1
    assert "attente" in phone.find_element(By.CSS_SELECTOR, f"#stop-{second_id} .state").text
    screenshot(phone, "driver-sheet-offline")
    with _session(live_server) as s:
        assert [e.stop_id for e in s.scalars(select(StopEvent)).all()] == [first_id]

    # 3. back online: the queue is sent, exactly once
    phone.execute_cdp_cmd("Network.emulateNetworkConditions", ONLINE)
    wait_for(phone, lambda d: _queue_length(d, token) == 0)
    wait_for(phone, lambda d: "✓" in d.find_element(By.CSS_SELECTOR, f"#stop-{second_id} .state").text)
    screenshot(phone, "driver-sheet-synced")
    with _session(live_server) as s:
        events = s.scalars(select(StopEvent).order_by(StopEvent.id)).all()
        assert [(e.stop_id, e.kind.value, e.collected_m3) for e in events] == [
            (first_id, "arrived", None), (second_id, "collected", 1.5)]
        assert s.get(RelayPoint, second_rp).stock_m3 == 0
    sent = [p for p in live_server.posts if p.endswith(f"/stops/{second_id}/events")]
    assert len(sent) == 1, sent

    # the page reloaded shows what the server holds
    phone.get(f"{live_server.url}/r/{token}")
    assert phone.find_element(By.ID, f"stop-{second_id}").get_attribute("data-state") == "collected"


def test_bad_round_link_gives_a_french_page(live_server, phone) -> None:
    from selenium.webdriver.common.by import By

    phone.get(f"{live_server.url}/r/1.99999999999.forged")
    assert "lien n'est pas valide" in phone.find_element(By.TAG_NAME, "main").text


def test_relay_point_flags_full_once(live_server, phone) -> None:
    from selenium.webdriver.common.by import By

    from dispatch.field import links
    from dispatch.models import RelayPoint, ReportSource, StockReport

    with _session(live_server) as s:
        rp = s.scalars(select(RelayPoint).where(RelayPoint.full.is_(False)).order_by(RelayPoint.id.desc())).first()
        token = links.create_relay_point_link(rp.id, session=s)
        rp_id = rp.id
        s.commit()
    phone.get(f"{live_server.url}/p/{token}")
    phone.find_element(By.ID, "full-button").click()
    confirmation = wait_for(phone, lambda d: d.find_elements(By.ID, "confirmation"))[0]
    assert "Merci" in confirmation.text
    screenshot(phone, "relay-point-full")
    phone.find_element(By.ID, "full-button").click()  # pressed again
    wait_for(phone, lambda d: "déjà noté" in d.find_element(By.ID, "confirmation").text)
    with _session(live_server) as s:
        assert s.get(RelayPoint, rp_id).full is True
        reports = s.scalars(select(StockReport).where(StockReport.relay_point_id == rp_id,
                                                      StockReport.source == ReportSource.RELAY_POINT)).all()
        assert len(reports) == 1


def _fill_pickup(driver, *, volume: str, categories: list[str], day: dt.date, name: str) -> None:
    from selenium.webdriver.common.by import By

    form = driver.find_element(By.ID, "pickup")
    for field, value in (("donor_name", name), ("phone", "06 12 34 56 78"), ("address", "46 Rue Riquet"),
                         ("postcode", "75019"), ("volume_m3", volume), ("floor", "2")):
        el = form.find_element(By.NAME, field)
        el.clear()
        el.send_keys(value)
    for c in categories:
        form.find_element(By.CSS_SELECTOR, f"input[name='categories'][value='{c}']").click()
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', "
                          "{bubbles: true}))", form.find_element(By.NAME, "date"), day.isoformat())


def test_donor_request_refused_then_accepted(live_server, phone) -> None:
    from selenium.webdriver.common.by import By

    from dispatch.models import PickupRequest, PickupStatus
    from dispatch.workdays import next_collection_day

    day = next_collection_day(next_collection_day(dt.date.today() + dt.timedelta(days=1)))
    while day == dt.date(2026, 12, 1):  # the demo's pickups fill that day's home-pickup capacity
        day = next_collection_day(day)
    phone.get(f"{live_server.url}/donner?lat=48.88929&lon=2.37139")
    nearby = phone.find_element(By.ID, "nearby").text
    assert "Amistocks les plus proches" in nearby and "à pied" in nearby

    _fill_pickup(phone, volume="1", categories=["mattress"], day=day, name="Refus <script>x</script>")
    live = wait_for(phone, lambda d: d.find_element(By.ID, "live").is_displayed() and d.find_element(By.ID, "live"))
    wait_for(phone, lambda d: "matelas" in live.text)
    phone.find_element(By.CSS_SELECTOR, "#pickup button[type='submit']").click()
    result = wait_for(phone, lambda d: d.find_elements(By.ID, "result"))[0]
    assert result.get_attribute("data-accepted") == "false"
    assert "minimum de 2 m³" in result.text and "matelas" in result.text
    assert "Vous pouvez déposer vos dons" in phone.find_element(By.ID, "nearby").text
    screenshot(phone, "donor-refused")

    phone.get(f"{live_server.url}/donner?lat=48.88929&lon=2.37139")
    _fill_pickup(phone, volume="3", categories=["books", "furniture"], day=day, name="Élise Donatrice")
    wait_for(phone, lambda d: "respecte nos règles" in d.find_element(By.ID, "live").text)
    phone.find_element(By.CSS_SELECTOR, "#pickup button[type='submit']").click()
    result = wait_for(phone, lambda d: d.find_elements(By.ID, "result"))[0]
    assert result.get_attribute("data-accepted") == "true" and "Demande acceptée" in result.text
    screenshot(phone, "donor-accepted")
    with _session(live_server) as s:
        rows = {p.donor_name: p.status for p in s.scalars(select(PickupRequest)).all()}
        assert rows["Refus <script>x</script>"] is PickupStatus.REFUSED  # stored as typed, shown escaped
        assert rows["Élise Donatrice"] is PickupStatus.ACCEPTED


def test_coordinator_day_page(live_server, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 1100, "height": 1400, "deviceScaleFactor": 1, "mobile": False})
    browser.get(f"{live_server.url}/jour/2026-12-01")
    # not signed in: the sign-in page first, then back to the day
    wait_for(browser, lambda d: "/connexion" in d.current_url)
    assert "Connexion" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.ID, "username").send_keys(live_server.staff_username)
    browser.find_element(By.ID, "password").send_keys(live_server.staff_password)
    browser.find_element(By.ID, "login-button").click()
    wait_for(browser, lambda d: d.current_url.endswith("/jour/2026-12-01"))
    assert browser.get_cookie("dispatch_session")["httpOnly"] is True
    assert "Journée du mardi 1er décembre 2026" in browser.find_element(By.TAG_NAME, "h1").text
    svg = browser.find_element(By.CSS_SELECTOR, "svg.daymap")
    assert len(svg.find_elements(By.TAG_NAME, "polyline")) >= 5
    assert "reporté" in browser.find_element(By.TAG_NAME, "main").text  # the unassigned visit's reason
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "coordinator-day.png"))
