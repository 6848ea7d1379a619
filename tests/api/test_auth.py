"""Staff sign-in: passwords, tokens (expiry, revocation), deactivation, role changes, the login page, audit."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dispatch.access import auth
from tests.api.conftest import PLAN_DAY, TEST_PASSWORD, make_staff
from tests.api.test_pickups import _body


def _login(c: TestClient, username: str, password: str = TEST_PASSWORD):
    return c.post("/api/v1/auth/token", data={"username": username, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------ passwords


def test_password_hashes_are_salted_scrypt_and_verify():
    one, two = auth.hash_password("une phrase secrète"), auth.hash_password("une phrase secrète")
    assert one != two  # a new salt each time
    assert one.startswith("scrypt$n=16384,r=8,p=1$")
    assert "secrète" not in one and "phrase" not in one
    assert auth.verify_password("une phrase secrète", one) and auth.verify_password("une phrase secrète", two)
    assert not auth.verify_password("une phrase secrete", one)
    assert not auth.verify_password("anything", "not-a-hash")
    assert not auth.needs_rehash(one)
    weaker = auth.hash_password("une phrase secrète", n=2**12)
    assert auth.needs_rehash(weaker) and auth.verify_password("une phrase secrète", weaker)


def test_users_are_validated(session):
    with pytest.raises(auth.InvalidInput) as short:
        auth.create_user("marie", "court", "coordinator", session=session)
    assert short.value.field == "password" and "at least 10" in short.value.message
    with pytest.raises(auth.InvalidInput):
        auth.create_user("marie", TEST_PASSWORD, "driver", session=session)
    with pytest.raises(auth.InvalidInput):
        auth.create_user("a b", TEST_PASSWORD, "coordinator", session=session)
    user = auth.create_user("Marie.Dupont", TEST_PASSWORD, "coordinator", session=session)
    assert user.username == "marie.dupont" and TEST_PASSWORD not in user.password_hash
    with pytest.raises(auth.Conflict):
        auth.create_user("marie.dupont", TEST_PASSWORD, "switchboard", session=session)
    # the weak-parameter hash of an old account is upgraded at its next sign-in
    user.password_hash = auth.hash_password(TEST_PASSWORD, n=2**12)
    assert auth.authenticate("marie.dupont", TEST_PASSWORD, session=session) is user
    assert user.password_hash.startswith("scrypt$n=16384,")


def test_tokens_are_stored_hashed_and_expire(session, monkeypatch):
    user = auth.create_user("amina", TEST_PASSWORD, "switchboard", session=session)
    token, record = auth.issue_token(user, session=session, ttl_minutes=30)
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in record.token_hash
    assert auth.resolve_token(token, session=session) is user
    assert auth.resolve_token(token + "x", session=session) is None
    later = auth._now() + dt.timedelta(minutes=31)
    monkeypatch.setattr(auth, "_now", lambda: later)
    assert auth.resolve_token(token, session=session) is None


# ------------------------------------------------------------------ API


def test_login_me_and_logout(anon_client, db_engine, settings):
    make_staff(db_engine, "coordinator", "claire")
    r = _login(anon_client, "claire")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == settings.token_ttl_minutes * 60 == 36000
    me = anon_client.get("/api/v1/auth/me", headers=_bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == "claire" and me.json()["role"] == "coordinator"
    assert anon_client.post("/api/v1/auth/logout", headers=_bearer(body["access_token"])).status_code == 204
    gone = anon_client.get("/api/v1/auth/me", headers=_bearer(body["access_token"]))
    assert gone.status_code == 401 and gone.headers["www-authenticate"] == "Bearer"
    assert gone.headers["content-type"].startswith("application/problem+json")


def test_wrong_password_and_unknown_user_get_the_same_answer(anon_client, db_engine):
    make_staff(db_engine, "coordinator", "claire")
    wrong, unknown = _login(anon_client, "claire", "not the password"), _login(anon_client, "nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "unknown username or wrong password"
    assert wrong.headers["www-authenticate"] == "Bearer"
    missing = anon_client.get("/api/v1/pickup-requests")
    assert missing.status_code == 401 and "Bearer" in missing.json()["detail"]
    assert anon_client.get("/api/v1/pickup-requests", headers=_bearer("forged")).status_code == 401


def test_expired_token_is_refused(anon_client, db_engine, monkeypatch):
    _, token = make_staff(db_engine, "switchboard")
    assert anon_client.get("/api/v1/pickup-requests", headers=_bearer(token)).status_code == 200
    later = auth._now() + dt.timedelta(minutes=auth.DEFAULT_TOKEN_TTL_MINUTES + 1)
    monkeypatch.setattr(auth, "_now", lambda: later)
    assert anon_client.get("/api/v1/pickup-requests", headers=_bearer(token)).status_code == 401


def test_admin_manages_users_roles_deactivation_and_revocation(client, anon_client):
    created = client.post("/api/v1/users", json={"username": "bob", "display_name": "Bob", "role": "switchboard",
                                                 "password": TEST_PASSWORD})
    assert created.status_code == 201, created.text
    bob = created.json()
    assert client.post("/api/v1/users", json={"username": "bob", "role": "switchboard",
                                              "password": TEST_PASSWORD}).status_code == 409
    short = client.post("/api/v1/users", json={"username": "eve", "role": "switchboard", "password": "court"})
    assert short.status_code == 422 and short.json()["field"] == "password"
    assert "bob" in [u["username"] for u in client.get("/api/v1/users").json()]
    token = _login(anon_client, "bob").json()["access_token"]
    jobs_url = "/api/v1/plan-jobs/unknown-job"
    assert anon_client.get(jobs_url, headers=_bearer(token)).status_code == 403  # switchboard
    promoted = client.patch(f"/api/v1/users/{bob['id']}", json={"role": "coordinator"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "coordinator"
    assert anon_client.get(jobs_url, headers=_bearer(token)).status_code == 404  # same token, new role
    # revoke all of bob's tokens
    assert client.post(f"/api/v1/users/{bob['id']}/revoke-tokens").json() == {"user_id": bob["id"], "revoked": 1}
    assert anon_client.get(jobs_url, headers=_bearer(token)).status_code == 401
    # deactivation: tokens stop working and signing in fails
    token = _login(anon_client, "bob").json()["access_token"]
    assert client.patch(f"/api/v1/users/{bob['id']}", json={"active": False}).json()["active"] is False
    assert anon_client.get(jobs_url, headers=_bearer(token)).status_code == 401
    assert _login(anon_client, "bob").status_code == 401
    client.patch(f"/api/v1/users/{bob['id']}", json={"active": True, "password": "another long password"})
    assert _login(anon_client, "bob").status_code == 401
    assert _login(anon_client, "bob", "another long password").status_code == 200
    # the last active admin cannot demote or deactivate itself
    me = client.get("/api/v1/auth/me").json()
    assert client.patch(f"/api/v1/users/{me['id']}", json={"role": "coordinator"}).status_code == 409
    assert client.patch(f"/api/v1/users/{me['id']}", json={"active": False}).status_code == 409
    assert client.patch("/api/v1/users/999999", json={"active": False}).status_code == 404


# ------------------------------------------------------------------ audit


def test_changes_are_audited_with_the_user_in_the_same_transaction(client, client_as, api_app, monkeypatch):
    switchboard = client_as("switchboard", "amina")
    refused = switchboard.post("/api/v1/pickup-requests", json=_body(volume_m3=1.5)).json()
    ok = switchboard.post(f"/api/v1/pickup-requests/{refused['id']}/override",
                          json={"by": "Standard - Amina", "reason": "Personne âgée, accord de la responsable"})
    assert ok.status_code == 200
    again = switchboard.post(f"/api/v1/pickup-requests/{refused['id']}/override", json={"by": "x", "reason": "encore"})
    assert again.status_code == 409  # failed: not audited
    switchboard.get("/api/v1/pickup-requests")  # a read: not audited
    entries = client.get("/api/v1/audit", params={"user": "amina"}).json()
    assert [(e["method"], e["path"], e["status_code"]) for e in reversed(entries)] == [
        ("POST", "/api/v1/pickup-requests", 201),
        ("POST", f"/api/v1/pickup-requests/{refused['id']}/override", 200),
    ]
    assert entries[0]["username"] == "amina" and entries[0]["role"] == "switchboard"
    assert entries[0]["entity"] == "pickup" and entries[0]["entity_id"] == str(refused["id"])
    assert client.get("/api/v1/audit", params={"since": "2999-01-01T00:00:00"}).json() == []
    # creating a user is audited without its password
    client.post("/api/v1/users", json={"username": "zoe", "role": "coordinator", "password": "zoe's long password"})
    text = client.get("/api/v1/audit", params={"user": "test-admin"}).text
    assert "/api/v1/users" in text and "zoe's long password" not in text and "zoe" in text
    assert client_as("coordinator").get("/api/v1/audit").status_code == 403
    # the entry is written in the request's transaction: if it cannot be written, the change is undone
    import dispatch.access.audit

    def broken(**_):
        raise RuntimeError("audit store down")

    second = switchboard.post("/api/v1/pickup-requests", json=_body(volume_m3=1.5)).json()
    token = switchboard.headers["authorization"]
    failing = TestClient(api_app, raise_server_exceptions=False, headers={"Authorization": token})
    monkeypatch.setattr(dispatch.access.audit, "record", broken)
    assert failing.post(f"/api/v1/pickup-requests/{second['id']}/override",
                        json={"by": "Standard", "reason": "accord de la responsable"}).status_code == 500
    monkeypatch.undo()
    assert switchboard.get(f"/api/v1/pickup-requests/{second['id']}").json()["status"] == "refused"


def test_a_fill_report_and_its_audit_entry_are_committed_together_in_the_endpoints_own_hop(
        client, client_as, api_app, monkeypatch):
    """POST .../reports ends its unit of work itself (api.deps.in_unit_of_work): the audit entry queued by
    require() is written in that same transaction, and neither is kept when either fails."""
    coordinator = client_as("coordinator", "chloe")
    rp_id = client.get("/api/v1/relay-points").json()["items"][0]["id"]
    path = f"/api/v1/relay-points/{rp_id}/reports"

    def stored() -> int:
        return int(client.get(path).headers["X-Total-Count"])

    before = stored()
    assert coordinator.post(path, json={"level_pct": 40}).status_code == 201
    assert coordinator.post("/api/v1/relay-points/999999/reports", json={"level_pct": 40}).status_code == 404
    entries = client.get("/api/v1/audit", params={"user": "chloe"}).json()
    assert [(e["method"], e["path"], e["status_code"]) for e in entries] == [("POST", path, 201)]
    assert entries[0]["entity"] == "relay_point" and entries[0]["entity_id"] == str(rp_id)
    assert stored() == before + 1
    import dispatch.access.audit

    def broken(**_):
        raise RuntimeError("audit store down")

    failing = TestClient(api_app, raise_server_exceptions=False, headers=dict(coordinator.headers))
    monkeypatch.setattr(dispatch.access.audit, "record", broken)
    assert failing.post(path, json={"level_pct": 60}).status_code == 500
    monkeypatch.undo()
    assert stored() == before + 1  # the report was rolled back with the audit entry that failed


def test_a_token_another_request_is_stamping_is_not_waited_for(db_engine):
    """last_used_at is written at most once a minute; when the minute is up, the requests in flight with the
    token do not queue on its row lock (PostgreSQL: SKIP LOCKED), they leave the write to the one holding it."""
    from sqlalchemy import text, update

    from dispatch.db import session_factory, session_scope
    from dispatch.models import ApiToken, utcnow

    if db_engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer at a time)")
    _, token = make_staff(db_engine, "coordinator")
    stale = utcnow() - dt.timedelta(minutes=5)
    with session_scope(db_engine) as s:
        s.execute(update(ApiToken).values(last_used_at=stale))
    holder = session_factory(db_engine)()  # another request, stamping the token right now
    other = session_factory(db_engine)()
    try:
        holder.execute(select(ApiToken.id).with_for_update())
        other.execute(text("SET LOCAL lock_timeout = '2s'"))  # waiting for the lock would fail the test
        assert auth.token_holder(token, session=other) is not None
        other.commit()
    finally:
        holder.rollback()
        holder.close()
        other.close()
    with session_scope(db_engine) as s:
        assert s.scalar(select(ApiToken.last_used_at)) == stale  # left to the holder, which gave up here
        assert auth.token_holder(token, session=s) is not None  # nobody holds it now: stamped
    with session_scope(db_engine) as s:
        assert s.scalar(select(ApiToken.last_used_at)) > utcnow() - dt.timedelta(minutes=1)


def test_plan_publish_by_a_coordinator_is_audited(client, client_as):
    coordinator = client_as("coordinator", "claire")
    plan = coordinator.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 1, "seed": 1})
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["plan_id"]
    assert coordinator.post(f"/api/v1/plans/{plan_id}/publish?accept_unassigned=true").status_code == 200
    entries = client.get("/api/v1/audit", params={"user": "claire"}).json()
    publish = entries[0]
    assert publish["path"] == f"/api/v1/plans/{plan_id}/publish" and publish["username"] == "claire"
    assert publish["entity"] == "plan" and publish["entity_id"] == str(plan_id)
    assert publish["detail"]["query"] == {"accept_unassigned": "true"}


# ------------------------------------------------------------------ what anonymous callers see of a day


def test_anonymous_rounds_hide_donor_details(client, anon_client, db_engine):
    assert client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2,
                                              "seed": 1}).status_code == 201
    staff = client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()}).json()
    public = anon_client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()})
    assert public.status_code == 200
    public = public.json()
    assert public["rounds_count"] == staff["rounds_count"] and public["stops_count"] == staff["stops_count"]
    from dispatch.db import session_scope
    from dispatch.models import PickupRequest

    with session_scope(db_engine) as s:
        donors = {p.id: p for p in s.scalars(select(PickupRequest))}
        secrets = {v for p in donors.values() for v in (p.donor_name, p.phone, p.address, p.access_code) if v}
        postcodes = {p.id: p.postcode for p in donors.values()}
    pickups = [(a, b) for ra, rb in zip(staff["rounds"], public["rounds"]) for a, b in zip(ra["stops"], rb["stops"])
               if a["kind"] == "pickup"]
    assert pickups, "the demo day has home pickups"
    for full, hidden in pickups:
        assert full["name"] in secrets and full["address"] in secrets
        assert hidden["name"] == "home pickup" and hidden["address"] == postcodes[full["pickup_request_id"]]
        assert hidden["lat"] == round(full["lat"], 2)
    text = anon_client.get("/api/v1/rounds", params={"date": PLAN_DAY.isoformat()}).text
    assert not [s for s in secrets if s in text]
    relay = [s for r in public["rounds"] for s in r["stops"] if s["kind"] == "relay_point"]
    assert relay and all(s["address"] for s in relay)  # relay points are public places


# ------------------------------------------------------------------ staff login page and cookie


def test_login_page_sets_the_cookie_and_day_pages_redirect_to_it(anon_client, db_engine):
    day_url = f"/jour/{PLAN_DAY.isoformat()}"
    r = anon_client.get(day_url, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/connexion?next=%2Fjour%2F2026-12-01"
    page = anon_client.get(r.headers["location"])
    assert page.status_code == 200 and "Connexion de l&#39;équipe" in page.text and "Mot de passe" in page.text
    assert "Staff sign-in" in anon_client.get("/connexion?lang=en").text
    make_staff(db_engine, "coordinator", "claire")
    make_staff(db_engine, "switchboard", "amina")
    bad = anon_client.post("/connexion", data={"username": "claire", "password": "nope", "next": day_url})
    assert bad.status_code == 401 and "Identifiant ou mot de passe incorrect" in bad.text
    assert "dispatch_session" not in bad.cookies
    evil = anon_client.post("/connexion", data={"username": "claire", "password": TEST_PASSWORD,
                                                "next": "//evil.example/"}, follow_redirects=False)
    assert evil.headers["location"].startswith("/jour/")  # never another site
    ok = anon_client.post("/connexion", data={"username": "claire", "password": TEST_PASSWORD, "next": day_url},
                          follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == day_url
    cookie = ok.headers["set-cookie"]
    assert "dispatch_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    token = ok.cookies["dispatch_session"]
    signed_in = TestClient(anon_client.app, cookies={"dispatch_session": token})
    assert signed_in.get(day_url).status_code == 200
    # a cross-site form post with the cookie is refused (CSRF)
    forged = signed_in.post(f"{day_url}/planifier", headers={"Origin": "https://evil.example"},
                            follow_redirects=False)
    assert forged.status_code == 403
    failed = signed_in.post(f"{day_url}/publier", data={"plan_id": "999999"}, follow_redirects=False)
    assert failed.status_code == 404  # an error page: nothing is audited
    admin = TestClient(anon_client.app, headers={"Authorization": f"Bearer {make_staff(db_engine, 'admin')[1]}"})
    # sign-ins are audited (dispatch/access/signin_guard.py); the failed publication is not
    assert [e for e in admin.get("/api/v1/audit").json() if e["username"] == "claire" and e["entity"] != "sign_in"] == []
    # switchboard staff may not open the coordinator's day
    amina = anon_client.post("/connexion", data={"username": "amina", "password": TEST_PASSWORD},
                             follow_redirects=False).cookies["dispatch_session"]
    assert TestClient(anon_client.app, cookies={"dispatch_session": amina}).get(day_url).status_code == 403
    out = signed_in.post("/deconnexion", follow_redirects=False)
    assert out.status_code == 303
    assert TestClient(anon_client.app, cookies={"dispatch_session": token}).get(
        day_url, follow_redirects=False).status_code == 303
