"""Shared fixtures.

Database tests run on a temporary SQLite file, or on DISPATCH_TEST_DATABASE_URL when it is set
(CI sets it to the local PostgreSQL). Any test using the ``db_engine`` fixture is marked ``db``.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parent.parent
# A full collection of the test process (road graphs loaded) takes seconds: apps started by the tests
# don't freeze their objects (tests/api/test_app_gc.py checks that setting on its own).
os.environ.setdefault("DISPATCH_GC_FREEZE", "0")


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    for item in items:
        if "db_engine" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


# The day most in-process tests plan and publish (the demo's pickups are on it).
DEMO_DAY = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _crew_links_on_the_demo_day(monkeypatch):
    """Crews use their round links on their day: in this process the links' clock starts at 07:00 (Paris) on
    DEMO_DAY and runs from there, so tests of that day's rounds keep working once the real date has passed
    (a link expires at noon the day after its round). Expiry itself is tested with explicit times
    (tests/pages/test_services.py), and on the real clock by the fuzz test's server (another process)."""
    import dispatch.field.links

    origin, start = dt.datetime.combine(DEMO_DAY, dt.time(6), tzinfo=dt.UTC), time.monotonic()  # 07:00 Paris
    monkeypatch.setattr(dispatch.field.links, "_now", lambda: origin + dt.timedelta(seconds=time.monotonic() - start))


def _reset_database(url: str) -> None:
    from dispatch.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    url = os.environ.get("DISPATCH_TEST_DATABASE_URL")
    if url:
        _reset_database(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def migrated_url(db_url: str) -> str:
    from dispatch.db import upgrade

    upgrade(db_url)
    return db_url


@pytest.fixture
def db_engine(migrated_url: str) -> Iterator[Engine]:
    """A migrated database, emptied after each test."""
    from dispatch.db import engine_for
    from dispatch.models import Base

    engine = engine_for(migrated_url)
    yield engine
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end (services flush, never commit)."""
    from dispatch.db import session_factory

    s = session_factory(db_engine)()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture(scope="session")
def paris_network():
    from dispatch.roads import RoadNetwork, default_graph_path

    return RoadNetwork.load(default_graph_path(), van_speed_factor=0.85)


@pytest.fixture
def settings(migrated_url: str):
    from dispatch.settings import Settings

    # No webhook delivery thread in the apps tests start: it would deliver other tests' outboxes
    # (tests/exchange/test_webhooks.py runs the thread and the Celery task itself). Jobs run in a thread, where the
    # tests' replacement road network (monkeypatched get_network) is seen; tests/test_job_process.py runs
    # the default child process.
    return Settings(database_url=migrated_url, solve_time_limit_s=3, webhook_delivery_interval_s=0,
                    job_isolation="thread", _env_file=None)
