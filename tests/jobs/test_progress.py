"""A job's live progress written by several regions at once (two Celery workers, each solving one region of a
day): every region's entry survives. Before, each reporter read the progress, added its region and wrote it
back, so two writes at the same moment lost one region's entry ("done" missing on a finished job: CI, stop 29)."""

from __future__ import annotations

import threading

from dispatch.db import make_engine, session_scope
from tests.api.conftest import PLAN_DAY

REGIONS = ("Nord", "Sud", "Est", "Ouest")
WRITES = 15


def test_regions_reporting_at_once_never_overwrite_each_other(db_engine):
    from dispatch.jobs.records import create_job
    from dispatch.jobs.runner import _Reporter
    from dispatch.models import PlanJob

    with session_scope(db_engine) as s:
        job_id = create_job(PLAN_DAY, session=s, time_limit_s=1).id
    engines = [make_engine(db_engine.url.render_as_string(hide_password=False)) for _ in REGIONS]  # one per worker
    barrier = threading.Barrier(len(REGIONS))

    def report(k: int) -> None:
        reporter = _Reporter(engines[k], job_id, REGIONS[k])
        barrier.wait(timeout=30)
        for i in range(WRITES):
            reporter.write({"best_cost": 1000 + i, "solutions": i, "elapsed_s": i, "done": False})
        reporter.done(2000 + k)

    threads = [threading.Thread(target=report, args=(k,)) for k in range(len(REGIONS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for e in engines:
        e.dispose()
    with session_scope(db_engine) as s:
        progress = s.get(PlanJob, job_id).progress
    assert set(progress["regions"]) == set(REGIONS), progress
    assert all(r["done"] for r in progress["regions"].values()), progress
    assert progress["regions_done"] == len(REGIONS) and progress["best_cost"] == sum(2000 + k for k in range(4))
