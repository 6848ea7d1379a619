"""In real headless Chromium, with a real local SMTP server: a donor books on /donner and receives the
confirmation e-mail; a donor cancels from /suivi and the slot is freed and the stop leaves the day's draft;
the switchboard takes a call on /standard (address, verdict, slots, create, previous requests, cancel)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from tests.messages.servers import SmtpServer, free_port
from dispatch.workdays import local_today
from tests.pages.conftest import ARTIFACTS, live_app, screenshot, wait_for

pytestmark = pytest.mark.slow
SWITCHBOARD = ("standard", "standard password")


def _today() -> dt.date:
    return local_today("Europe/Paris")


def _days() -> tuple[dt.date, dt.date]:
    """A planned day (demo pickups, a draft) and a free day for new bookings, both bookable from today."""
    from dispatch.workdays import next_collection_day

    planned = next_collection_day(_today() + dt.timedelta(days=7))
    return planned, next_collection_day(planned)


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def donor_server(paris_network, tmp_path_factory, smtp):
    from dispatch.access.auth import create_user
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.demo import seed_demo
    from dispatch.models import PickupRequest
    from dispatch.planning.day import plan_day
    from dispatch.settings import Settings

    url = f"sqlite:///{tmp_path_factory.mktemp('donor') / 'donor.sqlite3'}"
    upgrade(url)
    settings = Settings(database_url=url, solve_time_limit_s=2, solve_solution_limit=30, job_isolation="thread",
                        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False,
                        messages_delivery_interval_s=0.3, webhook_delivery_interval_s=0, _env_file=None)
    planned, _ = _days()
    with session_scope(engine_for(url)) as s:
        seed_demo(planned, session=s)
        for pu in s.scalars(select(PickupRequest)):
            pu.email = f"{pu.ref.lower()}@example.org"
        plan_day(planned, settings, paris_network, session=s, time_limit_s=2, seed=1)
        create_user(*SWITCHBOARD, "switchboard", session=s)
    with live_app(settings, paris_network, "donor-pages-secret") as base:
        yield base, engine_for(url)


def _mail_to(smtp, address: str, subject_part: str, timeout: float = 20.0):
    """The e-mail the delivery thread sends (it runs every 0.3 s): waited for, not timed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = [m for m in smtp.messages if m["To"] == address and subject_part in m["Subject"]]
        if found:
            return found
        time.sleep(0.1)
    return []


def test_booking_on_the_donor_page_sends_the_confirmation_e_mail(donor_server, phone, smtp) -> None:
    from selenium.webdriver.common.by import By

    url, _ = donor_server
    _, free_day = _days()
    phone.get(f"{url}/donner?lat=48.88929&lon=2.37139")
    form = phone.find_element(By.ID, "pickup")
    for field, value in (("donor_name", "Élise Donatrice"), ("phone", "06 12 34 56 78"),
                         ("email", "elise@example.org"), ("address", "46 Rue Riquet"), ("postcode", "75019"),
                         ("volume_m3", "3"), ("floor", "2")):
        form.find_element(By.NAME, field).clear()
        form.find_element(By.NAME, field).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "input[name='categories'][value='books']").click()
    phone.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', "
                         "{bubbles: true}))", form.find_element(By.NAME, "date"), free_day.isoformat())
    wait_for(phone, lambda d: "respecte nos règles" in d.find_element(By.ID, "live").text)
    phone.find_element(By.CSS_SELECTOR, "#pickup button[type='submit']").click()
    result = wait_for(phone, lambda d: d.find_elements(By.ID, "result"))[0]
    assert result.get_attribute("data-accepted") == "true"
    ref = next(w for w in result.text.replace(".", " ").split() if w.startswith("PU-"))
    mails = _mail_to(smtp, "elise@example.org", ref)
    assert len(mails) == 1, "the local SMTP server received no confirmation"
    text = mails[0].get_content()
    assert "est acceptée" in text and "À préparer" in text and "Élise" not in text


