"""A live app (uvicorn on 127.0.0.1, free port) over a seeded database with a small published plan,
and headless Chromium (Debian ``chromium`` + ``chromium-driver``) driven by Selenium."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.live_server import serve

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = "install Debian chromium and chromium-driver (apt-get install -y chromium chromium-driver)"


@dataclass
class LiveServer:
    url: str
    engine: object
    settings: object
    posts: list[str] = field(default_factory=list)  # paths of every POST the app received
    staff_username: str = "coordination"  # a coordinator, for the /jour pages (sign in at /connexion)
    staff_password: str = "coordination password"


class _CountingApp:
    """ASGI wrapper that records POST paths, to check the phone sends each update exactly once."""

    def __init__(self, app, posts: list[str]) -> None:
        self.app, self.posts = app, posts

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            self.posts.append(scope["path"])
        await self.app(scope, receive, send)


@contextmanager
def live_app(settings, network, secret: str, wrap=None) -> Iterator[str]:
    """Serve ``create_app(settings)`` (optionally wrapped) under uvicorn on a free loopback port, with the bundled
    test road network in place of the real one and ``secret`` as DISPATCH_SECRET_KEY; yields the base URL."""
    import api.deps
    import dispatch.roads.cache
    from api.app import create_app

    mp = pytest.MonkeyPatch()
    mp.setenv("DISPATCH_SECRET_KEY", secret)
    mp.setattr(dispatch.roads.cache, "get_network", lambda _settings: network)
    mp.setattr(api.deps, "get_network", lambda _settings: network)
    try:
        app = create_app(settings)
        with serve(wrap(app) if wrap else app) as url:
            yield url
    finally:
        mp.undo()


_RELOADING = ("does not belong to the document", "no such execution context", "Execution context was destroyed",
              "Cannot find context with specified id")


def wait_for(driver, condition, timeout: float = 60):
    """Wait until ``condition(driver)`` is truthy. A page that reloads (a form post, a poll that redraws) replaces
    its elements while the condition reads them: Chromium then answers "stale element", "no such element" or,
    when the node vanishes between finding and reading it, "Node with given id does not belong to the document".
    Each of those means "look again", never a failure; any other error is raised at once."""
    from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                            WebDriverException)
    from selenium.webdriver.support.ui import WebDriverWait

    def looked_again(d):
        try:
            return condition(d)
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        except WebDriverException as exc:
            if any(text in str(exc) for text in _RELOADING):
                return False
            raise

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(looked_again)


@pytest.fixture(scope="module")
def live_server(paris_network, tmp_path_factory) -> Iterator[LiveServer]:
    from dispatch.access.auth import create_user
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.demo import seed_demo
    from dispatch.settings import Settings
    from tests.pages.plan_data import DAY, build_plan

    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.sqlite3'}"
    upgrade(url)
    with session_scope(engine_for(url)) as s:
        seed_demo(DAY, session=s)
        build_plan(s)
        create_user(LiveServer.staff_username, LiveServer.staff_password, "coordinator", session=s)
    settings = Settings(database_url=url, solve_time_limit_s=2, job_isolation="thread", _env_file=None)
    posts: list[str] = []
    with live_app(settings, paris_network, "pages-test-secret", wrap=lambda app: _CountingApp(app, posts)) as base:
        yield LiveServer(base, engine_for(url), settings, posts)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(f"browser tests need headless Chromium: {INSTALL_HINT}")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("browser tests need selenium: pip install selenium (the project's test extra)")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--lang=fr-FR", "--window-size=390,844"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def phone(browser):
    """The browser as a 390x844 phone."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    yield browser
    browser.execute_cdp_cmd("Network.emulateNetworkConditions",
                            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})


def screenshot(driver, name: str) -> Path:
    """Save a full-page screenshot into test-artifacts/ (looked at by a human)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 844)")
    metrics = {"width": 390, "height": int(height), "deviceScaleFactor": 1, "mobile": True}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    driver.save_screenshot(str(path))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics | {"height": 844})
    return path
