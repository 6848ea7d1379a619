"""Donors' and contacts' personal data, proven absent wherever a caller may not see it (issue 23 item 1).

Every donor and relay-point contact gets a unique marker in every personal field (name, phone, address, access
code, notes; the crew's notes). Then EVERY route of the app (read from ``app.routes``) is called as anonymous, as a
relay point's link, as a crew link of its own round, as another day's crew link and as each staff role, and every
answer (body, headers; PDFs as extracted text; CSV, GeoJSON, pages, job results, error details) is searched for
the markers that caller may not see:

- anonymous callers and a relay point's link: no donor's data, no crew note, no other relay point's contact;
- a crew link: only the donors of its own round (another day's link: none of this day's donors);
- staff: whatever their role may read, and nothing from a route their role is refused;
- nobody: a webhook delivery (it leaves for another system) or the audit log carries no donor's data;
- a CSV or GeoJSON export asked with ``personal=false`` carries none either.

``ROUTES`` names every route the test knows how to call; a route added to the app without being listed here
fails the test (add it, with the query it needs, so it is walked too).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.conftest import PLAN_DAY, make_staff

OTHER_DAY = PLAN_DAY + dt.timedelta(days=1)  # a Wednesday: another day's round and its crew link
FAR = (48.70, 2.95)  # outside the road graph: the planner leaves this pickup unassigned ("site_too_far")

# (method, path) -> (query string, JSON body or None). Path parameters are filled with real ids (see _url).
_D, _O = PLAN_DAY.isoformat(), OTHER_DAY.isoformat()
ROUTES: dict[tuple[str, str], tuple[str, object]] = {
    ("GET", "/openapi.json"): ("", None), ("GET", "/docs"): ("", None),
    ("GET", "/docs/oauth2-redirect"): ("", None), ("GET", "/redoc"): ("", None), ("GET", "/health"): ("", None),
    ("GET", "/api/v1/relay-points"): ("limit=500", None),
    ("GET", "/api/v1/relay-points/nearest"): ("lat=48.8836&lon=2.3824&limit=20", None),
    ("GET", "/api/v1/relay-points/{relay_point_id}"): ("", None),
    ("GET", "/api/v1/relay-points/{relay_point_id}/forecast"): ("", None),
    ("POST", "/api/v1/relay-points/{relay_point_id}/reports"): ("", {}),
    ("GET", "/api/v1/relay-points/{relay_point_id}/reports"): ("", None),
    ("POST", "/api/v1/relay-points"): ("", {}),
    ("GET", "/api/v1/relay-points/{relay_point_id}/settings"): ("", None),
    ("PATCH", "/api/v1/relay-points/{relay_point_id}"): ("", {"capacity_m3": -1}),
    ("GET", "/api/v1/relay-points/{relay_point_id}/closures"): ("", None),
    ("POST", "/api/v1/relay-points/{relay_point_id}/closures"): ("", {}),
    ("DELETE", "/api/v1/relay-points/{relay_point_id}/closures/{closure_id}"): ("", None),
    ("POST", "/api/v1/pickup-requests"): ("", {}),
    ("POST", "/api/v1/pickup-requests/{pickup_id}/override"): ("", {}),
    ("GET", "/api/v1/pickup-requests"): ("limit=500", None),
    ("GET", "/api/v1/pickup-requests/{pickup_id}"): ("", None),
    ("GET", "/api/v1/pickup-requests/{pickup_id}/events"): ("", None),
    ("POST", "/api/v1/plans"): ("", {}),
    ("GET", "/api/v1/plans/{plan_id}"): ("", None),
    ("POST", "/api/v1/plans/{plan_id}/publish"): ("", None),  # already published: 409
    ("GET", "/api/v1/rounds"): (f"date={_D}", None),
    ("GET", "/api/v1/rounds/{round_id}/geometry"): ("", None),
    ("POST", "/api/v1/plan-jobs"): ("", {}),
    ("GET", "/api/v1/plan-jobs/{job_id}"): ("", None),
    ("DELETE", "/api/v1/plan-jobs/{job_id}"): ("", None),  # finished: nothing to cancel
    ("GET", "/api/v1/vans"): ("", None), ("POST", "/api/v1/vans"): ("", {}),
    ("GET", "/api/v1/vans/{van_id}"): ("", None), ("PATCH", "/api/v1/vans/{van_id}"): ("", {"capacity_m3": -1}),
    ("GET", "/api/v1/vans/{van_id}/unavailability"): ("", None),
    ("POST", "/api/v1/vans/{van_id}/unavailability"): ("", {}),
    ("DELETE", "/api/v1/vans/{van_id}/unavailability/{entry_id}"): ("", None),
    ("GET", "/api/v1/crews"): ("", None), ("POST", "/api/v1/crews"): ("", {}),
    ("GET", "/api/v1/crews/{crew_id}"): ("", None),
    ("PATCH", "/api/v1/crews/{crew_id}"): ("", {"shift_start_min": -1}),
    ("GET", "/api/v1/crews/{crew_id}/unavailability"): ("", None),
    ("POST", "/api/v1/crews/{crew_id}/unavailability"): ("", {}),
    ("DELETE", "/api/v1/crews/{crew_id}/unavailability/{entry_id}"): ("", None),
    ("GET", "/api/v1/pickups/track/{ref}"): ("phone_last4={last4}", None),  # the donor of the missed pickup
    # Routes added by the front-door, hardening and week issues: every caller walks them too. The changes are
    # sent without their confirmation or with an empty body (refused: nothing changes during the walk).
    ("POST", "/api/v1/pickups/track/{ref}/cancel"): ("", {}),
    ("POST", "/api/v1/pickups/track/{ref}/reschedule"): ("", {}),
    ("POST", "/suivi/annuler"): ("", "form"), ("POST", "/suivi/deplacer"): ("", "form"),
    ("POST", "/api/v1/pickup-requests/{pickup_id}/cancel"): ("", {}),
    ("POST", "/api/v1/pickup-requests/{pickup_id}/reschedule"): ("", {}),
    ("GET", "/api/v1/pickup-requests/{pickup_id}/messages"): ("", None),
    ("GET", "/api/v1/addresses"): ("q=rue", None),
    ("GET", "/api/v1/addresses/reverse"): ("lat=48.8836&lon=2.3824", None),
    ("GET", "/api/v1/online-bookings"): ("", None), ("POST", "/api/v1/online-bookings/release"): ("", {}),
    ("GET", "/api/v1/week"): ("days=3", None), ("GET", "/semaine"): ("", None),
    ("GET", "/standard"): ("", None), ("GET", "/standard/points-relais"): ("lat=48.8836&lon=2.3824", None),
    # The coordinator's live day, the sheet's poll of its round, a re-plan preview applied (an unknown job: 404).
    ("GET", "/api/v1/days/{day}/live"): ("", None), ("GET", "/r/{token}/now"): ("", None),
    ("POST", "/api/v1/plans/{plan_id}/replan/{job_id}/apply"): ("", {}),
    ("GET", "/api/v1/pickup-slots"): (f"lat=48.8836&lon=2.3824&volume_m3=2&from={_D}&days=2", None),
    ("GET", "/suivi"): ("", None), ("POST", "/suivi"): ("", "form"),
    ("GET", "/api/v1/rounds/{round_id}/manifest.pdf"): ("", None),
    ("GET", "/api/v1/plans/{plan_id}/summary.pdf"): ("", None),
    ("GET", "/api/v1/relay-points/{relay_point_id}/poster.pdf"): ("token={rp_token}", None),
    ("POST", "/r/{token}/stops/{stop_id}/events"): ("", {}),
    ("POST", "/r/{token}/held"): ("", {}), ("GET", "/sw.js"): ("", None),
    ("GET", "/api/v1/held-updates"): ("", None),
    ("POST", "/api/v1/held-updates/{held_id}/apply"): ("", {"stop_id": -1}),
    ("POST", "/api/v1/held-updates/{held_id}/dismiss"): ("", None),  # walked on a spare held update
    ("POST", "/api/v1/rounds/{round_id}/link"): ("", None),
    ("POST", "/api/v1/relay-points/{relay_point_id}/link"): ("", None),  # walked on another relay point
    ("DELETE", "/api/v1/relay-points/{relay_point_id}/link"): ("", None),  # idem
    ("GET", "/r/{token}"): ("", None), ("GET", "/p/{token}"): ("", None), ("POST", "/p/{token}"): ("", "form"),
    ("GET", "/donner"): ("", None), ("GET", "/donner/adresses"): ("q=rue", None),
    ("POST", "/donner/verifier"): ("", "form"), ("POST", "/donner"): ("", "form"),
    ("GET", "/jour/{day}"): ("", None),
    ("POST", "/jour/{day}/planifier"): ("", "form"), ("POST", "/jour/{day}/publier"): ("", "form"),
    ("POST", "/api/v1/auth/token"): ("", {}), ("POST", "/api/v1/auth/logout"): ("", None),
    ("GET", "/api/v1/auth/me"): ("", None), ("GET", "/api/v1/users"): ("", None),
    ("POST", "/api/v1/users"): ("", {}), ("PATCH", "/api/v1/users/{user_id}"): ("", {"role": "nobody"}),
    ("POST", "/api/v1/users/{user_id}/revoke-tokens"): ("", None),
    ("GET", "/api/v1/audit"): ("limit=500", None),
    ("GET", "/connexion"): ("", None), ("POST", "/connexion"): ("", "form"), ("POST", "/deconnexion"): ("", "form"),
    ("GET", "/api/v1/imports/columns"): ("", None),
    ("POST", "/api/v1/imports/relay-points"): ("dry_run=true", "csv"),
    ("POST", "/api/v1/imports/pickups"): ("dry_run=true", "csv"),
    # depots, requirements and crews' features (branch rules)
    ("GET", "/api/v1/depots"): ("", None), ("POST", "/api/v1/depots"): ("", {"name": ""}),
    ("GET", "/api/v1/depots/{depot_id}"): ("", None), ("PATCH", "/api/v1/depots/{depot_id}"): ("", {"lat": 99}),
    ("GET", "/api/v1/depots/{depot_id}/vans"): ("", None),
    ("GET", "/api/v1/imports/depots/columns"): ("", None), ("POST", "/api/v1/imports/depots"): ("dry_run=true", "csv"),
    ("GET", "/api/v1/pickup-requests/{pickup_id}/requirements"): ("", None),
    ("PUT", "/api/v1/pickup-requests/{pickup_id}/requirements"): ("", {"features": ["jetpack"]}),
    ("PUT", "/api/v1/relay-points/{relay_point_id}/requirements"): ("", {"features": ["jetpack"]}),
    ("PUT", "/api/v1/crews/{crew_id}/skills"): ("", {"features": ["jetpack"]}),
    ("GET", "/api/v1/crews/{crew_id}/features"): ("", None),
    ("GET", "/api/v1/exports/rounds.csv"): (f"date={_D}", None),
    ("GET", "/api/v1/exports/relay-points.csv"): ("", None),
    ("GET", "/api/v1/exports/rounds.geojson"): (f"date={_D}", None),
    ("GET", "/api/v1/reports/monthly"): ("month=2026-12", None),
    ("POST", "/api/v1/webhooks"): ("", {}), ("GET", "/api/v1/webhooks"): ("", None),
    ("GET", "/api/v1/webhooks/{subscription_id}/deliveries"): ("limit=500", None),
    ("DELETE", "/api/v1/webhooks/{subscription_id}"): ("", None),  # walked on a spare subscription
    ("GET", "/api/v1/plans/{plan_id}/changes"): ("since=0", None),
    ("POST", "/api/v1/plans/{plan_id}/stops/{stop_id}/lock"): ("", {}),
    ("POST", "/api/v1/plans/{plan_id}/stops/{stop_id}/move"): ("", {}),
    ("POST", "/api/v1/plans/{plan_id}/stops/{stop_id}/drop"): ("", {}),
    ("POST", "/api/v1/plans/{plan_id}/visits"): ("", {}),
    ("POST", "/api/v1/plans/{plan_id}/reoptimise"): ("", {}),
    ("POST", "/api/v1/plans/{plan_id}/replan"): ("", {}),
}
# Extra calls that must carry no donor data even for staff: exports without personal columns.
IMPERSONAL = (f"/api/v1/exports/rounds.csv?date={_D}&personal=false",
              f"/api/v1/exports/rounds.geojson?date={_D}&personal=false")
# Routes whose state change would disturb the callers after them: walked on spare records (see World.spare).
ON_SPARE = {"/api/v1/relay-points/{relay_point_id}/link", "/api/v1/held-updates/{held_id}/dismiss", "/api/v1/webhooks/{subscription_id}",
            "/api/v1/users/{user_id}/revoke-tokens", "/jour/{day}/planifier", "/jour/{day}/publier"}


@dataclass
class Person:
    """One donor (or relay-point contact) and the markers of their personal fields."""

    markers: list[str]
    digits: list[str] = field(default_factory=list)  # phones, searched in text stripped of separators


@dataclass
class World:
    ids: dict[str, str]
    spare: dict[str, str]
    donors: dict[int, Person]  # pickup request id -> markers
    contacts: dict[int, Person]  # relay point id -> markers
    crew_notes: list[str]
    rounds: dict[str, set[int]]  # crew link name -> pickup ids of its round
    tokens: dict[str, str]
    own_relay_point: int


def _phone(n: int) -> str:
    return f"07{n:08d}"[:10]


def _mark_donor(pu, n: int) -> Person:
    tag = f"{n:03d}"
    pu.donor_name = f"QZN{tag} Durand"
    pu.phone = _phone(31_415_000 + n)
    pu.address = f"QZA{tag} rue de Belleville, {pu.postcode} Paris"
    pu.access_code = f"QZC{tag}"
    pu.notes = f"QZT{tag} sonner deux fois"
    return Person([f"QZN{tag}", f"QZA{tag}", f"QZC{tag}", f"QZT{tag}"], [pu.phone])


def _mark_contact(rp, n: int) -> Person:
    tag = f"{n:03d}"
    rp.contact_name = f"QZR{tag} Martin"
    rp.contact_phone = _phone(27_182_000 + n)
    rp.access_notes = f"QZS{tag} porte de service"
    return Person([f"QZR{tag}", f"QZS{tag}"], [rp.contact_phone])


def _seed_markers(engine) -> tuple[dict[int, Person], dict[int, Person], int]:
    from dispatch.db import session_scope
    from dispatch.models import PickupRequest, PickupStatus, RelayPoint, Slot

    with session_scope(engine) as s:
        donors, contacts = {}, {}
        pickups = list(s.scalars(select(PickupRequest).order_by(PickupRequest.id)))
        for n, pu in enumerate(pickups, start=1):
            donors[pu.id] = _mark_donor(pu, n)
        far = PickupRequest(ref="QZ-FAR-1", donor_name="", phone="", address="", postcode="77000", lat=FAR[0],
                            lon=FAR[1], volume_m3=1.0, categories=["books"], date=PLAN_DAY, slot=Slot.MORNING,
                            status=PickupStatus.ACCEPTED)
        other = PickupRequest(ref="QZ-OTHER-1", donor_name="", phone="", address="", postcode="75019",
                              lat=48.8836, lon=2.3824, volume_m3=1.0, categories=["books"], date=OTHER_DAY,
                              slot=Slot.MORNING, status=PickupStatus.ACCEPTED)
        s.add_all([far, other])
        s.flush()
        donors[far.id] = _mark_donor(far, 900)
        donors[other.id] = _mark_donor(other, 901)
        for n, rp in enumerate(s.scalars(select(RelayPoint).order_by(RelayPoint.id)), start=1):
            contacts[rp.id] = _mark_contact(rp, n)
        return donors, contacts, other.id


def _plan_and_publish(coordinator: TestClient, engine) -> tuple[int, int, int, set[int]]:
    """D1 planned by the solver (the far pickup unassigned); D2 built directly.
    (plan D1, plan D2, round D2, its pickups)."""
    from dispatch.db import session_scope
    from tests.pages.plan_data import build_plan

    r = coordinator.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1})
    assert r.status_code == 201, r.text
    plan_id = r.json()["plan_id"]
    r = coordinator.post(f"/api/v1/plans/{plan_id}/publish?accept_unassigned=true")
    assert r.status_code == 200, r.text
    with session_scope(engine) as s:
        other = build_plan(s, OTHER_DAY)
        return plan_id, other.id, other.rounds[0].id, {st.pickup_request_id for st in other.rounds[0].stops
                                                       if st.pickup_request_id}


@pytest.fixture
def world(api_app, db_engine, client_as) -> World:
    from dispatch.db import session_scope
    from dispatch.models import Plan, PlanJob, Stop, StopKind

    donors, contacts, _ = _seed_markers(db_engine)
    coordinator = client_as("coordinator")
    for url in ("https://example.org/hooks/a", "https://example.org/hooks/spare"):
        r = coordinator.post("/api/v1/webhooks", json={"url": url, "events": ["plan.published", "pickup.scheduled",
                                                                             "relay_point.visit_planned"]})
        assert r.status_code == 201, r.text
    hooks = [h["id"] for h in coordinator.get("/api/v1/webhooks").json()]
    plan_id, _, other_round_id, other_pickups = _plan_and_publish(coordinator, db_engine)
    with session_scope(db_engine) as s:
        plan = s.get(Plan, plan_id)
        rounds = {r.id: {st.pickup_request_id for st in r.stops if st.pickup_request_id} for r in plan.rounds}
        own_round = next(rid for rid, pus in rounds.items() if len(pus) >= 2)
        stops = s.scalars(select(Stop).where(Stop.round_id == own_round, Stop.kind == StopKind.PICKUP)
                          .order_by(Stop.position)).all()
        missed_stop, collected_stop = stops[0].id, stops[1].id
        missed_pickup = stops[0].pickup_request_id
        # The relay point visited by the crew's own round, or (if the solver gave that round only pickups, as it
        # may with another engine's ids) one visited by another round of the day.
        round_ids = [own_round] + [rid for rid in rounds if rid != own_round]
        rp_stop = next(st for rid in round_ids for st in s.scalars(
            select(Stop).where(Stop.round_id == rid, Stop.kind == StopKind.RELAY_POINT).order_by(Stop.position)))
        own_rp = rp_stop.relay_point_id
        spare_rp = next(i for i in contacts if i != own_rp)
    tokens = {}
    for name, rid in (("crew", own_round), ("other_day_crew", other_round_id)):
        tokens[name] = coordinator.post(f"/api/v1/rounds/{rid}/link").json()["url"].rsplit("/", 1)[1]
    tokens["relay_point"] = coordinator.post(f"/api/v1/relay-points/{own_rp}/link").json()["url"].rsplit("/", 1)[1]
    # The crew's notes, from the crew's own link: one on a missed pickup (copied into its status), one collected.
    crew_notes = ["QZK001", "QZK002", "QZK003"]
    anon = TestClient(api_app)
    for stop, kind, note in ((missed_stop, "missed", "QZK001 chien méchant"), (collected_stop, "collected",
                                                                                 "QZK002 carton mouillé")):
        body = {"kind": kind, "idempotency_key": f"marker-{stop}-{kind}", "note": note,
                **({"reason": "absent"} if kind == "missed" else {"collected_m3": 1.0})}
        r = anon.post(f"/r/{tokens['crew']}/stops/{stop}/events", json=body)
        assert r.status_code == 201, r.text
    # An update the server refused, handed over for the coordinator (with the crew's note), and a spare one.
    held = []
    for n, note in ((1, "QZK003 portail fermé"), (2, None)):
        r = anon.post(f"/r/{tokens['crew']}/held", json={"updates": [{
            "stop_id": missed_stop, "kind": "arrived", "idempotency_key": f"held-marker-{n}", "note": note,
            "occurred_at": "2026-12-01T09:00:00+01:00", "refused_status": 404, "link_token": tokens["crew"]}]})
        assert r.status_code == 200, r.text
        held.append(str(r.json()[0]["id"]))
    # A planning job of the other day, finished: its result is walked too.
    r = coordinator.post("/api/v1/plan-jobs", json={"date": OTHER_DAY.isoformat(), "time_limit_s": 1})
    assert r.status_code in (201, 202), r.text
    job_id = r.json()["job"]["id"]
    _wait_job(db_engine, job_id)
    with session_scope(db_engine) as s:
        from dispatch.models import PickupRequest

        pu = s.get(PickupRequest, missed_pickup)
        ref, last4 = pu.ref, re.sub(r"\D", "", pu.phone)[-4:]
        assert s.get(PlanJob, job_id) is not None
    user_id, _ = make_staff(db_engine, "switchboard")
    spare_user, _ = make_staff(db_engine, "switchboard")
    ids = {"relay_point_id": str(own_rp), "pickup_id": str(missed_pickup), "plan_id": str(plan_id),
           "round_id": str(own_round), "job_id": job_id, "van_id": "1", "crew_id": "1", "closure_id": "999999",
           "depot_id": "1",
           "entry_id": "999999", "stop_id": str(missed_stop), "user_id": str(user_id),
           "subscription_id": str(hooks[0]), "day": PLAN_DAY.isoformat(), "ref": ref, "last4": last4,
           "rp_token": tokens["relay_point"], "held_id": held[0]}
    spare = {**ids, "relay_point_id": str(spare_rp), "subscription_id": str(hooks[1]), "user_id": str(spare_user), "held_id": held[1],
             "day": "2026-12-06"}  # a Sunday: nothing to plan or publish
    rounds_seen = {"crew": rounds[own_round], "other_day_crew": other_pickups}
    return World(ids, spare, donors, contacts, crew_notes, rounds_seen, tokens, own_rp)


def _wait_job(engine, job_id: str) -> None:
    import time

    from dispatch.db import session_scope
    from dispatch.models import JobStatus, PlanJob

    for _ in range(600):
        with session_scope(engine) as s:
            if s.get(PlanJob, job_id).status not in (JobStatus.QUEUED, JobStatus.RUNNING):
                return
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


# ------------------------------------------------------------------ reading answers


def _text_of(response) -> str:
    """Everything a caller receives, as text: headers, then the body (a PDF's extracted text)."""
    head = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/pdf"):
        from pypdf import PdfReader

        body = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(response.content)).pages)
    else:
        body = response.content.decode("utf-8", errors="replace")
    return head + "\n" + body