def test_cancelling_from_the_tracking_page_frees_the_slot_and_leaves_the_draft(donor_server, phone, smtp) -> None:
    from selenium.webdriver.common.by import By

    from dispatch.db import session_factory
    from dispatch.models import Plan, PickupRequest, PickupStatus, PlanChange, StopKind
    from dispatch.pickups.requests import booked_slots

    url, engine = donor_server
    planned, _ = _days()
    with session_factory(engine)() as s:
        plan = s.scalars(select(Plan).where(Plan.date == planned)).one()
        stop = next(st for r in plan.rounds for st in r.stops if st.kind is StopKind.PICKUP)
        pu = stop.pickup_request
        ref, last4, pid, slot = pu.ref, "".join(c for c in pu.phone if c.isdigit())[-4:], pu.id, pu.slot.value
        booked = booked_slots(session=s, start=planned, end=planned)[(planned, slot)]
    phone.get(f"{url}/suivi")
    phone.find_element(By.NAME, "ref").send_keys(ref)
    phone.find_element(By.NAME, "tel").send_keys(last4)
    phone.find_element(By.CSS_SELECTOR, "#track button[type='submit']").click()
    wait_for(phone, lambda d: d.find_element(By.ID, "cancel"))
    assert phone.find_element(By.ID, "move").find_elements(By.TAG_NAME, "option")  # free slots to move to
    screenshot(phone, "tracking-change")
    phone.find_element(By.CSS_SELECTOR, "#cancel input[name='confirm']").click()
    phone.find_element(By.CSS_SELECTOR, "#cancel button[type='submit']").click()
    done = wait_for(phone, lambda d: d.find_elements(By.ID, "done"))[0]
    assert "Votre enlèvement est annulé" in done.text
    assert phone.find_element(By.ID, "result").get_attribute("data-status") == "cancelled"
    assert not phone.find_elements(By.ID, "cancel")
    screenshot(phone, "tracking-cancelled")
    with session_factory(engine)() as s:
        plan = s.scalars(select(Plan).where(Plan.date == planned)).one()
        assert s.get(PickupRequest, pid).status is PickupStatus.CANCELLED
        assert pid not in {st.pickup_request_id for r in plan.rounds for st in r.stops}
        assert pid not in {u.pickup_request_id for u in plan.unassigned}
        assert booked_slots(session=s, start=planned, end=planned).get((planned, slot), 0) == booked - 1
        change = s.scalars(select(PlanChange).where(PlanChange.plan_id == plan.id)).all()[-1]
        assert change.op == "cancel_pickup" and change.actor == "donor (suivi)"
    assert len(_mail_to(smtp, f"{ref.lower()}@example.org", "annulé")) == 1


def test_the_switchboard_takes_a_call_in_one_screen(donor_server, browser) -> None:
    from selenium.webdriver.common.by import By

    url, _ = donor_server
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 1280, "height": 1400, "deviceScaleFactor": 1, "mobile": False})
    browser.get(f"{url}/standard")
    wait_for(browser, lambda d: "/connexion" in d.current_url)
    browser.find_element(By.ID, "username").send_keys(SWITCHBOARD[0])
    browser.find_element(By.ID, "password").send_keys(SWITCHBOARD[1])
    browser.find_element(By.ID, "login-button").click()
    wait_for(browser, lambda d: d.current_url.endswith("/standard"))
    assert "Standard" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.ID, "address-q").send_keys("46 rue riquet")
    choice = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#address-results button"))
    assert "Riquet" in choice.text
    choice.click()
    wait_for(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#relay-points li")) >= 1)
    form = browser.find_element(By.ID, "pickup")
    assert form.find_element(By.NAME, "postcode").get_attribute("value") == "75019"
    form.find_element(By.NAME, "volume_m3").send_keys("1")
    wait_for(browser, lambda d: d.find_element(By.ID, "small-volume").is_displayed())  # below 2 m³: a relay point
    assert "point relais" in browser.find_element(By.ID, "small-volume").text
    wait_for(browser, lambda d: "2 m³" in d.find_element(By.ID, "verdict").text)
    form.find_element(By.NAME, "volume_m3").clear()
    form.find_element(By.NAME, "volume_m3").send_keys("3")
    for field, value in (("donor_name", "M. Appelant"), ("phone", "07 11 22 33 44"), ("floor", "1")):
        form.find_element(By.NAME, field).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "input[name='categories'][value='furniture']").click()
    slot = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "#slots button"))
    slot.click()
    wait_for(browser, lambda d: "respecte nos règles" in d.find_element(By.ID, "verdict").text)
    browser.find_element(By.ID, "create").click()
    created = wait_for(browser, lambda d: d.find_element(By.ID, "created-ref"))
    assert "acceptée" in created.text
    ref = next(w for w in created.text.split() if w.startswith("PU-"))
    item = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"#history li[data-ref='{ref}']"))
    ARTIFACTS.mkdir(exist_ok=True)
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(ARTIFACTS / "switchboard.png"))
    before = (item.get_attribute("data-date"), item.get_attribute("data-slot"))
    item.find_element(By.CSS_SELECTOR, "[data-action='move']").click()
    target = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"#history li[data-ref='{ref}'] select"))
    chosen = target.find_elements(By.TAG_NAME, "option")[-1]
    new_date, new_slot = chosen.get_attribute("value").split("|")
    chosen.click()
    browser.find_element(By.CSS_SELECTOR, f"#history li[data-ref='{ref}'] [data-action='move-ok']").click()
    moved = f"#history li[data-ref='{ref}'][data-date='{new_date}'][data-slot='{new_slot}']"
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, moved))
    assert (new_date, new_slot) != before
    item = browser.find_element(By.CSS_SELECTOR, f"#history li[data-ref='{ref}']")
    item.find_element(By.CSS_SELECTOR, "[data-action='cancel']").click()
    browser.switch_to.alert.accept()
    wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"#history li[data-ref='{ref}']")
          .get_attribute("data-status") == "cancelled")
