"""Planning service on the demo network: DB -> Problem -> stored rounds."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dispatch.demo import seed_demo
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import PickupRequest, Plan, PlanStatus, RelayPoint, ReportSource
from dispatch.relay_points.points import report_fill
from dispatch.planning.day import build_day, plan_day

DAY = dt.date(2026, 12, 1)  # Tuesday


@pytest.fixture
def demo(session):
    seed_demo(DAY, session=session)
    return session


def test_empty_database_says_what_to_do(session, settings, paris_network):
    with pytest.raises(NotFound, match="seed-demo"):
        build_day(DAY, settings, paris_network, session=session)


def test_sunday_is_refused(demo, settings, paris_network):
    with pytest.raises(InvalidInput, match="Sunday"):
        build_day(dt.date(2026, 11, 29), settings, paris_network, session=demo)


def test_problem_has_the_day_s_rules(demo, settings, paris_network):
    dp = build_day(DAY, settings, paris_network, session=demo)
    problem = dp.problem
    problem.validate()
    assert len(problem.vehicles) == 4
    assert sorted(v.capacity[0] for v in problem.vehicles) == [12000, 12000, 20000, 20000]
    assert all(v.shift.start == 8 * 3600 and v.shift.end == 16 * 3600 for v in problem.vehicles)
    assert all(len(v.breaks) == 1 and v.breaks[0].duration == 45 * 60 for v in problem.vehicles)
    full_ids = {f"rp:{rp.id}" for rp in demo.scalars(select(RelayPoint).where(RelayPoint.full)).all()}
    closed = {ex.candidate_key for ex in dp.excluded if ex.reason == "closed"}
    by_id = {v.id: v for v in problem.visits}
    for key in full_ids - closed:
        assert by_id[key].penalty is None, "a full relay point is mandatory"
    pickups = [v for v in problem.visits if v.id.startswith("pu:")]
    assert pickups and all(v.penalty is None for v in pickups)
    optional = [v for v in problem.visits if v.penalty is not None]
    assert optional and all(0 < v.penalty <= settings.relay_point_penalty_m for v in optional)
    # Service time grows with the volume.
    svc = sorted((v.demand[0], v.service) for v in problem.visits if v.id.startswith("rp:"))
    assert svc[0][1] < svc[-1][1]
    # The road matrix is asymmetric somewhere (one-way streets) and zero on the diagonal.
    n = problem.n_locations
    assert all(problem.durations[i][i] == 0 for i in range(n))
    assert any(problem.durations[i][j] != problem.durations[j][i] for i in range(n) for j in range(i))


def test_a_shop_closed_at_lunch_gets_two_windows(demo, settings, paris_network):
    shop = next(rp for rp in demo.scalars(select(RelayPoint)).all()
                if sum(DAY.weekday() in o["days"] for o in rp.opening_hours) == 2)
    report_fill(shop.id, session=demo, source=ReportSource.STAFF, level_pct=90)
    dp = build_day(DAY, settings, paris_network, session=demo)
    visit = next(v for v in dp.problem.visits if v.id == f"rp:{shop.id}")
    assert len(visit.windows) == 2 and visit.windows[0].end < visit.windows[1].start


def test_closed_and_off_network_sites_are_explained(demo, settings, paris_network):
    rps = demo.scalars(select(RelayPoint).order_by(RelayPoint.id)).all()
    closed, far = rps[0], rps[1]
    closed.opening_hours = [{"days": [5], "open": "10:00", "close": "12:00"}]  # Saturdays only
    closed.full = True
    far.full = True
    far.lat, far.lon = 48.70, 2.10  # far outside the Paris street graph
    demo.flush()
    dp = build_day(DAY, settings, paris_network, session=demo)
    reasons = {ex.record_id: ex for ex in dp.excluded}
    assert reasons[closed.id].reason == "closed" and reasons[closed.id].mandatory
    assert reasons[far.id].reason == "site_too_far" and far.name in reasons[far.id].detail


def test_plan_day_stores_rounds_and_schedules_pickups(demo, settings, paris_network):
    plan = plan_day(DAY, settings, paris_network, session=demo, time_limit_s=2, seed=0)
    assert plan.rounds and plan.status is PlanStatus.DRAFT
    scheduled = {s.pickup_request_id for r in plan.rounds for s in r.stops if s.pickup_request_id}
    for pu in demo.scalars(select(PickupRequest).where(PickupRequest.date == DAY)).all():
        assert (pu.id in scheduled) == (pu.status.value == "scheduled")
    assert plan.distance_m == sum(r.distance_m for r in plan.rounds)


def test_a_published_plan_is_not_replaced(demo, settings, paris_network):
    plan = plan_day(DAY, settings, paris_network, session=demo, time_limit_s=1)
    plan.status = PlanStatus.PUBLISHED
    demo.flush()
    with pytest.raises(Conflict, match="published"):
        plan_day(DAY, settings, paris_network, session=demo, time_limit_s=1)
    assert demo.scalars(select(Plan)).all() == [plan]


def test_day_matrix_includes_the_time_of_day_factor(demo, settings, paris_network):
    dp = build_day(DAY, settings, paris_network, session=demo)
    # 08:00-16:00 with the morning rush (07:30-09:30 x1.3) in it.
    assert dp.travel_factor == pytest.approx((1.5 * 1.3 + 6.5 * 1.0) / 8)
    raw = paris_network.matrices(dp.sites)
    assert dp.problem.durations[0][5] == round(raw.durations[0][5] * dp.travel_factor) > raw.durations[0][5]
    assert dp.problem.distances == tuple(tuple(row) for row in raw.distances)


def test_the_horizon_explains_every_open_relay_point(demo, settings, paris_network):
    rps = demo.scalars(select(RelayPoint).order_by(RelayPoint.id)).all()
    low, high = [rp for rp in rps if any(DAY.weekday() in o["days"] for o in rp.opening_hours)][10:12]
    report_fill(low.id, session=demo, source=ReportSource.STAFF, level_pct=5)
    report_fill(high.id, session=demo, source=ReportSource.STAFF, full=True)
    plan = plan_day(DAY, settings, paris_network, session=demo, time_limit_s=2)
    decisions = {d["relay_point_id"]: d for d in plan.relay_point_decisions}
    closed = {u.relay_point_id for u in plan.unassigned if u.reason == "closed"}
    open_ids = {rp.id for rp in rps} - closed
    assert set(decisions) == open_ids
    assert all(d["reason"] for d in decisions.values())
    in_rounds = {s.relay_point_id for r in plan.rounds for s in r.stops if s.relay_point_id}
    assert decisions[low.id]["decision"] == "skip" and low.id not in in_rounds
    assert decisions[high.id]["decision"] == "mandatory"
    for rp_id, d in decisions.items():
        assert d["visited"] == (rp_id in in_rounds)
        if d["decision"] == "skip":
            assert rp_id not in in_rounds