def _found(text: str, people: list[Person], extra: list[str] = ()) -> list[str]:
    squeezed = re.sub(r"[\s.\-()+]", "", text)
    hits = [m for p in people for m in p.markers if m in text] + [m for m in extra if m in text]
    hits += [d for p in people for d in p.digits if d in squeezed or d[1:] in squeezed]
    return hits


def _url(path: str, query: str, values: dict[str, str], token: str) -> str:
    def fill(m: re.Match) -> str:
        name = m.group(1)
        return token if name == "token" else values[name]

    url = re.sub(r"\{([^}:]+)(:[^}]*)?\}", fill, path)
    return url + ("?" + query.format(**values) if query else "")


def _call(client: TestClient, method: str, url: str, body: object):
    if body == "form":
        return client.request(method, url, data={"x": "1"}, follow_redirects=False)
    if body == "csv":
        return client.request(method, url, content=b"nom;telephone\n", headers={"Content-Type": "text/csv"},
                              follow_redirects=False)
    return client.request(method, url, json=body, follow_redirects=False)


def _app_routes(app) -> set[tuple[str, str]]:
    return {(m, r.path) for r in iter_route_contexts(app.routes) for m in (getattr(r, "methods", None) or ()) if
            m != "HEAD"}


# ------------------------------------------------------------------ the tests


