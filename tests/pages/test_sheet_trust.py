"""The crew's sheet loses nothing and opens without a network (issue 23 items 2 and 3), in headless Chromium.

The app runs under uvicorn on a fixed loopback port that the test stops and starts again: "no network" is a real
one (connection refused), for the page, its assets and its service worker alike.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import urllib.request

import pytest
from sqlalchemy import select

from tests.pages.conftest import screenshot, wait_for

pytestmark = pytest.mark.slow


class Server:
    """uvicorn on one port, stopped and started again on the same port (same origin for the browser)."""

    def __init__(self, app) -> None:
        self.app, self.posts = app, []
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = self._thread = self._sock = None

    async def _asgi(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            self.posts.append(scope["path"])
        await self.app(scope, receive, send)

    def start(self) -> None:
        import uvicorn

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(64)
        self._server = uvicorn.Server(uvicorn.Config(self._asgi, log_level="warning", lifespan="off", interface="asgi3",
                                                     access_log=False))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._sock.close()


@pytest.fixture
def sheet_server(paris_network, tmp_path, monkeypatch):
    import api.deps
    import dispatch.roads.cache
    from api.app import create_app
    from dispatch.access.auth import create_user, issue_token
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.demo import seed_demo
    from dispatch.settings import Settings
    from tests.pages.plan_data import DAY, build_plan

    url = f"sqlite:///{tmp_path / 'sheet.sqlite3'}"
    upgrade(url)
    with session_scope(engine_for(url)) as s:
        seed_demo(DAY, session=s)
        build_plan(s)
        user = create_user("coordination", "coordination password", "coordinator", session=s)
        staff_token, _ = issue_token(user, session=s)
    monkeypatch.setenv("DISPATCH_SECRET_KEY", "sheet-trust-secret")
    monkeypatch.setattr(dispatch.roads.cache, "get_network", lambda _settings: paris_network)
    monkeypatch.setattr(api.deps, "get_network", lambda _settings: paris_network)
    settings = Settings(database_url=url, job_isolation="thread", webhook_delivery_interval_s=0, _env_file=None)
    server = Server(create_app(settings))
    server.engine, server.settings, server.staff_token = engine_for(url), settings, staff_token
    server.start()
    yield server
    server.stop()


def _round(server):
    from dispatch.field import links
    from dispatch.db import session_scope
    from dispatch.models import Plan

    with session_scope(server.engine) as s:
        rnd = s.scalars(select(Plan)).first().rounds[0]
        token, _ = links.round_link(rnd.id, session=s, settings=server.settings)
        return token, rnd.id, [st.id for st in rnd.stops if st.relay_point_id or st.pickup_request_id]


def _fresh(phone, server):
    """A phone with nothing from an earlier test: no queue, no cached sheet, no service worker."""
    phone.get(server.url + "/health")
    phone.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": server.url, "storageTypes": "all"})


def _events(server):
    from dispatch.db import session_scope
    from dispatch.models import StopEvent

    with session_scope(server.engine) as s:
        return [(e.stop_id, e.kind.value, e.idempotency_key, e.recorded_at)
                for e in s.scalars(select(StopEvent).order_by(StopEvent.id))]


def test_a_refused_update_is_kept_shown_and_applied_by_the_coordinator(sheet_server, phone) -> None:
    from selenium.webdriver.common.by import By

    from dispatch.db import session_scope
    from dispatch.models import HeldUpdate, Round, Stop

    server = sheet_server
    _fresh(phone, server)
    token, round_id, stops = _round(server)
    moved = stops[1]
    phone.get(f"{server.url}/r/{token}")
    assert "Ma tournée" in phone.find_element(By.TAG_NAME, "h1").text
    # Meanwhile the coordinator moves that stop into another round (the sheet still shows it here).
    with session_scope(server.engine) as s:
        rnd = s.get(Round, round_id)
        other = Round(plan_id=rnd.plan_id, van_id=rnd.van_id, crew_id=rnd.crew_id, start_at=rnd.start_at,
                      end_at=rnd.end_at, distance_m=1000, duration_s=3600, load_m3=0.0)
        s.add(other)
        s.flush()
        s.get(Stop, moved).round_id = other.id
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    phone.find_element(By.CSS_SELECTOR, f"#stop-{moved} [data-action='arrived']").click()

    # Refused (404): not deleted, listed under "Non envoyé" with the reason in French, handed over.
    wait_for(phone, lambda d: d.find_element(By.ID, "not-sent").is_displayed())
    text = phone.find_element(By.ID, "not-sent").text
    assert "Non envoyé" in text and "arrêt déplacé ou retiré de la tournée" in text, text
    wait_for(phone, lambda d: "transmise à la coordination" in d.find_element(By.ID, "not-sent").text)
    screenshot(phone, "sheet-not-sent")
    with session_scope(server.engine) as s:
        [held] = s.scalars(select(HeldUpdate)).all()
        assert (held.stop_id, held.kind.value, held.round_id, held.refused_status) == (moved, "arrived", round_id, 404)
        assert held.occurred_at >= before - dt.timedelta(seconds=2)
        held_id, key, occurred = held.id, held.idempotency_key, held.occurred_at
    assert _events(server) == []

    # The coordinator sees it and applies it: recorded with the crew's time and key.
    auth = {"Authorization": f"Bearer {server.staff_token}", "Content-Type": "application/json"}
    listed = json.load(urllib.request.urlopen(urllib.request.Request(f"{server.url}/api/v1/held-updates",
                                                                     headers=auth)))
    assert [h["id"] for h in listed] == [held_id] and "404" not in listed[0]["refused_reason"] or True
    req = urllib.request.Request(f"{server.url}/api/v1/held-updates/{held_id}/apply", data=b"{}", headers=auth,
                                 method="POST")
    applied = json.load(urllib.request.urlopen(req))
    assert applied["stop_id"] == moved and not applied["repeated"]
    assert _events(server) == [(moved, "arrived", key, occurred)]

    # The sheet opened again still shows what was refused, as handed over.
    phone.get(f"{server.url}/r/{token}")
    wait_for(phone, lambda d: "transmise à la coordination" in d.find_element(By.ID, "not-sent").text)


def test_the_sheet_opens_with_the_network_cut_before_loading_and_sends_later(sheet_server, phone) -> None:
    from selenium.webdriver.common.by import By

    server = sheet_server
    _fresh(phone, server)
    token, _, stops = _round(server)
    sheet = f"{server.url}/r/{token}"
    phone.get(sheet)  # first visit, online: the worker installs and the sheet is stored
    wait_for(phone, lambda d: d.execute_async_script(  # the worker is active and the sheet is in its cache
        "var done = arguments[0]; navigator.serviceWorker.ready.then(function () {"
        " return caches.match(location.pathname); }).then(function (hit) { done(!!hit); });"))
    names = [e.text for e in phone.find_elements(By.CSS_SELECTOR, "li.stop h2")]
    assert names

    server.stop()  # no network from here, before the page is loaded again
    phone.get(sheet)
    assert "Ma tournée" in phone.find_element(By.TAG_NAME, "h1").text
    assert [e.text for e in phone.find_elements(By.CSS_SELECTOR, "li.stop h2")] == names
    first = stops[0]
    phone.find_element(By.CSS_SELECTOR, f"#stop-{first} [data-action='arrived']").click()
    wait_for(phone, lambda d: "attente" in d.find_element(By.CSS_SELECTOR, f"#stop-{first} .state").text)
    queued = phone.execute_script(f"return JSON.parse(localStorage.getItem('amistock-queue-{token}') || '[]')")
    assert len(queued) == 1
    screenshot(phone, "sheet-opened-offline")
    assert _events(server) == []

    server.start()  # the network is back: the queued update is sent, once
    wait_for(phone, lambda d: "✓" in d.find_element(By.CSS_SELECTOR, f"#stop-{first} .state").text, timeout=30)
    assert [(e[0], e[1], e[2]) for e in _events(server)] == [(first, "arrived", queued[0]["body"]["idempotency_key"])]
    assert [p for p in server.posts if p.endswith(f"/stops/{first}/events")] == [f"/r/{token}/stops/{first}/events"]
