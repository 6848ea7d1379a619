"""Per-IP sliding-window limits on the public endpoints (a fake clock: no sleeping)."""

from __future__ import annotations

import pytest

from api.ratelimit import SlidingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 60, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.hit("a") == pytest.approx(60)
    assert limiter.hit("b") == 0  # per key
    clock.now += 30
    assert limiter.hit("a") == pytest.approx(30)
    clock.now += 30.5  # the first three hits left the window
    assert limiter.hit("a") == 0


@pytest.fixture
def clock(api_app):
    clock = FakeClock()
    api_app.state.rate_limiters = {"public": SlidingWindowLimiter(3, clock=clock),
                                   "login": SlidingWindowLimiter(2, clock=clock)}
    return clock


@pytest.mark.parametrize("method,url,kwargs", [
    ("GET", "/api/v1/relay-points/nearest", {"params": {"lat": 48.8722, "lon": 2.3770}}),
    ("GET", "/donner", {}),
    ("POST", "/donner/verifier", {"json": {}}),
    ("POST", "/p/not-a-token", {"data": {"action": "full"}}),
])
def test_public_endpoints_answer_429_over_the_limit_then_recover(anon_client, clock, method, url, kwargs):
    first = [anon_client.request(method, url, **kwargs).status_code for _ in range(3)]
    assert 429 not in first
    over = anon_client.request(method, url, **kwargs)
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) == 60
    if url.startswith("/api/"):
        assert over.headers["content-type"].startswith("application/problem+json")
        assert "too many requests" in over.json()["detail"]
    clock.now += 61
    assert anon_client.request(method, url, **kwargs).status_code != 429


def test_login_has_its_own_lower_limit(anon_client, clock):
    for _ in range(2):
        assert anon_client.post("/api/v1/auth/token", data={"username": "x", "password": "y"}).status_code == 401
    over = anon_client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
    assert over.status_code == 429 and over.headers["retry-after"] == "60"
    assert anon_client.get("/api/v1/relay-points/nearest", params={"lat": 48.8722, "lon": 2.3770}).status_code == 200
    clock.now += 60.5
    assert anon_client.post("/api/v1/auth/token", data={"username": "x", "password": "y"}).status_code == 401


def test_limits_come_from_the_settings(settings):
    from api.app import create_app

    app = create_app(settings.model_copy(update={"rate_limit_public_per_minute": 7,
                                                 "rate_limit_login_per_minute": 4}))
    assert app.state.rate_limiters["public"].limit == 7 and app.state.rate_limiters["login"].limit == 4
    assert settings.rate_limit_public_per_minute == 60 and settings.rate_limit_login_per_minute == 10


def test_signed_in_staff_are_not_counted_as_the_public(anon_client, client_as, clock):
    switchboard = client_as("switchboard")
    url, params = "/api/v1/relay-points/nearest", {"lat": 48.8722, "lon": 2.3770}
    assert [switchboard.get(url, params=params).status_code for _ in range(5)] == [200] * 5
    assert [anon_client.get(url, params=params).status_code for _ in range(4)] == [200, 200, 200, 429]
    forged = anon_client.get(url, params=params, headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 429
