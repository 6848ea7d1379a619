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


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ARG001
    """In CI (``CI=true``) the real engines must be exercised: a skipped test marked ``db`` or ``celery`` fails
    the run. The one allowed skip: a PostgreSQL-only test in the SQLite pass (.ci/run runs the ``db`` tests on
    PostgreSQL next)."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and _ci() and (item.get_closest_marker("db") or item.get_closest_marker("celery"))):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    on_sqlite = not os.environ.get("DISPATCH_TEST_DATABASE_URL", "").startswith("postgresql")
    if on_sqlite and "PostgreSQL only" in reason and not item.get_closest_marker("celery"):
        return
    report.outcome = "failed"
    report.longrepr = (f"skipped in CI: {reason}. Tests marked db or celery must run in CI (.ci/run starts "
                       "PostgreSQL and Redis); fix the environment or the test")


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


def _worker_schema() -> str:
    """The PostgreSQL schema of this test process: ``public`` alone, ``test_gw0``, ``test_gw1``… under
    pytest-xdist, so that the processes share the database but never a table."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"test_{worker}" if worker.isidentifier() else "public"


def _reset_database(url: str, schema: str) -> str:
    """Empty ``schema`` of the database at ``url``; returns the URL whose connections use that schema."""
    from sqlalchemy.engine import make_url

    from dispatch.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    dialect = engine.dialect.name
    engine.dispose()
    if dialect != "postgresql" or schema == "public":
        return url
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    url = os.environ.get("DISPATCH_TEST_DATABASE_URL")
    if url:
        return _reset_database(url, _worker_schema())
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
    # the default child process. One search process per solve (the product's default uses both cores of a
    # two-core machine: tests/test_solve_workers.py; here it would only double the suite's CPU time).
    return Settings(database_url=migrated_url, solve_time_limit_s=3, webhook_delivery_interval_s=0,
                    job_isolation="thread", solve_workers=1, _env_file=None)
