"""The week ahead (dispatch/planning/week.py): each day's visits and why, the load per van-day, the
overloaded days with their fixes, and planning that counts a relay point emptied on an earlier day."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dispatch.demo import seed_demo
from dispatch.models import Crew, CrewUnavailability, RelayPoint, StopKind
from dispatch.planning import week
from dispatch.planning.day import build_day, plan_day
from dispatch.planning.horizon import MANDATORY
from dispatch.workdays import is_collection_day

MONDAY = dt.date(2026, 11, 30)


def _next_collection_days(n: int) -> list[dt.date]:
    return week.collection_days_from(dt.date.today() + dt.timedelta(days=1), n)


def test_five_collection_days_with_their_load_and_capacity(session, settings, paris_network):
    seed_demo(dt.date(2026, 12, 1), session=session)
    w = week.week_ahead(MONDAY, settings, session=session, days=5)
    assert [d.date for d in w.days] == [MONDAY + dt.timedelta(days=i) for i in range(5)]
    assert all(is_collection_day(d.date) for d in w.days)
    tuesday = w.days[1]
    assert tuesday.pickups > 0 and tuesday.pickups_m3 > 0  # the demo's home pickups are on Tuesday
    crews = session.scalars(select(Crew)).all()
    assert tuesday.vans == len(crews)
    assert tuesday.capacity_m3 == round(sum(c.van.capacity_m3 for c in crews) * (1 + settings.max_unloads), 2)
    assert all(d.source == "projected" for d in w.days)
    # a day with a plan shows the plan's relay points
    plan = plan_day(dt.date(2026, 12, 1), settings.model_copy(update={"solve_solution_limit": 20}),
                    paris_network, session=session, time_limit_s=2, seed=1)
    w = week.week_ahead(MONDAY, settings, session=session, days=5)
    in_plan = {s.relay_point_id for r in plan.rounds for s in r.stops if s.kind is StopKind.RELAY_POINT}
    assert w.days[1].source == "draft"
    assert {v.relay_point_id for v in w.days[1].visits} == in_plan


def test_a_day_the_fleet_cannot_cover_is_flagged_with_its_fixes(session, settings):
    seed_demo(dt.date(2026, 12, 1), session=session)
    for rp in session.scalars(select(RelayPoint).where(RelayPoint.active.is_(True))).all():
        rp.full = True  # every relay point called "full"
    crews = session.scalars(select(Crew).order_by(Crew.id)).all()
    for crew in crews[1:]:  # one crew left on Monday
        session.add(CrewUnavailability(crew_id=crew.id, start_date=MONDAY, end_date=MONDAY, reason="formation"))
    session.flush()
    w = week.week_ahead(MONDAY, settings, session=session, days=3)
    monday = w.days[0]
    assert monday.overloaded and monday.vans == 1
    kinds = {f["kind"] for f in monday.fixes}
    assert "van" in kinds and "saturday" in kinds
    van_fix = next(f for f in monday.fixes if f["kind"] == "van")
    assert van_fix["van"] in {c.van.name for c in crews[1:]} and van_fix["reason"] == "no_crew"
    # the relay points emptied on Monday are not needed again on Tuesday
    emptied = {v.relay_point_id for v in monday.visits}
    assert not emptied & {v.relay_point_id for v in w.days[1].visits}
    assert w.twice == []


def test_planning_a_day_counts_the_relay_points_an_earlier_plan_empties(session, settings, paris_network):
    first, second = _next_collection_days(2)
    seed_demo(first, session=session)
    for rp in session.scalars(select(RelayPoint)).all():
        rp.daily_rate_m3 = rp.capacity_m3 / 4  # emptied on the first day, a quarter full on the second
    session.flush()
    fast = settings.model_copy(update={"solve_solution_limit": 20})
    before = build_day(second, fast, paris_network, session=session).decisions
    plan = plan_day(first, fast, paris_network, session=session, time_limit_s=2, seed=1)
    emptied = {f"rp:{s.relay_point_id}" for r in plan.rounds for s in r.stops if s.kind is StopKind.RELAY_POINT}
    full = {f"rp:{rp.id}" for rp in session.scalars(select(RelayPoint).where(RelayPoint.full.is_(True)))}
    would_repeat = {k for k in emptied - full if before[k].decision == MANDATORY}
    assert would_repeat, "the test needs relay points mandatory on both days when the first plan is ignored"
    after = build_day(second, fast, paris_network, session=session).decisions
    assert {k for k in would_repeat if after[k].decision == MANDATORY} == set()
