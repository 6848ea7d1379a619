"""The BAN HTTP geocoder against a local server speaking the BAN API format, started by the test:
answers, retries after 5xx and timeouts, then a clear error; malformed answers; an unreachable server."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from dispatch.addresses.http_ban import BanHttpGeocoder
from dispatch.errors import InvalidInput, Unavailable

FEATURE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.37693, 48.87236]},
           "properties": {"label": "12 Rue de Belleville 75020 Paris", "score": 0.93, "housenumber": "12",
                          "street": "Rue de Belleville", "postcode": "75020", "city": "Paris", "type": "housenumber"}}


class BanServer:
    """Answers each request with the next planned reply: (status, body bytes, delay s); records the queries."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, bytes, float]] = []
        self.requests: list[tuple[str, dict]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                owner.requests.append((url.path, {k: v[0] for k, v in parse_qs(url.query).items()}))
                status, body, delay = owner.replies.pop(0) if owner.replies else (200, _collection(), 0)
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features or [FEATURE])}).encode()


@pytest.fixture
def ban():
    server = BanServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_search_and_reverse(ban):
    geocoder = BanHttpGeocoder(ban.url, timeout_s=2, retries=0)
    found = geocoder.search("12 r de belleville", limit=3, lat=48.87, lon=2.37)
    assert found[0].label == "12 Rue de Belleville 75020 Paris" and found[0].score == 0.93
    assert (found[0].lat, found[0].lon, found[0].housenumber, found[0].city) == (48.87236, 2.37693, "12", "Paris")
    assert ban.requests[0] == ("/search/", {"q": "12 r de belleville", "limit": "3", "lat": "48.870000",
                                            "lon": "2.370000"})
    assert geocoder.reverse(48.8724, 2.3769)[0].street == "Rue de Belleville"
    assert ban.requests[1][0] == "/reverse/"


def test_5xx_is_retried_then_answered(ban):
    ban.replies = [(502, b"bad gateway", 0), (503, b"{}", 0)]
    found = BanHttpGeocoder(ban.url, timeout_s=2, retries=2, backoff_s=0.01).search("12 rue de belleville")
    assert found[0].postcode == "75020" and len(ban.requests) == 3


def test_5xx_every_time_is_a_clear_error(ban):
    ban.replies = [(500, b"oops", 0)] * 3
    with pytest.raises(Unavailable, match=r"HTTP 500 .* after 3 attempt\(s\); check DISPATCH_GEOCODER_URL"):
        BanHttpGeocoder(ban.url, timeout_s=2, retries=2, backoff_s=0.01).search("12 rue de belleville")


def test_timeout_is_retried_then_a_clear_error(ban):
    ban.replies = [(200, _collection(), 1.0), (200, _collection(), 1.0)]
    with pytest.raises(Unavailable, match=r"did not answer within 0.2 s after 2 attempt"):
        BanHttpGeocoder(ban.url, timeout_s=0.2, retries=1, backoff_s=0.01).search("12 rue de belleville")


def test_slow_once_then_answered(ban):
    ban.replies = [(200, _collection(), 1.0)]
    found = BanHttpGeocoder(ban.url, timeout_s=0.3, retries=1, backoff_s=0.01).search("12 rue de belleville")
    assert found[0].housenumber == "12"


@pytest.mark.parametrize("body, needle", [
    (b"<html>maintenance</html>", "not JSON"),
    (b'{"type": "FeatureCollection"}', "no 'features' list"),
    (json.dumps({"features": [{"properties": {}}]}).encode(), "without properties or point coordinates"),
    (_collection({**FEATURE, "geometry": {"coordinates": [2.3, 148.0]}}), "invalid coordinates"),
    (_collection({**FEATURE, "properties": {**FEATURE["properties"], "score": "high"}}), "invalid coordinates or score"),
    (_collection({**FEATURE, "properties": {**FEATURE["properties"], "postcode": 75020}}), "is not text"),
])
def test_malformed_answers(ban, body, needle):
    ban.replies = [(200, body, 0)]
    with pytest.raises(Unavailable, match="malformed answer") as caught:
        BanHttpGeocoder(ban.url, timeout_s=2, retries=0).search("12 rue de belleville")
    assert needle in caught.value.message


def test_a_4xx_is_the_querys_fault(ban):
    ban.replies = [(400, json.dumps({"code": 400, "message": "q must contain between 3 and 200 chars"}).encode(), 0)]
    with pytest.raises(InvalidInput, match="refused the query \\(HTTP 400\\): q must contain"):
        BanHttpGeocoder(ban.url, timeout_s=2, retries=2).search("ab")
    assert len(ban.requests) == 1  # not retried


def test_unreachable_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(Unavailable, match=r"cannot reach http://127.0.0.1:\d+/ .* after 2 attempt"):
        BanHttpGeocoder(f"http://127.0.0.1:{port}", timeout_s=1, retries=1, backoff_s=0.01).search("rue")


def test_the_api_uses_the_http_geocoder_when_set(ban, api_app, client):
    """DISPATCH_GEOCODER=http: the API answers from the server; an address placed in the Seine without a house
    number is refused; a server down is a 503 problem, nothing stored."""
    settings = api_app.state.settings
    api_app.state.settings = settings.model_copy(update={"geocoder": "http", "geocoder_url": ban.url,
                                                          "geocoder_retries": 0})
    try:
        r = client.get("/api/v1/addresses", params={"q": "12 r de belleville"})
        assert r.status_code == 200 and r.json()["results"][0]["label"] == "12 Rue de Belleville 75020 Paris"
        island = {"type": "Feature", "geometry": {"coordinates": [2.2850, 48.8540]}, "properties": {
            "label": "Île aux Cygnes 75015 Paris", "score": 0.9, "name": "Île aux Cygnes", "postcode": "75015",
            "city": "Paris", "type": "locality"}}
        ban.replies = [(200, _collection(island), 0)]
        body = {"donor_name": "M. Martin", "phone": "06 39 98 00 00", "address": "île aux cygnes",
                "volume_m3": 3, "date": "2030-01-08", "slot": "morning"}
        r = client.post("/api/v1/pickup-requests", json=body)
        assert r.status_code == 422 and "no house number" in r.json()["detail"]
        lyon = {**FEATURE, "geometry": {"coordinates": [4.8357, 45.7640]}, "properties": {
            **FEATURE["properties"], "label": "12 Rue de la République 69002 Lyon", "postcode": "69002",
            "city": "Lyon", "street": "Rue de la République"}}
        ban.replies = [(200, _collection(lyon), 0)]
        r = client.post("/api/v1/pickup-requests", json=body | {"address": "12 rue de la république lyon"})
        assert r.status_code == 422 and "outside the served zone" in r.json()["detail"]
        ban.replies = [(500, b"", 0)]
        r = client.post("/api/v1/pickup-requests", json=body | {"address": "12 rue de belleville"})
        assert r.status_code == 503 and "address server is unavailable" in r.json()["detail"]
        assert [p["ref"] for p in client.get("/api/v1/pickup-requests").json() if not p["ref"].startswith("ENL-")] == []
    finally:
        api_app.state.settings = settings


def test_http_geocoder_needs_its_url():
    from pydantic import ValidationError

    from dispatch.settings import Settings

    with pytest.raises(ValidationError, match="DISPATCH_GEOCODER=http needs DISPATCH_GEOCODER_URL"):
        Settings(geocoder="http", _env_file=None)
    with pytest.raises(ValidationError, match="not an http"):
        Settings(geocoder="http", geocoder_url="ftp://x", _env_file=None)
