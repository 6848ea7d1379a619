"""The one problem builder: every path from the database to the solver (planning, re-optimising,
mid-day re-planning) sees the same vans, depots and crews of the day.

Two regressions it closes: re-optimising a two-depot day re-timed the second depot's vans from the
first depot, and re-optimising or re-planning gave rounds to absent crews and vans in maintenance."""

from __future__ import annotations

import datetime as dt


from dispatch.demo import seed_demo
from dispatch.models import CrewUnavailability, StopKind, VanUnavailability
from dispatch.planning import edit_context, editing, reoptimise, replan
from dispatch.planning.day import plan_day
from dispatch.planning.plans import publish_plan
from tests.planning.test_scale import add_south_depot

DAY = dt.date(2026, 12, 1)
VISITS = (StopKind.RELAY_POINT, StopKind.PICKUP)


def _visits(rnd):
    return [s for s in rnd.stops if s.kind in VISITS]


def _shape(plan):
    """Each round's crew, its visits in order, and the first leg from its depot (metres, planned time):
    what a re-optimisation of a fully locked plan must leave as it is (it may still move an unloading
    trip, which is not a visit)."""
    return sorted(
        (r.crew_id, tuple(edit_context.stop_key(s) for s in _visits(r)), _visits(r)[0].distance_from_start_m,
         _visits(r)[0].planned_arrival)
        for r in plan.rounds if _visits(r)
    )


def _lock_everything(plan, session):
    for rnd in plan.rounds:
        for s in _visits(rnd):
            editing.set_locked(plan.id, s.id, True, session=session, version=plan.version, actor="alice")


def test_reoptimising_a_two_depot_day_keeps_each_van_on_its_own_depot(session, settings, paris_network):
    fast = settings.model_copy(update={"solve_solution_limit": 40})
    seed_demo(DAY, session=session)
    add_south_depot(session)
    plan = plan_day(DAY, fast, paris_network, session=session, time_limit_s=3, seed=1)
    south_rounds = [r for r in plan.rounds if _visits(r) and r.van.depot.region == "south"]
    assert south_rounds, "the demo day should give the south depot's vans some work"
    before = _shape(plan)
    _lock_everything(plan, session)
    reoptimise.reoptimise(plan.id, fast, paris_network, session=session, version=plan.version, actor="bob",
                       time_limit_s=3)
    # Every stop is locked in its round and order: the same rounds, leaving from the same depots.
    assert _shape(plan) == before


def _take_out(session, plan):
    """The crew of the busiest round falls ill, the van of another round goes to the garage."""
    busy = sorted((r for r in plan.rounds if _visits(r)), key=lambda r: -len(_visits(r)))
    ill, garage = busy[0], busy[1]
    session.add(CrewUnavailability(crew_id=ill.crew_id, start_date=DAY, end_date=DAY, reason="malade"))
    session.add(VanUnavailability(van_id=garage.van_id, start_date=DAY, end_date=DAY, reason="garage"))
    session.flush()
    return {ill.crew_id, garage.crew_id}


def test_reoptimising_never_gives_a_round_to_an_absent_crew_or_a_van_in_maintenance(session, settings,
                                                                                      paris_network):
    fast = settings.model_copy(update={"solve_solution_limit": 40})
    seed_demo(DAY, session=session)
    plan = plan_day(DAY, fast, paris_network, session=session, time_limit_s=3, seed=1)
    out = _take_out(session, plan)
    reoptimise.reoptimise(plan.id, fast, paris_network, session=session, version=plan.version, actor="bob",
                       time_limit_s=3)
    working = {r.crew_id for r in plan.rounds if _visits(r)}
    assert working and not working & out


def test_replanning_never_gives_a_round_to_an_absent_crew_or_a_van_in_maintenance(session, settings,
                                                                                    paris_network):
    fast = settings.model_copy(update={"solve_solution_limit": 40})
    seed_demo(DAY, session=session)
    plan = plan_day(DAY, fast, paris_network, session=session, time_limit_s=3, seed=1)
    publish_plan(plan.id, session=session)
    out = _take_out(session, plan)
    replan.replan(plan.id, fast, paris_network, session=session, version=plan.version, actor="alice",
                   at_s=7 * 3600, time_limit_s=3)
    working = {r.crew_id for r in plan.rounds if _visits(r)}
    assert working and not working & out


def test_pinned_visits_stay_in_their_van_in_order_and_must_be_served():
    """A coordinator's locked or hand-placed visits are never the search's to leave out (before, an optional
    relay point kept its horizon penalty and a re-plan could drop it as not worth its detour)."""
    from solver import Problem, TimeWindow, Vehicle, Visit

    from dispatch.planning import problem as builder

    base = Problem(durations=((0, 5, 5), (5, 0, 5), (5, 5, 0)), distances=((0, 5, 5), (5, 0, 5), (5, 5, 0)),
                   vehicles=tuple(Vehicle(f"crew:{i}", 0, 0, (10,), TimeWindow(0, 100)) for i in (1, 2)),
                   visits=(Visit("rp:1", 1, (1,), penalty=10), Visit("rp:2", 2, (1,), penalty=10)))
    pinned = builder.pin_sequences(base, [("crew:2", ["rp:2", "pu:9"]), ("crew:1", ["pu:8"])])
    by_id = {v.id: v for v in pinned.visits}
    assert (by_id["rp:2"].vehicle, by_id["rp:2"].penalty) == ("crew:2", None)
    assert (by_id["rp:1"].vehicle, by_id["rp:1"].penalty) == (None, 10)
    assert pinned.locked_sequences == (("crew:2", ("rp:2",)),)  # unknown visits and empty sequences left out
    # One left out is reported as a visit that had to be served, not as an optional relay point.
    cands = {k: builder.Candidate(key=k, kind=StopKind.RELAY_POINT, record_id=int(k[3:]), name=k, lat=48.85, lon=2.35, mandatory=False,
                                  expected_m3=0.5, service_s=300, windows=((0, 100),), penalty=10)
             for k in ("rp:1", "rp:2")}
    marked = builder.pinned_candidates(cands, pinned)
    assert marked["rp:2"].mandatory and not marked["rp:1"].mandatory and marked["rp:1"] is cands["rp:1"]
