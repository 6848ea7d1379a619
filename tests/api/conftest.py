from __future__ import annotations

import itertools

import pytest
from fastapi.testclient import TestClient

from tests.conftest import DEMO_DAY

PLAN_DAY = DEMO_DAY  # a Tuesday
TEST_PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


@pytest.fixture
def seeded(db_engine):
    from dispatch.db import session_scope
    from dispatch.demo import seed_demo

    with session_scope(db_engine) as s:
        seed_demo(PLAN_DAY, session=s)
    return db_engine


def make_staff(engine, role: str, username: str | None = None, password: str = TEST_PASSWORD) -> tuple[int, str]:
    """A staff user with ``role`` and a fresh token: (user id, token)."""
    from dispatch.access import auth
    from dispatch.db import session_scope

    with session_scope(engine) as s:
        user = auth.create_user(username or f"test-{role}-{next(_numbers)}", password, role, session=s,
                                display_name=f"Test {role}")
        token, _ = auth.issue_token(user, session=s)
        return user.id, token


@pytest.fixture
def api_app(seeded, settings, paris_network, monkeypatch):
    """The app over the seeded database, its lifespan running. Public rate limits are high here
    (tests/api/test_ratelimit.py sets low ones with a fake clock)."""
    import dispatch.roads.cache

    from api.app import create_app

    # The session-wide network is the one the app would load from the same file and settings.
    monkeypatch.setattr(dispatch.roads.cache, "get_network", lambda _settings: paris_network)
    import api.deps

    monkeypatch.setattr(api.deps, "get_network", lambda _settings: paris_network)
    app = create_app(settings.model_copy(update={"rate_limit_public_per_minute": 100_000,
                                                 "rate_limit_login_per_minute": 100_000,
                                                 "rate_limit_phone_per_hour": 100_000, "login_free_failures": 100}))
    with TestClient(app):
        yield app


@pytest.fixture
def client_as(api_app, db_engine):
    """``client_as("coordinator")``: a client signed in with a new user of that role."""

    def make(role: str, username: str | None = None) -> TestClient:
        _, token = make_staff(db_engine, role, username)
        return TestClient(api_app, headers={"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
def client(client_as) -> TestClient:
    """Signed in as an admin (every staff endpoint)."""
    return client_as("admin", "test-admin")


@pytest.fixture
def anon_client(api_app) -> TestClient:
    """No credentials: what donors, crews and the public see."""
    return TestClient(api_app)
