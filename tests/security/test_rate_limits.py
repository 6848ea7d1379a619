"""Rate limits that hold: X-Forwarded-For only from trusted proxies (a real uvicorn started as `dispatch serve`
starts it), per-account sign-in back-off with an audit entry, per-phone and per-reference limits, and the
online booking's abuse guard."""

from __future__ import annotations

import datetime as dt

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.conftest import TEST_PASSWORD, make_staff
from tests.conftest import DEMO_DAY


def _serve(app):
    """`dispatch serve`'s uvicorn configuration (api/proxies.py), on a free loopback port."""
    import socket
    import threading
    from contextlib import contextmanager

    import uvicorn

    from api.proxies import server_config

    @contextmanager
    def running():
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        server = uvicorn.Server(server_config(app, log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join(30)
            sock.close()

    return running()


def test_x_forwarded_for_does_not_reset_the_address_limit(app_with):
    app = app_with(rate_limit_login_per_minute=3)
    with _serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        codes = [http.post("/api/v1/auth/token", data={"username": f"nobody{i}", "password": "x"},
                           headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(5)]
        assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
        # The public tracking answers no more once the real address is limited either.
        app.state.rate_limiters["public"].limit = 2
        tracked = [http.get("/api/v1/pickups/track/PU-00000000", params={"phone_last4": "1234"},
                            headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(4)]
        assert tracked[-1] == 429


def test_a_trusted_proxy_names_the_client_and_only_its_own_hop_counts(app_with):
    app = app_with(rate_limit_login_per_minute=2, trusted_proxies="127.0.0.1")
    with _serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        def attempt(forwarded):
            return http.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"},
                             headers={"X-Forwarded-For": forwarded}).status_code
        # Behind the proxy, each client has its own count...
        assert [attempt("203.0.113.7") for _ in range(3)] == [401, 401, 429]
        assert attempt("203.0.113.8") == 401
        # ... and what a client writes before the proxy's entry changes nothing (the right-most one counts).
        assert attempt("10.9.9.9, 203.0.113.7") == 429


def test_sign_in_backs_off_per_account_with_an_audit_entry_and_no_enumeration(app_with, db_engine):
    app = app_with(login_free_failures=3, login_backoff_s=60)
    make_staff(db_engine, "coordinator", "victim")
    http = TestClient(app)

    def token(username, password):
        return http.post("/api/v1/auth/token", data={"username": username, "password": password})

    assert [token("victim", "wrong").status_code for _ in range(3)] == [401] * 3
    blocked = token("victim", TEST_PASSWORD)  # the right password, from the same client: waits all the same
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 50
    # The page form counts the same account.
    assert http.post("/connexion", data={"username": "victim", "password": TEST_PASSWORD}).status_code == 429
    # An unknown username is treated alike: the answers do not say which accounts exist.
    ghost = [token("ghost", "wrong") for _ in range(4)]
    assert [r.status_code for r in ghost] == [401, 401, 401, 429]
    assert ghost[0].json()["detail"] == token.__call__("victim2", "wrong").json()["detail"]
    assert ghost[3].json()["detail"].replace("ghost", "") == blocked.json()["detail"].replace("victim", "")
    from dispatch.db import session_scope
    from dispatch.models import AuditLog

    with session_scope(db_engine) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.entity == "sign_in", AuditLog.username == "victim")).all()
        assert [r.status_code for r in rows] == [401, 401, 401]  # refused attempts did not even try
        assert all(r.detail["client"] == "testclient" for r in rows)


def test_a_success_resets_the_account_back_off(app_with, db_engine):
    app = app_with(login_free_failures=3, login_backoff_s=60)
    make_staff(db_engine, "coordinator", "claire")
    http = TestClient(app)
    for _ in range(2):
        assert http.post("/api/v1/auth/token", data={"username": "claire", "password": "no"}).status_code == 401
    assert http.post("/api/v1/auth/token", data={"username": "claire", "password": TEST_PASSWORD}).status_code == 200
    for _ in range(2):
        assert http.post("/api/v1/auth/token", data={"username": "claire", "password": "no"}).status_code == 401


def _donor_form(**over):
    data = {"donor_name": "Mme Durand", "phone": "06 12 34 56 78", "address": "12 rue de Belleville",
            "postcode": "75020", "volume_m3": "2.5", "date": (DEMO_DAY + dt.timedelta(days=14)).isoformat(),
            "slot": "morning", "categories": ["books"], "floor": "0", "lat": "48.8721", "lon": "2.3770"}
    data.update(over)
    return data


def test_the_donor_form_is_limited_per_phone_number_whatever_the_address(app_with):
    app = app_with(rate_limit_phone_per_hour=2)
    http = TestClient(app)
    # The same number written three ways, from "different" clients: counted together.
    codes = [http.post("/donner", data=_donor_form(phone=p), headers={"X-Forwarded-For": f"203.0.113.{i}"})
             .status_code for i, p in enumerate(("0612345678", "06 12 34 56 78", "06.12.34.56.78"))]
    assert codes[:2] != [429, 429] and codes[2] == 429
    assert http.post("/donner", data=_donor_form(phone="0699999999")).status_code != 429


def test_tracking_is_limited_per_reference(app_with):
    app = app_with(rate_limit_phone_per_hour=3)
    http = TestClient(app)
    codes = [http.get("/api/v1/pickups/track/PU-1234ABCD", params={"phone_last4": f"{i:04d}"}).status_code
             for i in range(4)]
    assert codes == [404, 404, 404, 429]
    assert http.post("/suivi", data={"ref": "pu-1234abcd", "tel": "0004"}).status_code == 429
    assert http.get("/api/v1/pickups/track/PU-OTHER001", params={"phone_last4": "0000"}).status_code == 404


def test_the_online_booking_guard_holds_per_phone_and_per_day_and_staff_release_it(app_with, db_engine):
    from dispatch.db import session_scope
    from dispatch.models import PickupRequest

    app = app_with(online_max_open_per_phone=2, online_daily_cap=3)
    http = TestClient(app)
    coordinator = TestClient(app, headers={"Authorization": f"Bearer {make_staff(db_engine, 'switchboard')[1]}"})

    def book(phone):
        page = http.post("/donner", data=_donor_form(phone=phone))
        assert page.status_code == 200, page.text
        return page

    for _ in range(2):
        book("0611111111")
    third = book("06 11 11 11 11")  # a third open request for the same number: held, stored all the same
    assert "déjà 2 demandes en cours" in third.text
    full = book("0622222222")  # the day's 4th online request: over the cap of 3
    assert "complètes pour aujourd" in full.text
    with session_scope(db_engine) as s:
        stored = s.scalars(select(PickupRequest).where(PickupRequest.channel == "online")).all()
        assert len(stored) == 4  # nothing the donors typed is lost
    status = coordinator.get("/api/v1/online-bookings").json()
    assert status["online_requests"] == 4 and status["cap"] == 3
    assert sorted(tuple(h["reasons"]) for h in status["held"]) == [("online_daily_cap",), ("online_open_limit",)]
    assert http.get("/api/v1/online-bookings").status_code == 401  # staff only
    released = coordinator.post("/api/v1/online-bookings/release", json={"extra": 5, "note": "salon du don"})
    assert released.status_code == 200 and released.json()["cap"] == 8
    assert "complètes" not in book("0633333333").text
    audit = TestClient(app, headers={"Authorization": f"Bearer {make_staff(db_engine, 'admin')[1]}"})
    assert any(e["path"] == "/api/v1/online-bookings/release" for e in audit.get("/api/v1/audit").json())
