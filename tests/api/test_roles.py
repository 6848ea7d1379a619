"""Every route of the app is either deliberately public or needs a signed-in staff member with the right role.

Routes are read from ``create_app(settings).routes``, so endpoints added later are covered; the allowed roles
come from the ``require`` dependency of each route (``roles_of``), not from a copy kept here.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts

from api.security import Role, roles_of

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/api/v1/relay-points/nearest"),
    ("GET", "/api/v1/rounds"),  # anonymous callers get it without donors' details (test_auth.py)
    ("POST", "/api/v1/auth/token"),
    ("GET", "/donner"), ("GET", "/donner/adresses"), ("POST", "/donner/verifier"), ("POST", "/donner"),
    ("GET", "/r/{token}"), ("POST", "/r/{token}/stops/{stop_id}/events"),  # the crew's signed link
    ("POST", "/r/{token}/held"), ("GET", "/sw.js"),  # refused updates handed over; the sheet's offline worker
    ("GET", "/r/{token}/now"),  # the open sheet polls its round (signed link)
    ("GET", "/p/{token}"), ("POST", "/p/{token}"),  # the relay point's link
    ("GET", "/connexion"), ("POST", "/connexion"), ("POST", "/deconnexion"),
    # donors: following a request (reference + last 4 phone digits) and bookable slots
    ("GET", "/api/v1/pickups/track/{ref}"), ("GET", "/api/v1/pickup-slots"), ("GET", "/suivi"), ("POST", "/suivi"),
    # donors cancel or move their own request (the same reference + digits)
    ("POST", "/api/v1/pickups/track/{ref}/cancel"), ("POST", "/api/v1/pickups/track/{ref}/reschedule"),
    ("POST", "/suivi/annuler"), ("POST", "/suivi/deplacer"),
    # address search (autocomplete on the donor page and the switchboard)
    ("GET", "/api/v1/addresses"), ("GET", "/api/v1/addresses/reverse"),
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc"),
}
STAFF_ROLES = (Role.COORDINATOR, Role.SWITCHBOARD)


def _routes(app):
    for route in iter_route_contexts(app.routes):
        for method in sorted((getattr(route, "methods", None) or set()) - {"HEAD"}):
            yield method, route.path, getattr(route, "dependant", None)


def _url(path: str) -> str:
    """Harmless values for the path parameters: unknown ids, a token that is not one, a date that is not one."""
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}",
                  lambda m: "999999" if m.group(1) == "id" or m.group(1).endswith("_id") else "x1234567", path)


@pytest.fixture
def routes(api_app):
    return list(_routes(api_app))


def test_every_route_is_public_or_declares_its_roles(routes):
    undeclared = [(m, p) for m, p, dep in routes if (m, p) not in PUBLIC and roles_of(dep) is None]
    assert undeclared == [], f"add dependencies=[require(...)] (or list them in PUBLIC if they must be open): {undeclared}"
    public_with_roles = [(m, p) for m, p, dep in routes if (m, p) in PUBLIC and roles_of(dep)]
    assert public_with_roles == []
    assert len(routes) > 40


def test_staff_routes_refuse_anonymous_callers(routes, anon_client):
    for method, path, _ in routes:
        if (method, path) in PUBLIC:
            continue
        r = anon_client.request(method, _url(path), follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.headers["content-type"].startswith("application/problem+json")
        else:  # staff HTML pages send the browser to the sign-in page
            assert r.status_code in (401, 303), (method, path, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"].startswith("/connexion?next="), (method, path)


def test_roles_are_enforced_as_declared(routes, client_as, client):
    clients = {Role.ADMIN: client} | {role: client_as(role.value) for role in STAFF_ROLES}
    checked = 0
    for method, path, dep in sorted(routes, key=lambda r: r[1] == "/api/v1/auth/logout"):  # signing out: last
        allowed = roles_of(dep)
        if (method, path) in PUBLIC or allowed is None:
            continue
        assert Role.ADMIN in allowed, (method, path)
        url = _url(path)
        for role, c in clients.items():
            r = c.request(method, url, follow_redirects=False)
            if role in allowed:
                assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text[:200])
            else:
                assert r.status_code == 403, (role, method, path, r.status_code, r.text[:200])
                checked += 1
    assert checked >= 20


def test_declared_roles_match_the_policy(routes):
    """Spot checks of the policy (the table in the README), read from the routes themselves."""
    roles = {(m, p): roles_of(dep) for m, p, dep in routes}
    coord, switch = {Role.ADMIN, Role.COORDINATOR}, {Role.ADMIN, Role.COORDINATOR, Role.SWITCHBOARD}
    assert roles[("POST", "/api/v1/plans")] == coord
    assert roles[("POST", "/api/v1/plan-jobs")] == coord
    assert roles[("GET", "/api/v1/rounds/{round_id}/manifest.pdf")] == coord
    assert roles[("POST", "/api/v1/rounds/{round_id}/link")] == coord
    assert roles[("GET", "/api/v1/relay-points/{relay_point_id}/forecast")] == coord
    assert roles[("POST", "/api/v1/pickup-requests/{pickup_id}/override")] == switch
    assert roles[("GET", "/api/v1/relay-points")] == switch
    assert roles[("GET", "/api/v1/users")] == {Role.ADMIN}
    assert roles[("GET", "/api/v1/audit")] == {Role.ADMIN}
    assert roles[("GET", "/jour/{day}")] == coord
