"""Concurrency without lost updates (issue 8, item 3), with real concurrent clients over a real server.

On SQLite by default and on PostgreSQL with DISPATCH_TEST_DATABASE_URL. While a planning job for
another day runs: parallel fill reports for one relay point (all stored, history complete, the
current stock is the newest report's), parallel crew updates on every stop of one round (none
lost) with each update sent twice at the same moment (applied once). No 5xx, and no deadlock:
every request and thread is bounded by a timeout.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from tests.api.conftest import PLAN_DAY, make_staff
from tests.live_server import fast_settings, serve

pytestmark = pytest.mark.db

OTHER_DAY = dt.date(2026, 12, 2)  # planned by a job while the updates arrive
TIMEOUT = 60.0  # seconds: a request waiting longer than this would be a deadlock
N_REPORTS = 24


@pytest.fixture
def live(db_engine, settings, paris_network, monkeypatch):
    import api.deps
    import dispatch.roads.cache
    from api.app import create_app
    from dispatch.field import links
    from dispatch.db import session_scope
    from dispatch.demo import seed_demo
    from tests.pages.plan_data import build_plan

    monkeypatch.setenv("DISPATCH_SECRET_KEY", "concurrency-secret")
    monkeypatch.setattr(dispatch.roads.cache, "get_network", lambda _s: paris_network)
    monkeypatch.setattr(api.deps, "get_network", lambda _s: paris_network)
    with session_scope(db_engine) as s:
        seed_demo(PLAN_DAY, session=s)
        plan = build_plan(s)  # published: its stops take crew updates
        rnd = plan.rounds[0]
        world = {"plan": plan.id, "round": rnd.id, "token": links.round_link(rnd.id, session=s)[0],
                 "stops": [(st.id, st.kind.value, st.relay_point_id, st.pickup_request_id) for st in rnd.stops],
                 "rp": rnd.stops[0].relay_point_id}
    _, staff_token = make_staff(db_engine, "admin")
    app = create_app(fast_settings(settings, solve_time_limit_s=3))
    with serve(app) as url:
        world.update(url=url, app=app, auth={"Authorization": f"Bearer {staff_token}"}, engine=db_engine)
        yield world


def _start_job(live) -> str:
    r = httpx.post(f"{live['url']}/api/v1/plan-jobs", json={"date": OTHER_DAY.isoformat(), "time_limit_s": 3},
                   headers=live["auth"], timeout=TIMEOUT)
    assert r.status_code == 202, r.text
    return r.json()["job"]["id"]


def _finish_job(live, job_id: str) -> dict:
    live["app"].state.job_runner.wait(job_id, timeout=300)
    r = httpx.get(f"{live['url']}/api/v1/plan-jobs/{job_id}", headers=live["auth"], timeout=TIMEOUT)
    assert r.status_code == 200
    return r.json()


def _all_at_once(calls: list) -> list[httpx.Response]:
    """Run every call in its own thread, released together by a barrier; each bounded by TIMEOUT."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        with httpx.Client(timeout=TIMEOUT) as client:
            barrier.wait(timeout=TIMEOUT)
            return call(client)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [f.result(timeout=3 * TIMEOUT) for f in futures]


def test_parallel_fill_reports_are_all_kept_and_the_newest_wins(live) -> None:
    from dispatch.db import session_scope
    from dispatch.models import JobStatus, PlanJob, RelayPoint, StockReport

    job_id = _start_job(live)
    url, rp = live["url"], live["rp"]
    levels = [(7 * i) % 101 for i in range(N_REPORTS)]

    def report(level, i):
        return lambda c: c.post(f"{url}/api/v1/relay-points/{rp}/reports", headers=live["auth"],
                                json={"level_pct": level, "note": f"parallel-{i}"})

    responses = _all_at_once([report(level, i) for i, level in enumerate(levels)])
    assert [r.status_code for r in responses] == [201] * N_REPORTS, [r.text for r in responses if r.status_code != 201]
    history = httpx.get(f"{url}/api/v1/relay-points/{rp}/reports?limit=500", headers=live["auth"],
                        timeout=TIMEOUT).json()
    assert sorted(h["note"] for h in history if (h["note"] or "").startswith("parallel-")) == \
        sorted(f"parallel-{i}" for i in range(N_REPORTS))
    job = _finish_job(live, job_id)
    assert job["status"] == "succeeded", (job.get("error"), job)
    with session_scope(live["engine"]) as s:
        point = s.get(RelayPoint, rp)
        reports = s.scalars(select(StockReport).where(StockReport.relay_point_id == rp,
                                                      StockReport.note.like("parallel-%"))).all()
        assert len(reports) == N_REPORTS
        newest_at = max(r.reported_at for r in reports)
        newest = [r for r in reports if r.reported_at == newest_at]
        assert point.stock_updated_at == newest_at
        assert point.stock_m3 in {r.stock_m3 for r in newest}  # not an older report committed later
        assert s.scalar(select(func.count()).select_from(PlanJob).where(PlanJob.status == JobStatus.SUCCEEDED)) == 1