def test_the_walk_knows_every_route(api_app):
    routes = _app_routes(api_app)
    unknown = sorted(routes - set(ROUTES))
    assert unknown == [], f"new routes: add them to ROUTES in {__file__} so the personal-data walk covers them"
    assert sorted(set(ROUTES) - routes) == [], "routes listed here that the app no longer has"


def _callers(api_app, db_engine, w: World) -> list[tuple[str, TestClient, str, list[Person], list[str]]]:
    """(name, client, token for {token}, people whose markers it may not see, other forbidden markers)."""
    everyone = list(w.donors.values())
    contacts_but = [p for i, p in w.contacts.items() if i != w.own_relay_point]
    out = [("anonymous", TestClient(api_app), "x1234567", everyone + list(w.contacts.values()), w.crew_notes),
           ("relay point link", TestClient(api_app), w.tokens["relay_point"], everyone + contacts_but, w.crew_notes)]
    for name in ("crew", "other_day_crew"):
        hidden = [p for i, p in w.donors.items() if i not in w.rounds[name]]
        out.append((f"{name} link", TestClient(api_app), w.tokens[name], hidden,
                    [] if name == "crew" else w.crew_notes))
    for role in ("switchboard", "coordinator", "admin"):
        _, token = make_staff(db_engine, role)
        out.append((role, TestClient(api_app, headers={"Authorization": f"Bearer {token}"}), "x1234567", [], []))
    return out


