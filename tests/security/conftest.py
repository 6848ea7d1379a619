"""The API fixtures of tests/api (an app over the seeded demo, clients by role), for the attack suite, and
``app_with(**settings)``: the same app with some settings changed (the limits under attack)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import anon_client, api_app, client, client_as, seeded  # noqa: F401

# Limits out of the way unless a test sets them (each test sets the one it attacks).
OPEN = {"rate_limit_public_per_minute": 100_000, "rate_limit_login_per_minute": 100_000,
        "rate_limit_phone_per_hour": 100_000, "login_free_failures": 100, "job_isolation": "thread"}


@pytest.fixture
def app_with(seeded, settings, paris_network, monkeypatch):  # noqa: F811
    import api.deps
    import dispatch.roads.cache
    from api.app import create_app

    monkeypatch.setattr(dispatch.roads.cache, "get_network", lambda _settings: paris_network)
    monkeypatch.setattr(api.deps, "get_network", lambda _settings: paris_network)
    started = []

    def make(**changes):
        app = create_app(settings.model_copy(update={**OPEN, **changes}))
        running = TestClient(app)
        running.__enter__()  # the app's lifespan runs until the test ends
        started.append(running)
        return app

    yield make
    for running in started:
        running.__exit__(None, None, None)
