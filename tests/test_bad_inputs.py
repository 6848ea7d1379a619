"""A catalogue of bad inputs, each with its expected clear answer (issue 8, item 2).

One parametrized case per bad input across the API and the pages: the status code, and the field (or
the words of the fix) named in the answer. Never a 500. Then oversized bodies, wrong encodings and
injection strings, stored verbatim and rendered escaped in the HTML pages and the PDF manifests.
Auth, rate limits and CSV imports have their own tests; time windows and relay points are not created
through the API today (no endpoint), so their bad inputs belong to the CSV import's tests.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import dataclasses
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, text

from dispatch.workdays import next_collection_day
from tests.api.conftest import PLAN_DAY, api_app, client, client_as, make_staff, seeded  # noqa: F401 - the fixtures of tests/api

INJECTIONS = ("<script>alert(1)</script>", "'; DROP TABLE relay_point;--", "{{7*7}}")
SECRET = "bad-inputs-secret"
LYON = {"lat": 45.7640, "lon": 4.8357}
BOIS_DE_BOULOGNE = {"lat": 48.8625, "lon": 2.2480}  # inside the map, 1 km from any drivable street
SUNDAY, CHRISTMAS = "2026-12-06", "2026-12-25"


@pytest.fixture
def world(client, seeded, monkeypatch):  # noqa: F811
    """The demo network with a small published plan, a round link and a relay-point link."""
    from dispatch.field import links
    from dispatch.db import session_scope
    from tests.pages.plan_data import build_plan

    monkeypatch.setenv("DISPATCH_SECRET_KEY", SECRET)
    with session_scope(seeded) as s:
        plan = build_plan(s)
        rnd = plan.rounds[0]
        relay, pickup_stop = rnd.stops[0], rnd.stops[2]
        other_rp = rnd.stops[1].relay_point_id
        w = {
            "plan": plan.id, "round": rnd.id, "stop": relay.id, "pickup_stop": pickup_stop.id,
            "rp": relay.relay_point_id, "other_rp": other_rp, "pickup": pickup_stop.pickup_request_id,
            "token": links.round_link(rnd.id, session=s)[0],
            "rp_token": links.create_relay_point_link(relay.relay_point_id, session=s),
            "other_rp_token": links.create_relay_point_link(other_rp, session=s),
            "unassigned_rp": plan.unassigned[0].relay_point_id,
        }
    return w


def pickup(**changes) -> dict:
    body = {"donor_name": "Mme Durand", "phone": "06 12 34 56 78", "address": "12 rue de Belleville, 75020 Paris",
            "postcode": "75020", "lat": 48.8721, "lon": 2.3770, "volume_m3": 3.5,
            "date": next_collection_day(dt.date.today() + dt.timedelta(days=7)).isoformat(), "slot": "morning",
            "categories": ["books"], "floor": 0}
    body.update(changes)
    return body


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # formatted with the world's ids and tokens
    status: int
    field: str | None = None  # the field named in the problem (or one of its errors)
    says: tuple[str, ...] = ()  # words the answer must contain (case-insensitive): what is wrong, how to fix
    json: object = None
    data: dict | None = None
    refused: str | None = None  # a pickup stored as refused with this reason code
    kwargs: dict = dataclasses.field(default_factory=dict)


R = "/api/v1/relay-points/{rp}/reports"
EV = "/r/{token}/stops/{stop}/events"
KEY = "catalogue-key-0001"
CASES = [
    # --- relay-point fill reports
    Case("report level negative", "POST", R, 422, "level_pct", ("greater than or equal to 0",), {"level_pct": -5}),
    Case("report level above 100", "POST", R, 422, "level_pct", ("less than or equal to 100",), {"level_pct": 150}),
    Case("report level not a number", "POST", R, 422, "level_pct", ("number",), {"level_pct": "high"}),
    Case("report stock negative", "POST", R, 422, "stock_m3", ("greater than or equal to 0",), {"stock_m3": -1}),
    Case("report stock absurd", "POST", R, 422, "stock_m3", ("less than or equal to 1000",), {"stock_m3": 1e9}),
    Case("report stock above capacity", "POST", R, 422, "stock_m3", ("capacity", "full=true"), {"stock_m3": 500}),
    Case("report nothing given", "POST", R, 422, "body", ("exactly one", "got none"), {}),
    Case("report two values", "POST", R, 422, "body", ("exactly one", "level_pct, full"),
         {"level_pct": 50, "full": True}),
    Case("report unknown field", "POST", R, 422, "level", ("extra",), {"level": 50}),
    Case("report note too long", "POST", R, 422, "note", ("at most 1000",), {"full": True, "note": "x" * 1001}),
    Case("report body not an object", "POST", R, 422, "body", ("object",), [1, 2]),
    Case("report unknown relay point", "POST", "/api/v1/relay-points/999999/reports", 404, "relay_point_id",
         ("999999", "does not exist"), {"full": True}),
    Case("report id zero", "POST", "/api/v1/relay-points/0/reports", 422, "relay_point_id",
         ("greater than or equal to 1",), {"full": True}),
    Case("report id overflow", "POST", "/api/v1/relay-points/99999999999/reports", 422, "relay_point_id",
         ("less than or equal to",), {"full": True}),
    Case("report id not a number", "POST", "/api/v1/relay-points/abc/reports", 422, "relay_point_id",
         ("integer",), {"full": True}),
    Case("relay point unknown", "GET", "/api/v1/relay-points/999999", 404, "relay_point_id", ("does not exist",)),
    Case("relay point capacity absurdly small", "PATCH", "/api/v1/relay-points/{rp}", 422, "capacity_m3",
         ("greater than or equal to 0.05",), {"capacity_m3": 5e-324}),
    Case("van capacity absurdly small", "POST", "/api/v1/vans", 422, "capacity_m3",
         ("greater than or equal to 0.5",), {"name": "Camion X", "capacity_m3": 0.001}),
    Case("reports of unknown relay point", "GET", "/api/v1/relay-points/999999/reports", 404, "relay_point_id"),
    Case("forecast days absurd", "GET", "/api/v1/relay-points/{rp}/forecast?days=10000", 422, "days"),
    Case("list limit zero", "GET", "/api/v1/relay-points?limit=0", 422, "limit"),
    # --- nearest relay points
    Case("nearest outside the served area", "GET", "/api/v1/relay-points/nearest?lat={LYON[lat]}&lon={LYON[lon]}",
         422, "lat", ("outside the served area", "paris")),
    Case("nearest on no street", "GET",
         "/api/v1/relay-points/nearest?lat={BDB[lat]}&lon={BDB[lon]}", 422, "lat", ("street",)),
    Case("nearest latitude out of range", "GET", "/api/v1/relay-points/nearest?lat=91&lon=2.35", 422, "lat",
         ("less than or equal to 90",)),
    Case("nearest longitude missing", "GET", "/api/v1/relay-points/nearest?lat=48.85", 422, "lon", ("required",)),
    Case("nearest latitude not a number", "GET", "/api/v1/relay-points/nearest?lat=nord&lon=2.35", 422, "lat"),
    Case("nearest limit absurd", "GET", "/api/v1/relay-points/nearest?lat=48.87&lon=2.37&limit=1000", 422, "limit"),
    # --- home pickups: malformed (422) ...
    Case("pickup volume zero", "POST", "/api/v1/pickup-requests", 422, "volume_m3", ("greater than 0",),
         pickup(volume_m3=0)),
    Case("pickup volume negative", "POST", "/api/v1/pickup-requests", 422, "volume_m3", ("greater than 0",),
         pickup(volume_m3=-2)),
    Case("pickup volume absurd", "POST", "/api/v1/pickup-requests", 422, "volume_m3", ("less than or equal to 100",),
         pickup(volume_m3=1e12)),
    Case("pickup date impossible", "POST", "/api/v1/pickup-requests", 422, "date", ("date",),
         pickup(date="2026-02-30")),
    Case("pickup slot unknown", "POST", "/api/v1/pickup-requests", 422, "slot", ("morning", "afternoon"),
         pickup(slot="evening")),
    Case("pickup postcode malformed", "POST", "/api/v1/pickup-requests", 422, "postcode", ("pattern",),
         pickup(postcode="7501")),
    Case("pickup phone letters", "POST", "/api/v1/pickup-requests", 422, "phone", ("pattern",),
         pickup(phone="call me maybe")),
    Case("pickup latitude out of range", "POST", "/api/v1/pickup-requests", 422, "lat", (), pickup(lat=123)),
    Case("pickup name missing", "POST", "/api/v1/pickup-requests", 422, "donor_name", ("required",),
         {k: v for k, v in pickup().items() if k != "donor_name"}),
    Case("pickup floor absurd", "POST", "/api/v1/pickup-requests", 422, "floor", (), pickup(floor=999)),
    # --- ... and well-formed but refused by the rules (stored, 201, every reason with its field)
    Case("pickup larger than every van", "POST", "/api/v1/pickup-requests", 201, "volume_m3", (),
         pickup(volume_m3=50), refused="volume_above_van"),
    Case("pickup on a Sunday", "POST", "/api/v1/pickup-requests", 201, "date", (), pickup(date=SUNDAY),
         refused="date_not_collection_day"),
    Case("pickup on a public holiday", "POST", "/api/v1/pickup-requests", 201, "date", (), pickup(date=CHRISTMAS),
         refused="date_not_collection_day"),
    Case("pickup outside the served area", "POST", "/api/v1/pickup-requests", 201, "position", (),
         pickup(postcode="69001", **LYON), refused="position_off_network"),
    Case("pickup postcode not served", "POST", "/api/v1/pickup-requests", 201, "postcode", (),
         pickup(postcode="69001"), refused="outside_zone"),
    Case("pickup on no street", "POST", "/api/v1/pickup-requests", 201, "position", (),
         pickup(postcode="75016", **BOIS_DE_BOULOGNE), refused="position_off_network"),
    Case("pickup refused category", "POST", "/api/v1/pickup-requests", 201, "categories", (),
         pickup(categories=["hazardous"]), refused="category_refused"),
    Case("pickup unknown category", "POST", "/api/v1/pickup-requests", 201, "categories", (),
         pickup(categories=["piano"]), refused="category_unknown"),
    Case("pickup below minimum volume", "POST", "/api/v1/pickup-requests", 201, "volume_m3", (),
         pickup(volume_m3=0.5), refused="volume_below_minimum"),
    Case("pickup too far ahead", "POST", "/api/v1/pickup-requests", 201, "date", (),
         pickup(date=(dt.date.today() + dt.timedelta(days=400)).isoformat()), refused="date_too_far"),
    Case("pickup unknown id", "GET", "/api/v1/pickup-requests/999999", 404, "pickup_id", ("does not exist",)),
    Case("override unknown pickup", "POST", "/api/v1/pickup-requests/999999/override", 404, "pickup_id", (),
         {"by": "Amina", "reason": "accord de la responsable"}),
    Case("override not refused", "POST", "/api/v1/pickup-requests/{pickup}/override", 409, None,
         ("only a refused request",), {"by": "Amina", "reason": "accord de la responsable"}),
    Case("override reason too short", "POST", "/api/v1/pickup-requests/{pickup}/override", 422, "reason",
         ("at least 5",), {"by": "Amina", "reason": "ok"}),
    Case("pickups list bad status", "GET", "/api/v1/pickup-requests?status=lost", 422, "status"),
    # --- plans
    Case("plan a Sunday", "POST", "/api/v1/plans", 422, "date", ("sunday",), {"date": SUNDAY}),
    Case("plan a public holiday", "POST", "/api/v1/plans", 422, "date", ("holiday",), {"date": CHRISTMAS}),
    Case("plan a published day", "POST", "/api/v1/plans", 409, None, ("already published",),
         {"date": PLAN_DAY.isoformat()}),
    Case("plan time limit zero", "POST", "/api/v1/plans", 422, "time_limit_s", ("greater than 0",),
         {"date": "2026-12-02", "time_limit_s": 0}),
    Case("plan time limit negative", "POST", "/api/v1/plans", 422, "time_limit_s", ("greater than 0",),
         {"date": "2026-12-02", "time_limit_s": -3}),
    Case("plan time limit absurd", "POST", "/api/v1/plans", 422, "time_limit_s", ("less than or equal to 600",),
         {"date": "2026-12-02", "time_limit_s": 1e9}),
    Case("plan date malformed", "POST", "/api/v1/plans", 422, "date", ("date",), {"date": "2026-13-01"}),
    Case("plan seed negative", "POST", "/api/v1/plans", 422, "seed", (), {"date": "2026-12-02", "seed": -1}),
    Case("plan unknown id", "GET", "/api/v1/plans/999999", 404, "plan_id", ("does not exist",)),
    Case("publish unknown plan", "POST", "/api/v1/plans/999999/publish", 404, "plan_id"),
    Case("publish twice", "POST", "/api/v1/plans/{plan}/publish", 409, None, ("already published",)),
    Case("rounds of a day without plan", "GET", "/api/v1/rounds?date=2026-12-08", 404, "date",
         ("no plan", "POST /api/v1/plans")),
    Case("rounds date malformed", "GET", "/api/v1/rounds?date=tomorrow", 422, "date"),
    Case("geometry of unknown round", "GET", "/api/v1/rounds/999999/geometry", 404, "round_id"),
    # --- planning jobs
    Case("job on a Sunday", "POST", "/api/v1/plan-jobs", 422, "date", ("sunday",), {"date": SUNDAY}),
    Case("job on a public holiday", "POST", "/api/v1/plan-jobs", 422, "date", ("holiday",), {"date": CHRISTMAS}),
    Case("job time limit negative", "POST", "/api/v1/plan-jobs", 422, "time_limit_s", (),
         {"date": "2026-12-02", "time_limit_s": -1}),
    Case("job unknown id", "GET", "/api/v1/plan-jobs/no-such-job", 404, "job_id", ("does not exist",)),
    Case("cancel unknown job", "DELETE", "/api/v1/plan-jobs/no-such-job", 404, "job_id"),
    # --- crew updates from the round link
    Case("update with a forged link", "POST", "/r/1.9999999999.forged/stops/{stop}/events", 403, "token",
         ("not valid",), {"kind": "arrived", "idempotency_key": KEY}),
    Case("update of a stop of another round", "POST", "/r/{token}/stops/999999/events", 404, "stop_id",
         ("not a stop of this round",), {"kind": "arrived", "idempotency_key": KEY}),
    Case("update kind unknown", "POST", EV, 422, "kind", ("arrived", "collected", "missed"),
         {"kind": "exploded", "idempotency_key": KEY}),
    Case("update collected without volume", "POST", EV, 422, "collected_m3", ("collected volume",),
         {"kind": "collected", "idempotency_key": KEY}),
    Case("update collected negative", "POST", EV, 422, "collected_m3", ("greater than or equal to 0",),
         {"kind": "collected", "collected_m3": -1, "idempotency_key": KEY}),
    Case("update collected absurd", "POST", EV, 422, "collected_m3", ("less than or equal to 100",),
         {"kind": "collected", "collected_m3": 1e6, "idempotency_key": KEY}),
    Case("update remaining above capacity", "POST", EV, 422, "remaining_m3", ("capacity",),
         {"kind": "collected", "collected_m3": 1, "remaining_m3": 99, "idempotency_key": KEY}),
    Case("update missed without reason", "POST", "/r/{token}/stops/{pickup_stop}/events", 422, "reason",
         ("reason must be one of",), {"kind": "missed", "idempotency_key": KEY}),
    Case("update missed unknown reason", "POST", "/r/{token}/stops/{pickup_stop}/events", 422, "reason",
         ("reason must be one of",), {"kind": "missed", "reason": "aliens", "idempotency_key": KEY}),
    Case("update idempotency key too short", "POST", EV, 422, "idempotency_key", ("at least 8",),
         {"kind": "arrived", "idempotency_key": "abc"}),
    Case("update idempotency key bad characters", "POST", EV, 422, "idempotency_key", ("letters, digits",),
         {"kind": "arrived", "idempotency_key": "key with spaces!"}),
    Case("update idempotency key missing", "POST", EV, 422, "idempotency_key", ("required",), {"kind": "arrived"}),
    Case("update unknown field", "POST", EV, 422, "volume", ("extra",),
         {"kind": "arrived", "idempotency_key": KEY, "volume": 3}),
    Case("round link for unknown round", "POST", "/api/v1/rounds/999999/link", 404, "round_id"),
    # --- relay-point links and their page
    Case("link for unknown relay point", "POST", "/api/v1/relay-points/999999/link", 404, "relay_point_id"),
    Case("revoke link of unknown relay point", "DELETE", "/api/v1/relay-points/999999/link", 404, "relay_point_id"),
    Case("relay-point page unknown token", "POST", "/p/not-a-real-token", 403, None, ("lien",),
         data={"action": "full"}),
    Case("relay-point page level not offered", "POST", "/p/{rp_token}", 422, None, ("25, 50, 75, 100",),
         data={"level": "33"}),
    Case("relay-point page level not a number", "POST", "/p/{rp_token}", 422, None, ("level",),
         data={"level": "beaucoup"}),
    Case("relay-point page nothing sent", "POST", "/p/{rp_token}", 422, None, ("level",), data={}),
    # --- manifests and posters
    Case("manifest of unknown round", "GET", "/api/v1/rounds/999999/manifest.pdf", 404, "round_id"),
    Case("summary of unknown plan", "GET", "/api/v1/plans/999999/summary.pdf", 404, "plan_id"),
    Case("manifest language unknown", "GET", "/api/v1/rounds/{round}/manifest.pdf?lang=de", 422, "lang"),
    Case("poster with another relay point's token", "GET",
         "/api/v1/relay-points/{rp}/poster.pdf?token={other_rp_token}", 403, "token", ("another relay point",)),
    Case("poster without token", "GET", "/api/v1/relay-points/{rp}/poster.pdf", 422, "token", ("required",)),
    # --- donor page
    Case("donor form negative volume", "POST", "/donner", 422, None, ("volume",),
         data={"donor_name": "A", "phone": "0612345678", "address": "1 rue X", "postcode": "75019",
               "lat": "48.88", "lon": "2.37", "volume_m3": "-3", "date": "2026-12-09", "slot": "morning"}),
    Case("donor check not JSON", "POST", "/donner/verifier", 422, None, (), data={"x": "1"}),
    Case("donor page latitude out of range", "GET", "/donner?lat=200&lon=2.3", 422, None, ("lat",)),
]


def _send(client, case: Case, world: dict):  # noqa: F811
    path = case.path.format(**world, LYON=LYON, BDB=BOIS_DE_BOULOGNE)
    kwargs = dict(case.kwargs)
    if case.json is not None:
        kwargs["json"] = case.json
    if case.data is not None:
        kwargs["data"] = case.data
    return client.request(case.method, path, **kwargs)


def _fields(body: dict) -> set:
    return {body.get("field")} | {e.get("field") for e in body.get("errors") or []}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_clear_answer(client, world, case: Case) -> None:  # noqa: F811
    response = _send(client, case, world)
    assert response.status_code == case.status, response.text[:500]
    if case.refused:
        body = response.json()
        assert body["status"] == "refused"
        codes = {r["code"]: r for r in body["reasons"]}
        assert case.refused in codes, codes
        assert codes[case.refused]["field"] == case.field and codes[case.refused]["message"]
        stored = client.get(f"/api/v1/pickup-requests/{body['id']}").json()
        assert stored["status"] == "refused"  # a refused request is kept, with its reasons
        return
    if response.headers["content-type"].startswith("application/problem+json"):
        body = response.json()
        assert body["status"] == case.status and body["detail"]
        if case.field is not None:
            assert case.field in _fields(body), body
        said = body["detail"]
    else:  # a page: a friendly HTML error in French
        assert response.headers["content-type"].startswith(("text/html", "application/json"))
        said = response.text
    for words in case.says:
        assert words.lower() in said.lower(), said[:800]


def test_the_catalogue_is_large_and_covers_every_area() -> None:
    areas = {c.path.split("/")[1] if not c.path.startswith("/api/") else c.path.split("/")[3] for c in CASES}
    assert {"relay-points", "pickup-requests", "plans", "plan-jobs", "rounds", "r", "p", "donner"} <= areas
    assert len(CASES) >= 80
    assert len({c.name for c in CASES}) == len(CASES)


# ------------------------------------------------------------------ bodies: size and encoding


def test_oversized_body_is_refused_with_413(client, world) -> None:  # noqa: F811
    big = b'{"full": true, "note": "' + b"x" * 1_100_000 + b'"}'
    response = client.post(f"/api/v1/relay-points/{world['rp']}/reports", content=big,
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["field"] == "body" and "DISPATCH_MAX_BODY_BYTES" in body["detail"]


def test_oversized_chunked_body_is_refused_with_413(client, world) -> None:  # noqa: F811
    def chunks():
        for _ in range(40):
            yield b"x" * 50_000

    response = client.post(f"/api/v1/relay-points/{world['rp']}/reports", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["field"] == "body"


def test_small_chunked_body_still_works(client, world) -> None:  # noqa: F811
    def chunks():
        yield b'{"level_pct": '
        yield b"40}"

    response = client.post(f"/api/v1/relay-points/{world['rp']}/reports", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 201 and response.json()["level_pct"] == 40


def test_body_limit_is_a_setting(seeded, settings, paris_network, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    import api.deps
    from api.app import create_app

    monkeypatch.setattr(api.deps, "get_network", lambda _s: paris_network)
    small = settings.model_copy(update={"max_body_bytes": 2048})
    from dispatch.models import RelayPoint

    _, token = make_staff(seeded, "admin")
    with seeded.connect() as conn:
        rp = conn.execute(select(func.min(RelayPoint.id))).scalar()
    with TestClient(create_app(small), headers={"Authorization": f"Bearer {token}"}) as c:
        response = c.post(f"/api/v1/relay-points/{rp}/reports", json={"full": True, "note": "y" * 3000})
        assert response.status_code == 413 and "2048 bytes" in response.json()["detail"]
        assert c.post(f"/api/v1/relay-points/{rp}/reports", json={"full": True, "note": "y" * 900}).status_code == 201


@pytest.mark.parametrize("raw", [
    '{"full": true, "note": "café"}'.encode("latin-1"),  # Latin-1, not UTF-8
    b'{"full": true, "note": "\xff\xfe\xfa"}',
    b'{"full": tru',  # truncated
    b"",
], ids=["latin-1", "invalid-bytes", "truncated", "empty"])
def test_badly_encoded_json_is_a_4xx_naming_the_body(client, world, raw) -> None:  # noqa: F811
    response = client.post(f"/api/v1/relay-points/{world['rp']}/reports", content=raw,
                           headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["field"] == "body", body
    assert "UTF-8" in body["detail"] or raw == b"", body


def test_form_sent_to_a_json_endpoint_is_a_422(client, world) -> None:  # noqa: F811
    response = client.post(f"/api/v1/relay-points/{world['rp']}/reports", data={"full": "true"})
    assert response.status_code == 422


# ------------------------------------------------------------------ injection strings


def _pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                              check=True).stdout.decode()
    try:
        from pypdf import PdfReader
    except ImportError:
        pytest.skip("PDF text checks need poppler-utils (apt-get install poppler-utils) or pypdf")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _assert_escaped(html: str, *, where: str) -> None:
    assert "<script>alert(1)</script>" not in html, f"raw script in {where}"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, f"injected text missing from {where}"
    assert "{{7*7}}" in html, f"template text evaluated or lost in {where}"
    assert ("&#39;; DROP TABLE relay_point;--" in html or "'; DROP TABLE relay_point;--" in html), where


@pytest.fixture
def injected(client, world, seeded):  # noqa: F811
    """Every injection string in the text fields a donor, a relay point or a crew can fill in."""
    from dispatch.db import session_scope
    from dispatch.models import PickupRequest, RelayPoint

    text_ = " ".join(INJECTIONS)
    # Through the API: a fill report note and a crew note are stored verbatim.
    report = client.post(f"/api/v1/relay-points/{world['rp']}/reports", json={"level_pct": 40, "note": text_})
    assert report.status_code == 201 and report.json()["note"] == text_
    event = client.post(f"/r/{world['token']}/stops/{world['stop']}/events",
                        json={"kind": "arrived", "idempotency_key": "inject-0001", "note": text_})
    assert event.status_code == 201
    created = client.post("/api/v1/pickup-requests", json=pickup(donor_name=text_, address=text_, notes=text_,
                                                                 access_code="<b>1</b>"))
    assert created.status_code == 201 and created.json()["donor_name"] == text_
    # Names and notes that staff type in (no endpoint yet): straight into the database.
    with session_scope(seeded) as s:
        rp = s.get(RelayPoint, world["rp"])
        rp.name, rp.address, rp.access_notes = f"Boutique {text_}", text_, text_
        pu = s.get(PickupRequest, world["pickup"])
        pu.donor_name, pu.address, pu.notes = text_, text_, text_
        s.get(RelayPoint, world["unassigned_rp"]).name = text_  # listed on the coordinator's day page
    return text_


def test_injection_strings_are_stored_verbatim(client, world, injected, seeded) -> None:  # noqa: F811
    from dispatch.models import StockReport, StopEvent

    reports = client.get(f"/api/v1/relay-points/{world['rp']}/reports").json()
    assert reports[0]["note"] == injected
    assert client.get(f"/api/v1/relay-points/{world['rp']}").json()["name"] == f"Boutique {injected}"
    with seeded.connect() as conn:  # the table is still there and the text is data
        assert conn.execute(select(func.count()).select_from(StockReport)).scalar() > 1
        assert conn.execute(select(StopEvent.note)).scalar() == injected
        assert conn.execute(text("SELECT count(*) FROM relay_point")).scalar() > 0


def test_injection_strings_are_escaped_in_every_page(client, world, injected) -> None:  # noqa: F811
    sheet = client.get(f"/r/{world['token']}")
    assert sheet.status_code == 200
    _assert_escaped(sheet.text, where="route sheet")
    page = client.get(f"/p/{world['rp_token']}")
    assert page.status_code == 200
    _assert_escaped(page.text, where="relay-point page")
    day = client.get(f"/jour/{PLAN_DAY.isoformat()}")
    assert day.status_code == 200
    _assert_escaped(day.text, where="coordinator day page")
    donor = client.post("/donner", data={"donor_name": injected, "phone": "0612345678", "address": injected,
                                         "postcode": "75019", "lat": "48.88", "lon": "2.37", "volume_m3": "-1",
                                         "date": "2026-12-09", "slot": "morning", "notes": injected})
    assert donor.status_code == 422  # the form comes back with the donor's text, escaped
    _assert_escaped(donor.text, where="donor page")


def test_injection_strings_are_printed_as_text_in_the_pdfs(client, world, injected) -> None:  # noqa: F811
    manifest = client.get(f"/api/v1/rounds/{world['round']}/manifest.pdf")
    assert manifest.status_code == 200 and manifest.content.startswith(b"%PDF")
    words = " ".join(_pdf_text(manifest.content).split())
    assert "<script>alert(1)</script>" in words  # printed as text, not swallowed as a tag
    assert "{{7*7}}" in words and "DROP TABLE relay_point;--" in words
    summary = client.get(f"/api/v1/plans/{world['plan']}/summary.pdf")
    assert summary.status_code == 200
    poster = client.get(f"/api/v1/relay-points/{world['rp']}/poster.pdf", params={"token": world["rp_token"]})
    assert poster.status_code == 200
    assert "<script>alert(1)</script>" in " ".join(_pdf_text(poster.content).split())


# ------------------------------------------------------------------ what the fuzzer found (tests/test_fuzz.py)


def test_timestamps_carry_their_offset_and_planned_times_are_local(client, world) -> None:  # noqa: F811
    """Moments were sent as naive UTC ("2026-11-28T20:00:48"), which RFC 3339 date-time (the schema) refuses and
    a client reads as its own local time; they now end with "Z". Planned times stay local wall-clock times."""
    import re

    assert client.post(f"/api/v1/relay-points/{world['rp']}/reports", json={"level_pct": 40}).status_code == 201
    moments = [client.get(f"/api/v1/relay-points/{world['rp']}/reports").json()[0]["reported_at"],
               client.get(f"/api/v1/relay-points/{world['rp']}").json()["stock_updated_at"],
               client.get("/api/v1/auth/me").json()["created_at"],
               client.get("/api/v1/audit", params={"limit": 1}).json()[0]["at"]]
    for moment in moments:
        assert moment.endswith("Z"), moments
        parsed = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
        assert parsed.utcoffset() == dt.timedelta(0)
        assert abs(parsed - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1)  # UTC, not local time
    plan = client.get(f"/api/v1/plans/{world['plan']}").json()
    start = plan["rounds"][0]["start_at"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?", start), start
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["FillReportOut"]["properties"]["reported_at"]["format"] == "date-time"
    assert "pattern" in schema["RoundOut"]["properties"]["start_at"]


def test_every_error_an_operation_answers_is_declared_as_problem_json(client, world, api_app) -> None:  # noqa: F811
    """The schema declared 422 only (as FastAPI's own JSON): 401, 403, 404, 409, 413, 429, 503 and the rest are
    problem+json, declared on the operations that can answer them (api/errors.py:document)."""
    schema = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    operations = {(m.upper(), p): op for p, ops in schema["paths"].items() for m, op in ops.items()}
    for (method, path), op in operations.items():
        errors = {int(code): r for code, r in op["responses"].items() if int(code) >= 400}
        assert 503 in errors, (method, path)
        assert all(r["content"] == problem and r["description"] for r in errors.values()), (method, path, errors)
        if op.get("security"):
            assert 401 in errors and "WWW-Authenticate" in errors[401]["headers"], (method, path)
        if "{" in path:
            assert 404 in errors, (method, path)
        if "requestBody" in op:
            assert {400, 413, 422} <= set(errors), (method, path)
    assert "403" in operations[("GET", "/api/v1/audit")]["responses"]  # a role may be refused
    assert "403" not in operations[("GET", "/api/v1/rounds")]["responses"]  # open to all; a bad token is 401
    assert {"401", "429"} <= set(operations[("POST", "/api/v1/auth/token")]["responses"])
    assert "403" in operations[("POST", "/r/{token}/stops/{stop_id}/events")]["responses"]  # a bad crew link
    # and what the API answers is what the schema says: a validation error and a missing resource
    for response in (client.post(f"/api/v1/relay-points/{world['rp']}/reports", json={"level_pct": "x"}),
                     client.get("/api/v1/vans/999999")):
        assert response.headers["content-type"] == "application/problem+json"
        assert {"title", "status", "detail"} <= set(response.json())


def test_a_crew_link_cannot_replay_another_rounds_update(client, world, seeded) -> None:  # noqa: F811
    from dispatch.field import links
    from dispatch.db import session_scope
    from dispatch.models import Round

    with session_scope(seeded) as s:
        first = s.get(Round, world["round"])
        other = Round(plan=first.plan, van=first.van, crew=first.crew, start_at=first.start_at, end_at=first.end_at,
                      distance_m=0, duration_s=0, load_m3=0.0)
        s.add(other)
        s.flush()
        other_token = links.round_link(other.id, session=s)[0]
    update = {"kind": "arrived", "idempotency_key": "phone-of-round-one-0001"}
    r = client.post(f"/r/{world['token']}/stops/{world['stop']}/events", json=update)
    assert r.status_code == 201, r.text
    # another crew's link, the same stop and key: the stop is not one of its round
    r = client.post(f"/r/{other_token}/stops/{world['stop']}/events", json=update)
    assert r.status_code == 404, (r.status_code, r.text)

