from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

PLAN_DAY = dt.date(2026, 12, 1)  # a Tuesday


@pytest.fixture
def seeded(db_engine):
    from dispatch.db import session_scope
    from dispatch.demo import seed_demo

    with session_scope(db_engine) as s:
        seed_demo(PLAN_DAY, session=s)
    return db_engine


@pytest.fixture
def client(seeded, settings, paris_network, monkeypatch):
    import dispatch.network

    from api.app import create_app

    # The session-wide network is the one the app would load from the same file and settings.
    monkeypatch.setattr(dispatch.network, "get_network", lambda _settings: paris_network)
    import api.deps

    monkeypatch.setattr(api.deps, "get_network", lambda _settings: paris_network)
    with TestClient(create_app(settings)) as c:
        yield c
