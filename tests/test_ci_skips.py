"""In CI (CI=true) a skipped test marked db or celery fails the run (issue 23 item 7): the real engines
(PostgreSQL, Redis + Celery) must be exercised there, not silently skipped."""

from __future__ import annotations

import pytest

from tests.conftest import REPO

pytest_plugins = ["pytester"]

TESTS = '''
import pytest

@pytest.mark.celery
def test_needs_redis():
    pytest.skip("no Redis at redis://127.0.0.1:6379/15")

@pytest.mark.db
def test_pg_only():
    pytest.skip("row locks: PostgreSQL only (SQLite has one writer at a time)")

def test_other():
    pytest.skip("nothing to do with an engine")
'''


@pytest.fixture
def project(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.delenv("DISPATCH_TEST_DATABASE_URL", raising=False)
    pytester.makeconftest("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    pytester.makeini("[pytest]\nmarkers =\n    db: x\n    celery: y\n")
    pytester.makepyfile(test_engines=TESTS)
    return pytester


def test_outside_ci_skips_stay_skips(project, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(skipped=3)


def test_in_ci_a_skipped_engine_test_fails(project, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, skipped=2)  # a PostgreSQL-only test may skip in the SQLite pass
    result.stdout.fnmatch_lines(["*test_needs_redis*"])


def test_in_ci_on_postgresql_no_db_test_may_skip(project, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("DISPATCH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/none")
    project.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(failed=2, skipped=1)