def test_parallel_crew_updates_none_lost_and_repeats_applied_once(live) -> None:
    from dispatch.db import session_scope
    from dispatch.models import PickupRequest, PickupStatus, Plan, RelayPoint, ReportSource, StockReport, StopEvent

    job_id = _start_job(live)
    url, token = live["url"], live["token"]
    updates = []
    for stop_id, kind, _rp_id, _ in live["stops"]:
        if kind == "relay_point":
            body = {"kind": "collected", "collected_m3": 0.8, "remaining_m3": 0.1}
        elif kind == "pickup":
            body = {"kind": "collected", "collected_m3": 2.5}
        else:
            body = {"kind": "arrived"}
        updates.append((stop_id, body | {"idempotency_key": f"conc-{stop_id:08d}"}))

    def send(stop_id, body):
        return lambda c: c.post(f"{url}/r/{token}/stops/{stop_id}/events", json=body)

    # Every update twice, all at the same moment (a phone retrying while the first is in flight).
    calls = [send(stop_id, body) for stop_id, body in updates for _ in range(2)]
    responses = _all_at_once(calls)
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses if r.status_code >= 300]
    for i, (stop_id, _) in enumerate(updates):
        pair = responses[2 * i: 2 * i + 2]
        assert sorted(r.status_code for r in pair) == [200, 201], (stop_id, [r.text for r in pair])
        assert pair[0].json()["event_id"] == pair[1].json()["event_id"]
        assert sorted(r.json()["repeated"] for r in pair) == [False, True]
    job = _finish_job(live, job_id)
    assert job["status"] == "succeeded", (job.get("error"), job)
    with session_scope(live["engine"]) as s:
        events = s.scalars(select(StopEvent)).all()
        assert sorted(e.stop_id for e in events) == sorted(stop_id for stop_id, _ in updates)  # one each
        relay_points = [rp_id for _, kind, rp_id, _ in live["stops"] if kind == "relay_point"]
        for rp_id in relay_points:
            assert s.get(RelayPoint, rp_id).stock_m3 == pytest.approx(0.1)
        driver_reports = s.scalar(select(func.count()).select_from(StockReport)
                                  .where(StockReport.source == ReportSource.DRIVER))
        assert driver_reports == len(relay_points)
        pickup_id = next(pu for _, kind, _, pu in live["stops"] if kind == "pickup")
        assert s.get(PickupRequest, pickup_id).status is PickupStatus.COLLECTED
        # The published day was not touched by the job planning another day.
        assert s.get(Plan, live["plan"]).status.value == "published"


def test_replanning_a_published_day_while_crews_report_is_refused_cleanly(live) -> None:
    url, token = live["url"], live["token"]
    stop_id = live["stops"][0][0]

    def replan(c):
        return c.post(f"{url}/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 1},
                      headers=live["auth"])

    def update(i):
        return lambda c: c.post(f"{url}/r/{token}/stops/{stop_id}/events",
                                json={"kind": "arrived", "idempotency_key": f"replan-{i:06d}"})

    responses = _all_at_once([replan] * 2 + [update(i) for i in range(10)])
    assert [r.status_code for r in responses[:2]] == [409, 409]  # a published plan is never replaced
    assert all(r.status_code == 201 for r in responses[2:])


def test_parallel_relay_point_page_posts_do_not_stall_the_server(live) -> None:
    """The relay-point page's form post is an async endpoint: its database work runs in the thread
    pool, so a post waiting for a lock never blocks the event loop (and every other request)."""
    from dispatch.field import links
    from dispatch.db import session_scope
    from dispatch.models import RelayPoint, ReportSource, StockReport

    with session_scope(live["engine"]) as s:
        points = s.scalars(select(RelayPoint).order_by(RelayPoint.id).limit(8)).all()
        tokens = [(rp.id, links.create_relay_point_link(rp.id, session=s)) for rp in points]
    url = live["url"]

    def page(token, level):
        return lambda c: c.post(f"{url}/p/{token}", data={"level": str(level)})

    def api(rp_id, i):
        return lambda c: c.post(f"{url}/api/v1/relay-points/{rp_id}/reports", headers=live["auth"],
                                json={"level_pct": 10, "note": f"api-{i}"})

    calls = [page(token, (25, 50, 75)[i % 3]) for i, (_, token) in enumerate(tokens * 2)]
    calls += [api(rp_id, i) for i, (rp_id, _) in enumerate(tokens)]
    responses = _all_at_once(calls)
    assert all(r.status_code in (200, 201, 303) for r in responses), [r.status_code for r in responses]
    with session_scope(live["engine"]) as s:
        stored = s.scalar(select(func.count()).select_from(StockReport)
                          .where(StockReport.source == ReportSource.RELAY_POINT))
        assert stored >= len(tokens) * 2  # each page gave at least one report (a repeat may be a duplicate)
