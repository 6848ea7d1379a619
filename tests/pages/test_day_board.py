"""The coordinator's day on one page, in real headless Chromium (issue 25): a stop moved on /jour shows its new
times before it is saved; a mid-day re-plan is previewed, then confirmed; a crew's "missed" appears without
reloading; a crew sheet open during the re-plan says "Votre tournée a changé". Screenshots: test-artifacts/."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.pages.conftest import LiveServer, live_app, screenshot, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def board(paris_network, tmp_path_factory):
    """A live app over a seeded database with a DRAFT plan of the day (the tests publish it in turn), pages
    polling every second."""
    from dispatch.access.auth import create_user
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.demo import seed_demo
    from dispatch.settings import Settings
    from tests.pages.plan_data import DAY, build_plan

    url = f"sqlite:///{tmp_path_factory.mktemp('board') / 'board.sqlite3'}"
    upgrade(url)
    with session_scope(engine_for(url)) as s:
        seed_demo(DAY, session=s)
        build_plan(s, published=False)
        create_user(LiveServer.staff_username, LiveServer.staff_password, "coordinator", session=s)
    settings = Settings(database_url=url, solve_time_limit_s=2, job_isolation="thread", day_page_poll_ms=1000,
                        sheet_poll_ms=1000, _env_file=None)
    with live_app(settings, paris_network, "board-test-secret") as base:
        yield LiveServer(base, engine_for(url), settings)


def _plan(board):
    from dispatch.db import session_factory
    from dispatch.models import Plan

    s = session_factory(board.engine)()
    return s, s.scalars(select(Plan).order_by(Plan.id.desc())).first()


def _sign_in(board, browser, path):
    from selenium.webdriver.common.by import By

    browser.get(f"{board.url}{path}")
    if "/connexion" in browser.current_url:
        browser.find_element(By.ID, "username").send_keys(board.staff_username)
        browser.find_element(By.ID, "password").send_keys(board.staff_password)
        browser.find_element(By.ID, "login-button").click()
        wait_for(browser, lambda d: path in d.current_url)


def test_a_moved_stop_shows_its_new_times_before_it_is_saved(board, phone):
    from selenium.webdriver.common.by import By

    s, plan = _plan(board)
    with s:
        rnd = plan.rounds[0]
        first = next(st for st in rnd.stops if st.kind.value in ("relay_point", "pickup"))
        first_id, version = first.id, plan.version
    _sign_in(board, phone, "/jour/2026-12-01")
    screenshot(phone, "day-board-draft-before")
    phone.find_element(By.CSS_SELECTOR, f"#row-{first_id} [data-edit='down']").click()
    lines = wait_for(phone, lambda d: d.find_element(By.ID, "preview-lines").text)
    assert "→" in lines and "km" in lines
    assert any(ch.isdigit() and ":" in line for line in lines.splitlines() for ch in line), lines
    screenshot(phone, "day-board-move-preview")
    s, plan = _plan(board)
    with s:
        assert plan.version == version, "a preview changes nothing"
    phone.find_element(By.ID, "edit-save").click()
    wait_for(phone, lambda d: d.find_element(By.CSS_SELECTOR, f"#row-{first_id}").get_attribute("data-position") == "2")
    s, plan = _plan(board)
    with s:
        assert plan.version == version + 1
        visits = [st.id for st in plan.rounds[0].stops if st.kind.value in ("relay_point", "pickup")]
        assert visits[1] == first_id


def test_live_missed_replan_preview_and_the_crews_sheet(board, phone):
    from selenium.webdriver.common.by import By

    from dispatch.field import events, links
    from dispatch.planning.plans import publish_plan

    s, plan = _plan(board)
    with s:
        publish_plan(plan.id, session=s, accept_unassigned=True, actor="test")
        s.commit()
        rnd = plan.rounds[0]
        token, _ = links.round_link(rnd.id, session=s, settings=board.settings)
        pickup = next(st for st in rnd.stops if st.kind.value == "pickup")
        pickup_id, round_id = pickup.id, rnd.id
    # The crew's sheet is open in another tab during all of this.
    day_tab = phone.current_window_handle
    phone.switch_to.new_window("tab")
    sheet_tab = phone.current_window_handle
    phone.get(f"{board.url}/r/{token}")
    assert phone.find_element(By.ID, "changed").is_displayed() is False
    phone.switch_to.window(day_tab)
    _sign_in(board, phone, "/jour/2026-12-01")
    assert phone.find_element(By.ID, "live").is_displayed()

    # A crew marks the pickup missed: the day page shows it without reloading.
    marker = phone.execute_script("window.__not_reloaded = true; return true;")
    with _plan(board)[0] as s2:
        events.record_stop_event(round_id, pickup_id, "missed", session=s2, idempotency_key="board-missed-1",
                                 reason="absent")
        s2.commit()
    wait_for(phone, lambda d: "pas collecté" in d.find_element(By.CSS_SELECTOR, f"#row-{pickup_id} [data-role='live']").text)
    assert marker and phone.execute_script("return window.__not_reloaded === true")
    assert "Enlèvement manqué" in phone.find_element(By.ID, "live-alerts").text
    screenshot(phone, "day-board-live")

    # The mid-day re-plan: previewed first, applied on confirmation.
    phone.execute_script("document.getElementById('replan-at').value = '10:30'")
    phone.find_element(By.ID, "replan").click()
    title = wait_for(phone, lambda d: d.find_element(By.ID, "replan-title").text, timeout=60)
    assert "Re-planification proposée (à partir de 10:30)" in title
    assert "km" in phone.find_element(By.ID, "replan-rounds").text
    screenshot(phone, "day-board-replan-preview")
    s, plan = _plan(board)
    with s:
        version = plan.version
    phone.find_element(By.ID, "replan-apply").click()
    wait_for(phone, lambda d: "ok=replanned" in d.current_url)
    assert "Re-planification appliquée" in phone.find_element(By.TAG_NAME, "main").text
    s, plan = _plan(board)
    with s:
        assert plan.version == version + 1

    # The crew's sheet, open since before the re-plan, says so and shows the new order.
    phone.switch_to.window(sheet_tab)
    wait_for(phone, lambda d: d.find_element(By.ID, "changed").is_displayed())
    banner = phone.find_element(By.ID, "changed").text
    assert "Votre tournée a changé" in banner and phone.find_elements(By.CSS_SELECTOR, "#changed-order li")
    screenshot(phone, "sheet-round-changed")
    phone.close()
    phone.switch_to.window(day_tab)