def test_no_caller_sees_personal_data_it_may_not(api_app, db_engine, world):
    from api.security import roles_of

    deps = {(m, r.path): getattr(r, "dependant", None) for r in iter_route_contexts(api_app.routes)
            for m in (getattr(r, "methods", None) or ())}
    everyone = list(world.donors.values())
    leaks, walked = [], set()
    for name, client, token, hidden, extra in _callers(api_app, db_engine, world):
        order = sorted(ROUTES, key=lambda k: (k[0] != "GET", k[1] == "/api/v1/auth/logout"))
        for method, path in order:
            query, body = ROUTES[(method, path)]
            values = world.spare if path in ON_SPARE or path.startswith("/api/v1/relay-points/{relay_point_id}/link") \
                else world.ids
            r = _call(client, method, _url(path, query, values, token), body)
            assert r.status_code < 500, (name, method, path, r.status_code, r.text[:300])
            walked.add((method, path))
            text = _text_of(r)
            roles = roles_of(deps[(method, path)])
            refused = r.status_code in (401, 403) or (roles is not None and name not in {x.value for x in roles})
            forbidden = everyone + list(world.contacts.values()) if refused and roles is not None else hidden
            hits = _found(text, forbidden, world.crew_notes if refused and roles is not None else extra)
            if hits:
                leaks.append(f"{name}: {method} {path} -> {r.status_code} shows {sorted(set(hits))}")
    assert walked == set(ROUTES)
    assert leaks == [], "personal data where the caller may not see it:\n" + "\n".join(leaks)


