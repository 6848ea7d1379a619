"""GET /api/v1/addresses (search, reverse), and pickups / relay points given an address alone.

The catalogue of bad addresses: each gets a 422 naming the address and why, and nothing is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from dispatch.workdays import next_collection_day

CONTRACT_KEYS = {"label", "score", "housenumber", "street", "postcode", "city", "lat", "lon"}


def _day() -> str:
    return next_collection_day(dt.date.today() + dt.timedelta(days=7)).isoformat()


def _pickup(**over):
    body = {"donor_name": "Mme Durand", "phone": "06 12 34 56 78", "address": "296 r des pyrenees",
            "volume_m3": 3.5, "date": _day(), "slot": "morning", "categories": ["furniture"], "floor": 0}
    body.update(over)
    return body


def test_search_answers_the_contract_shape(anon_client):
    r = anon_client.get("/api/v1/addresses", params={"q": "296 r des pyrenees", "limit": 3})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert set(results[0]) == CONTRACT_KEYS
    assert results[0]["label"] == "296 Rue des Pyrénées 75020 Paris"
    assert (results[0]["housenumber"], results[0]["street"], results[0]["postcode"], results[0]["city"]) == (
        "296", "Rue des Pyrénées", "75020", "Paris")
    assert results[0]["score"] == 1.0 and len(results) <= 3


@pytest.mark.parametrize("typed, expected", [
    ("19b r de l orillon", "19 bis Rue de l'Orillon 75011 Paris"),
    ("6 RUE ARCHEREAU 75019", "6 Rue Archereau 75019 Paris"),
    ("5 pl armand carel", "5 Place Armand Carrel 75019 Paris"),  # a typo
    ("296 rue des pyré", "296 Rue des Pyrénées 75020 Paris"),  # still typing
])
def test_search_is_forgiving(anon_client, typed, expected):
    results = anon_client.get("/api/v1/addresses", params={"q": typed}).json()["results"]
    assert results and results[0]["label"] == expected, results


def test_reverse_finds_the_nearest_address(anon_client):
    r = anon_client.get("/api/v1/addresses/reverse", params={"lat": 48.8905, "lon": 2.3795})
    assert r.status_code == 200
    assert r.json()["results"][0]["label"] == "6 Rue Archereau 75019 Paris"
    seine = anon_client.get("/api/v1/addresses/reverse", params={"lat": 48.8540, "lon": 2.2850})
    assert seine.json() == {"results": []}  # the middle of the Seine: no address within 200 m


@pytest.mark.parametrize("params, field, needle", [
    ({"q": ""}, "q", "empty"),
    ({"q": "   "}, "q", "empty"),
    ({"q": "x" * 500}, "q", "200"),
    ({}, "q", "required"),
    ({"q": "rue", "limit": 0}, "limit", "greater"),
    ({"q": "rue", "limit": 21}, "limit", "less"),
])
def test_search_errors_are_problems(anon_client, params, field, needle):
    r = anon_client.get("/api/v1/addresses", params=params)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field and needle in r.json()["detail"].lower(), r.json()


def test_search_is_rate_limited(api_app):
    from fastapi.testclient import TestClient

    api_app.state.rate_limiters["addresses"].limit = 2
    try:
        anon = TestClient(api_app)
        codes = [anon.get("/api/v1/addresses", params={"q": "rue archereau"}).status_code for _ in range(3)]
    finally:
        api_app.state.rate_limiters["addresses"].limit = 100_000
        api_app.state.rate_limiters["addresses"].reset()
    assert codes == [200, 200, 429]


def test_pickup_with_an_address_alone_is_resolved(client):
    r = client.post("/api/v1/pickup-requests", json=_pickup())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "accepted", body["reasons"]
    assert body["address"] == "296 Rue des Pyrénées 75020 Paris"
    assert abs(body["lat"] - 48.871953) < 1e-6 and abs(body["lon"] - 2.392303) < 1e-6


BAD_ADDRESSES = [
    ("", "empty"),
    ("12 rue " + "x" * 493, "500 characters"),
    ("75020", "only a postcode"),
    ("12 rue de la République 69002 Lyon", "outside the served zone"),
    ("12 rue Nationale 44000 Nantes", "outside the served zone"),
    ("Quai de la Seine, au milieu du fleuve", "no house number"),
    ("36 quai des Orfèvres dans la Seine", "not found"),
    ("296 rue des Pyrénées 75013", "postcode does not match"),
    ("297 rue des Pyrénées", "number not known"),
    ("rue des Pyrénées", "no house number"),
    ("zzzz qqqq", "not found"),
    ("12 rue", "only a street type"),
]


@pytest.mark.parametrize("address, why", BAD_ADDRESSES, ids=[w for _, w in BAD_ADDRESSES])
def test_bad_addresses_are_refused_and_nothing_is_stored(client, seeded, address, why):
    from dispatch.db import session_scope
    from dispatch.models import PickupRequest, RelayPoint

    def counts():
        with session_scope(seeded) as s:
            return (s.scalar(select(func.count()).select_from(PickupRequest)),
                    s.scalar(select(func.count()).select_from(RelayPoint)))

    before = counts()
    r = client.post("/api/v1/pickup-requests", json=_pickup(address=address))
    rp = client.post("/api/v1/relay-points", json={"code": "AMI-TEST-01", "name": "Librairie Test", "kind": "shop",
                                                   "address": address, "capacity_m3": 1.5})
    for answer in (r, rp):
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        assert answer.headers["content-type"] == "application/problem+json"
        assert problem["field"] == "address", problem
        assert len(problem["detail"]) < 400 and "Traceback" not in problem["detail"]
    assert counts() == before


@pytest.mark.parametrize("address, needle", [
    ("", "at least 3 characters"), ("75020", "only a postcode"), ("12 rue de la République 69002 Lyon", "69002 is outside"),
    ("297 rue des Pyrénées", "nearest known address is '296 Rue des Pyrénées"), ("rue des Pyrénées", "house number"),
])
def test_refusals_say_why(client, address, needle):
    r = client.post("/api/v1/pickup-requests", json=_pickup(address=address))
    assert needle in r.json()["detail"], r.json()


def test_relay_point_created_from_an_address_alone(client):
    r = client.post("/api/v1/relay-points", json={"code": "AMI-19-99", "name": "Librairie Archereau", "kind": "shop",
                                                  "address": "35 r archereau", "capacity_m3": 1.5})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["address"] == "35 Rue Archereau 75019 Paris" and body["postcode"] == "75019"
    assert body["arrondissement"] == 19 and abs(body["lat"] - 48.891309) < 1e-6


def test_half_a_position_is_refused(client):
    r = client.post("/api/v1/pickup-requests", json=_pickup(lat=48.87))
    assert r.status_code == 422 and "both lat and lon" in r.json()["detail"]


NASTY = ["\x00", "𝕏" * 60, "12" * 100, "-'-", "ǅ ß ﬁ", "😀 rue", "%00%ff", "12 12 12 12", "bis ter", "r r r r r",
         "'; DROP TABLE addresses; --", "a" * 200, " ".join(["bd"] * 60), "0", "00000 00000", "ééééé"]


@pytest.mark.parametrize("q", NASTY)
def test_odd_queries_never_fail(anon_client, q):
    r = anon_client.get("/api/v1/addresses", params={"q": q, "limit": 20})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert all(set(m) == CONTRACT_KEYS and 0 <= m["score"] <= 1 for m in r.json()["results"])


def test_openapi_documents_the_address_endpoints(anon_client):
    paths = anon_client.get("/openapi.json").json()["paths"]
    search = paths["/api/v1/addresses"]["get"]
    assert {"200", "422", "429", "503"} <= set(search["responses"])
    assert "/api/v1/addresses/reverse" in paths


def test_donor_page_locates_a_typed_address(anon_client):
    page = anon_client.get("/donner", params={"adresse": "6 r archereau"})
    assert page.status_code == 200
    assert "Amistocks les plus proches" in page.text and 'value="6 Rue Archereau 75019 Paris"' in page.text
    assert 'name="lat" value="48.8905"' in page.text and 'value="75019"' in page.text
    lost = anon_client.get("/donner", params={"adresse": "zzzz qqqq"})
    assert lost.status_code == 200 and "Aucune adresse trouvée" in lost.text
