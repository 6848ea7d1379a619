"""An API started while its database is down says so and resumes the queued jobs once it is back
(issue 23 item 4)."""

from __future__ import annotations

import logging
import os
import time

from fastapi.testclient import TestClient

from tests.conftest import DEMO_DAY


def test_queued_jobs_are_resumed_when_the_database_comes_back(tmp_path, paris_network, monkeypatch, caplog):
    import api.deps
    import dispatch.roads.cache
    from api.app import create_app
    from dispatch.jobs import records as jobs
    from dispatch.db import engine_for, session_scope, upgrade
    from dispatch.demo import seed_demo
    from dispatch.models import JobStatus, PlanJob
    from dispatch.settings import Settings

    monkeypatch.setattr(dispatch.roads.cache, "get_network", lambda _settings: paris_network)
    monkeypatch.setattr(api.deps, "get_network", lambda _settings: paris_network)
    # The database, with a job queued before the restart, is prepared aside; at start-up its path cannot be
    # opened (a folder stands there: SQLite's "unable to open database file", as a server refusing connections).
    ready, path = tmp_path / "ready.sqlite3", tmp_path / "dispatch.sqlite3"
    upgrade(f"sqlite:///{ready}")
    with session_scope(engine_for(f"sqlite:///{ready}")) as s:
        seed_demo(DEMO_DAY, session=s)
        job_id = jobs.create_job(DEMO_DAY, session=s, time_limit_s=1).id
    engine_for(f"sqlite:///{ready}").dispose()
    path.mkdir()
    url = f"sqlite:///{path}"
    settings = Settings(database_url=url, job_isolation="thread", job_resume_retry_s=0.2, solve_time_limit_s=1,
                        webhook_delivery_interval_s=0, gc_freeze=False, _env_file=None)
    with caplog.at_level(logging.WARNING, logger="api.app"), TestClient(create_app(settings)):
        assert any("cannot resume the queued planning jobs: the database cannot be reached" in r.getMessage()
                   for r in caplog.records)
        path.rmdir()  # the database comes back
        os.replace(ready, path)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with session_scope(engine_for(url)) as s:
                status = s.get(PlanJob, job_id).status
            if status not in (JobStatus.QUEUED, JobStatus.RUNNING):
                break
            time.sleep(0.2)
        assert status is JobStatus.SUCCEEDED, status