def test_webhooks_audit_and_impersonal_exports_carry_no_donor_data(api_app, db_engine, world):
    _, token = make_staff(db_engine, "admin")
    admin = TestClient(api_app, headers={"Authorization": f"Bearer {token}"})
    everyone = list(world.donors.values())
    leaks = []
    for url in (*IMPERSONAL, f"/api/v1/webhooks/{world.ids['subscription_id']}/deliveries?limit=500",
                "/api/v1/audit?limit=500"):
        r = admin.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        hits = _found(_text_of(r), everyone, world.crew_notes)
        if hits:
            leaks.append(f"{url} shows {sorted(set(hits))}")
    deliveries = admin.get(f"/api/v1/webhooks/{world.ids['subscription_id']}/deliveries?limit=500").json()
    assert any(d["event"] == "pickup.scheduled" for d in deliveries)  # the walk looked at real payloads
    assert leaks == []


def test_the_walk_sees_what_it_must_see(api_app, db_engine, world):
    """The markers are where they belong: the crew's sheet shows its donors, staff the unassigned far pickup
    (so an empty leak list is not the walk missing the data)."""
    crew = TestClient(api_app).get(f"/r/{world.tokens['crew']}")
    assert crew.status_code == 200
    own = [world.donors[i] for i in world.rounds["crew"]]
    assert all(p.markers[0] in crew.text for p in own)
    _, token = make_staff(db_engine, "coordinator")
    staff = TestClient(api_app, headers={"Authorization": f"Bearer {token}"})
    day = staff.get(f"/api/v1/rounds?date={_D}").json()
    far = [u for u in day["unassigned"] if u["kind"] == "pickup"]
    assert far and far[0]["reason"] == "site_too_far", day["unassigned"]
    assert "QZN900" in far[0]["name"]
    anonymous = TestClient(api_app).get(f"/api/v1/rounds?date={_D}").json()
    far_anon = [u for u in anonymous["unassigned"] if u["kind"] == "pickup"]
    assert far_anon and far_anon[0]["reason"] == "site_too_far" and far_anon[0]["detail"]  # the reason stays


