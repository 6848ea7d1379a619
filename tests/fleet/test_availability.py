"""The planner respects relay-point pauses, closures and host constraints, and van/crew calendars."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dispatch.fleet import calendars, relay_point_blocks, relay_points
from dispatch.demo import seed_demo
from dispatch.errors import InvalidInput, NotFound
from dispatch.models import Crew, Plan, PlanStatus, RelayPoint, Round, Stop, StopKind, Van
from dispatch.planning.day import build_day, plan_day

DAY = dt.date(2026, 12, 1)  # Tuesday


@pytest.fixture
def demo(session):
    seed_demo(DAY, session=session)
    return session


def _open_full_relay_points(session, n: int) -> list[RelayPoint]:
    """Relay points open on DAY, reported full (so the forecast alone would make them mandatory)."""
    out = []
    for rp in session.scalars(select(RelayPoint).where(RelayPoint.active.is_(True)).order_by(RelayPoint.id)).all():
        if any(DAY.weekday() in o["days"] for o in rp.opening_hours):
            rp.full = True
            out.append(rp)
        if len(out) == n:
            break
    session.flush()
    return out


def _visit_ids(dp) -> set[str]:
    return {v.id for v in dp.problem.visits}


def test_paused_closed_and_no_visit_day_relay_points_are_skipped_with_reasons(demo, settings, paris_network):
    paused, closed, no_visit, control = _open_full_relay_points(demo, 4)
    relay_points.update_relay_point(paused.id, {"paused": True, "pause_reason": "travaux"}, session=demo)
    relay_points.add_closure(closed.id, DAY - dt.timedelta(days=2), DAY + dt.timedelta(days=3), "congés de l'hôte",
                             session=demo)
    relay_points.update_relay_point(no_visit.id, {"no_visit_weekdays": [DAY.weekday()]}, session=demo)

    dp = build_day(DAY, settings, paris_network, session=demo)
    visits = _visit_ids(dp)
    assert f"rp:{control.id}" in visits  # full and open: visited
    excluded = {ex.record_id: ex for ex in dp.excluded}
    for rp, code, en, fr in ((paused, "paused", "paused (travaux)", "en pause (travaux)"),
                             (closed, "closed", "congés de l'hôte", "fermé du 29/11/2026 au 04/12/2026"),
                             (no_visit, "no_visit_day", "no visit on Tuesdays", "pas de passage le mardi")):
        key = f"rp:{rp.id}"
        assert key not in visits
        assert excluded[rp.id].reason == code and excluded[rp.id].mandatory  # it was full: the loss is visible
        decision = dp.decisions[key]
        assert decision.decision == "skip" and en in decision.reason, decision.reason
        assert dp.decision_notes[key]["reason_code"] == code
        assert fr in dp.decision_notes[key]["reason_fr"]


def test_a_closure_on_other_days_changes_nothing(demo, settings, paris_network):
    (rp,) = _open_full_relay_points(demo, 1)
    relay_points.add_closure(rp.id, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=5), "vacances", session=demo)
    assert f"rp:{rp.id}" in _visit_ids(build_day(DAY, settings, paris_network, session=demo))


def _plan_with_visit(session, day: dt.date, rp: RelayPoint, status: PlanStatus) -> Plan:
    van = session.scalars(select(Van).order_by(Van.id)).first()
    crew = session.scalars(select(Crew).where(Crew.van_id == van.id)).first()
    at = dt.datetime.combine(day, dt.time(9))
    plan = Plan(date=day, status=status)
    rnd = Round(plan=plan, van=van, crew=crew, start_at=at, end_at=at + dt.timedelta(hours=6), distance_m=1000,
                duration_s=3600, load_m3=1.0)
    rnd.stops.append(Stop(position=1, kind=StopKind.RELAY_POINT, relay_point_id=rp.id, planned_arrival=at,
                          service_s=300, expected_m3=1.0))
    session.add(plan)
    session.flush()
    return plan


def test_weekly_maximum_counts_other_days_plans_of_the_iso_week(demo, settings, paris_network):
    limited, other = _open_full_relay_points(demo, 2)
    relay_points.update_relay_point(limited.id, {"max_visits_per_week": 2}, session=demo)
    relay_points.update_relay_point(other.id, {"max_visits_per_week": 1}, session=demo)
    monday, wednesday = DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1)
    last_week = DAY - dt.timedelta(days=7)
    _plan_with_visit(demo, last_week, other, PlanStatus.PUBLISHED)  # another ISO week: not counted
    _plan_with_visit(demo, monday, limited, PlanStatus.PUBLISHED)

    dp = build_day(DAY, settings, paris_network, session=demo)
    assert f"rp:{limited.id}" in _visit_ids(dp)  # 1 visit of 2 allowed
    assert f"rp:{other.id}" in _visit_ids(dp)

    _plan_with_visit(demo, wednesday, limited, PlanStatus.DRAFT)  # drafts count too
    dp = build_day(DAY, settings, paris_network, session=demo)
    key = f"rp:{limited.id}"
    assert key not in _visit_ids(dp)
    assert dp.decisions[key].decision == "skip"
    assert "already 2 visit(s) planned this week" in dp.decisions[key].reason
    assert dp.decision_notes[key]["reason_code"] == "weekly_limit"
    # The day's own previous draft does not count against it.
    assert relay_point_blocks.weekly_visits(wednesday, [limited.id], session=demo) == {limited.id: 1}


def test_vans_in_maintenance_and_absent_crews_are_left_out(demo, settings, paris_network):
    vans = demo.scalars(select(Van).order_by(Van.id)).all()
    crews = {c.van_id: c for c in demo.scalars(select(Crew)).all()}
    broken, crewless = vans[0], vans[1]
    calendars.add_unavailability("van", broken.id, DAY, DAY, "contrôle technique", session=demo)
    calendars.add_unavailability("crew", crews[crewless.id].id, DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1),
                                 "congé maladie", session=demo)
    # An absence that ended the day before changes nothing.
    calendars.add_unavailability("van", vans[2].id, DAY - dt.timedelta(days=3), DAY - dt.timedelta(days=1), "pneu",
                                 session=demo)

    dp = build_day(DAY, settings, paris_network, session=demo)
    used = {info.van.id for info in dp.vehicles.values()}
    assert used == {v.id for v in vans} - {broken.id, crewless.id}
    out = {o["van_id"]: o for o in dp.vans_out}
    assert out[broken.id]["reason"] == "maintenance" and "contrôle technique" in out[broken.id]["detail"]
    assert out[crewless.id]["reason"] == "no_crew"
    assert crews[crewless.id].name in out[crewless.id]["detail"] and "congé maladie" in out[crewless.id]["detail_fr"]


def test_no_available_crew_at_all_says_why(demo, settings, paris_network):
    for van in demo.scalars(select(Van)).all():
        calendars.add_unavailability("van", van.id, DAY, DAY, "grève", session=demo)
    with pytest.raises(NotFound, match="grève"):
        build_day(DAY, settings, paris_network, session=demo)


def test_the_stored_plan_says_which_vans_are_out_and_why_relay_points_are_skipped(demo, settings, paris_network):
    (paused,) = _open_full_relay_points(demo, 1)
    relay_points.update_relay_point(paused.id, {"paused": True, "pause_reason": "inventaire"}, session=demo)
    van = demo.scalars(select(Van).order_by(Van.id)).first()
    calendars.add_unavailability("van", van.id, DAY, DAY, "révision", session=demo)
    plan = plan_day(DAY, settings, paris_network, session=demo, time_limit_s=2, seed=1)
    assert van.id not in {r.van_id for r in plan.rounds}
    assert [o["reason"] for o in plan.vans_out if o["van_id"] == van.id] == ["maintenance"]
    decision = next(d for d in plan.relay_point_decisions if d["relay_point_id"] == paused.id)
    assert decision["decision"] == "skip" and not decision["visited"]
    assert decision["reason_code"] == "paused" and "inventaire" in decision["reason_fr"]
    assert paused.id not in {s.relay_point_id for r in plan.rounds for s in r.stops}


def test_bad_calendar_and_opening_hours_are_refused(demo):
    rp = demo.scalars(select(RelayPoint)).first()
    with pytest.raises(InvalidInput) as exc:
        relay_points.add_closure(rp.id, DAY, DAY - dt.timedelta(days=1), "x", session=demo)
    assert exc.value.field == "end_date"
    with pytest.raises(InvalidInput) as exc:
        relay_points.update_relay_point(rp.id, {"opening_hours": [{"days": [1], "open": "14:00", "close": "09:00"}]},
                                        session=demo)
    assert exc.value.field == "opening_hours[0].close"
    with pytest.raises(InvalidInput) as exc:
        relay_points.update_relay_point(rp.id, {"paused": True}, session=demo)
    assert exc.value.field == "pause_reason"


def _quiet_tuesday() -> dt.date:
    """A Tuesday at least 3 days ahead of today whose next two weeks hold no public holiday: the forecast
    looks ahead from the real clock, so this test plans a day ahead of it."""
    from dispatch.workdays import french_public_holidays

    day = dt.date.today() + dt.timedelta(days=3)
    while True:
        day += dt.timedelta(days=(1 - day.weekday()) % 7)
        fortnight = [day + dt.timedelta(days=i) for i in range(14)]
        holidays = set(french_public_holidays(day.year)) | set(french_public_holidays(day.year + 1))
        if not holidays & set(fortnight):
            return day
        day += dt.timedelta(days=7)


def test_a_closure_ahead_moves_the_next_visit_and_can_make_today_mandatory(demo, settings, paris_network):
    from dispatch.planning.horizon import fmt_day
    from dispatch.models import ReportSource
    from dispatch.relay_points.points import report_fill

    tuesday = _quiet_tuesday()
    wednesday, saturday_after, monday_after = (tuesday + dt.timedelta(days=n) for n in (1, 11, 13))
    rp = next(rp for rp in demo.scalars(select(RelayPoint).order_by(RelayPoint.id)).all()
              if {0, 1, 2, 3, 4, 5} <= {d for o in rp.opening_hours for d in o["days"]})
    # levels reported the week before and the evening before, and the day planned then (the quiet Tuesday may be
    # weeks ahead: from a report of today, the relay point would be certain to be full by then, closure or not)
    evening = dt.datetime.combine(tuesday - dt.timedelta(days=1), dt.time(18))
    report_fill(rp.id, session=demo, source=ReportSource.STAFF, level_pct=40, at=evening - dt.timedelta(days=7))
    report_fill(rp.id, session=demo, source=ReportSource.STAFF, level_pct=70, at=evening)
    key = f"rp:{rp.id}"
    now = evening + dt.timedelta(hours=1)
    before = build_day(tuesday, settings, paris_network, session=demo, now=now).decisions[key]
    assert before.next_visit_day == wednesday and before.decision != "mandatory", before.reason
    relay_points.add_closure(rp.id, wednesday, saturday_after, "travaux", session=demo)
    after = build_day(tuesday, settings, paris_network, session=demo, now=now).decisions[key]
    assert after.next_visit_day == monday_after
    assert f"closed on {fmt_day(wednesday)}" in after.reason
    assert after.p_full_before_next_visit > before.p_full_before_next_visit
    assert after.decision == "mandatory", after.reason


