"""A live app (uvicorn on 127.0.0.1, free port) over a seeded database with a small published plan,
and headless Chromium (Debian ``chromium`` + ``chromium-driver``) driven by Selenium."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO

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


@pytest.fixture(scope="module")
def live_server(paris_network, tmp_path_factory) -> Iterator[LiveServer]:
    import uvicorn

    import api.deps
    import dispatch.roads.cache
    from api.app import create_app
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.demo import seed_demo
    from dispatch.settings import Settings
    from tests.pages.plan_data import DAY, build_plan

    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.sqlite3'}"
    upgrade(url)
    with session_scope(engine_for(url)) as s:
        seed_demo(DAY, session=s)
        build_plan(s)
        from dispatch.access.auth import create_user

        create_user(LiveServer.staff_username, LiveServer.staff_password, "coordinator", session=s)
    mp = pytest.MonkeyPatch()
    mp.setenv("DISPATCH_SECRET_KEY", "pages-test-secret")
    mp.setattr(dispatch.roads.cache, "get_network", lambda _settings: paris_network)
    mp.setattr(api.deps, "get_network", lambda _settings: paris_network)
    settings = Settings(database_url=url, solve_time_limit_s=2, job_isolation="thread", _env_file=None)
    posts: list[str] = []
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # listening before the thread starts: clients can connect at once
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_CountingApp(create_app(settings), posts), log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", engine_for(url), settings, posts)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        mp.undo()


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