# ------------------------------------------------------------------ after retention, and a donor's rights


def _scan(engine, people: list[Person], extra: list[str]) -> list[str]:
    """Every row of every table, every column, as text: where the markers of ``people`` are still stored."""
    from dispatch.models import Base

    found = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    hits = _found(str(value), people, extra)
                    if hits:
                        found.append(f"{table.name}.{column}: {sorted(set(hits))}")
    return found


def _cli(monkeypatch, migrated_url, argv: list[str]) -> int:
    from api.cli import main
    from dispatch.settings import get_settings

    monkeypatch.setenv("DISPATCH_DATABASE_URL", migrated_url)
    get_settings.cache_clear()
    try:
        return main(argv)
    finally:
        get_settings.cache_clear()


def test_after_retention_no_table_holds_an_expired_pickups_data(api_app, db_engine, world, monkeypatch,
                                                                migrated_url, capsys):
    everyone = list(world.donors.values())
    before = _scan(db_engine, everyone, world.crew_notes)
    # the texts that used to outlive retention are among the places the markers are stored
    assert {s.split(":")[0] for s in before} >= {"pickup_request.donor_name", "pickup_event.detail",
                                                  "stop_event.note"}, before
    # Both days are more than a day old for the command's clock (today, in Paris): every pickup has expired.
    assert _cli(monkeypatch, migrated_url, ["retention", "--days", "1"]) == 0
    assert "anonymised" in capsys.readouterr().out
    assert _scan(db_engine, everyone, world.crew_notes) == []
    # what statistics need stays; the reason of the unassigned far pickup is still known
    from dispatch.db import session_scope
    from dispatch.models import UnassignedVisit

    with session_scope(db_engine) as s:
        far = s.scalars(select(UnassignedVisit).where(UnassignedVisit.reason == "site_too_far")).all()
        assert far and all(u.pickup_request_id for u in far)


def test_a_donor_can_get_their_data_and_have_it_erased(api_app, db_engine, world, monkeypatch, migrated_url,
                                                       capsys):
    import json

    pickup_id = int(world.ids["pickup_id"])  # the missed pickup: history, crew note, status reason
    donor = world.donors[pickup_id]
    spelled = "+33 " + donor.digits[0][1:]  # the same number, spelled another way
    assert _cli(monkeypatch, migrated_url, ["donor", "export", spelled]) == 0
    data = json.loads(capsys.readouterr().out)
    [record] = data["pickup_requests"]
    assert record["donor_name"].startswith(donor.markers[0]) and record["access_code"] == donor.markers[2]
    assert any(u["note"] and "QZK001" in u["note"] for u in record["crew_updates"])
    assert any("QZK001" in (h["detail"] or "") for h in record["history"])
    assert _cli(monkeypatch, migrated_url, ["donor", "erase", donor.digits[0]]) == 1  # says what, changes nothing
    assert record["ref"] in capsys.readouterr().out
    assert _cli(monkeypatch, migrated_url, ["donor", "erase", donor.digits[0], "--yes"]) == 0
    assert record["ref"] in capsys.readouterr().out
    assert _scan(db_engine, [donor], ["QZK001"]) == []
    others = [p for i, p in world.donors.items() if i != pickup_id]
    assert len(_scan(db_engine, others, [])) > 0  # only that donor
    assert _cli(monkeypatch, migrated_url, ["donor", "export", donor.digits[0]]) == 2  # nothing left to find
    assert "no pickup request has this phone number" in capsys.readouterr().err
    _, token = make_staff(db_engine, "admin")
    entries = TestClient(api_app, headers={"Authorization": f"Bearer {token}"}).get("/api/v1/audit").json()
    done = [e for e in entries if e["path"].startswith("dispatch donor")]
    assert {e["path"] for e in done} == {"dispatch donor export", "dispatch donor erase"}
    assert all(e["detail"]["refs"] == [record["ref"]] for e in done)
    assert _cli(monkeypatch, migrated_url, ["donor", "export", "12"]) == 2
    assert "is not a phone number" in capsys.readouterr().err
