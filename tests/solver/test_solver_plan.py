"""Plan mode: ``solver.plan_route`` times a given route for one vehicle and names what it breaks."""

from __future__ import annotations

import pytest
from solver_testlib import TWO_CLUSTERS, problem, solve_checked, veh, vis

from solver import ProblemError, check, plan_route

VISITS = [
    vis("a", 1, demand=(4,), service=5),
    vis("b", 2, demand=(4,), service=5),
    vis("c", 3, demand=(4,), service=5, windows=[(100, 200)]),
    vis("d", 4, demand=(4,), service=5),
]


def test_a_solved_route_is_timed_as_the_solver_times_it():
    p = problem(TWO_CLUSTERS, [veh("v1", cap=(20,))], VISITS)
    s = solve_checked(p)
    (route,) = s.routes
    planned = plan_route(p, "v1", list(route.visit_ids))
    assert planned.feasible and planned.violations == ()
    assert planned.route == route


def test_a_late_visit_is_timed_late_and_named():
    p = problem(TWO_CLUSTERS, [veh("v1", cap=(20,))], VISITS)
    planned = plan_route(p, "v1", ["c", "d", "a", "b"])
    assert planned.feasible
    # "c" closes at 200: after the other three it can only start later
    late = problem(TWO_CLUSTERS, [veh("v1", cap=(20,))],
                   [vis("a", 1, service=50), vis("b", 2, service=50), vis("c", 3, windows=[(0, 60)])])
    planned = plan_route(late, "v1", ["a", "b", "c"])
    assert [(e.cause, e.vehicle, e.visit) for e in planned.violations] == [("time_window", "v1", "c")]
    steps = {st.id: st for st in planned.route.steps}
    assert steps["c"].arrival + steps["c"].waiting_time > 60  # timed anyway, as late as it gets


def test_capacity_and_unloading():
    p = problem(TWO_CLUSTERS, [veh("v1", cap=(8,), reload_location=0, reload_service=7)], VISITS)
    over = plan_route(p, "v1", ["a", "b", "c", "d"])
    assert {(e.cause, e.visit) for e in over.violations} == {("capacity", "c"), ("capacity", "d")}
    unloaded = plan_route(p, "v1", ["a", "b", None, "c", "d"])
    assert unloaded.feasible
    assert [st.type for st in unloaded.route.steps] == ["start", "visit", "visit", "reload", "visit", "visit", "end"]
    assert unloaded.route.service == 4 * 5 + 7


def test_shift_end_and_max_work_time():
    p = problem(TWO_CLUSTERS, [veh("v1", shift=(0, 60), max_work_time=50)], VISITS[:2] + VISITS[3:])
    causes = {e.cause for e in plan_route(p, "v1", ["a", "b", "d"]).violations}
    assert causes == {"shift_end", "max_work_time"}


def test_every_break_is_placed():
    p = problem(TWO_CLUSTERS, [veh("v1", breaks=[("lunch", 40, 100, 30), ("coffee", 0, 1000, 5)])],
                [vis("a", 1, service=10), vis("b", 2, service=20)])
    planned = plan_route(p, "v1", ["a", "b"])
    assert planned.feasible, planned.violations
    kinds = [(st.type, st.id) for st in planned.route.steps]
    assert ("break", "lunch") in kinds and ("break", "coffee") in kinds  # every break is placed
    assert check(p, _as_solution(p, planned.route)) == []
    # the break cannot fit at all: timed with it late, and named
    tight = problem(TWO_CLUSTERS, [veh("v1", breaks=[("lunch", 5000, 5100, 30)], shift=(0, 200))],
                    [vis("a", 1, service=10)])
    planned = plan_route(tight, "v1", ["a"])
    assert planned.violations and all(e.cause in {"break", "shift_end"} for e in planned.violations)


def _as_solution(p, route):
    from solver import Solution, Status, Summary

    summary = Summary(cost=route.cost, routes=1, unassigned=0, distance=route.distance, duration=route.duration,
                      service=route.service, waiting_time=route.waiting_time, load=route.load, solve_seconds=0.0)
    return Solution(Status.SOLVED, summary, (route,), ())


def test_a_visit_given_twice_is_a_violation():
    p = problem(TWO_CLUSTERS, [veh("v1")], VISITS[:2])
    assert ("duplicate", "a") in {(e.cause, e.visit) for e in plan_route(p, "v1", ["a", "b", "a"]).violations}


@pytest.mark.parametrize(
    ("vehicle", "stops", "message"),
    [
        ("v9", ["a"], "unknown vehicle 'v9'"),
        ("v1", ["a", "zz"], "unknown visit 'zz'"),
        ("v1", ["a", None, "b"], "vehicle 'v1' has no reload_location"),
    ],
)
def test_bad_input(vehicle, stops, message):
    p = problem(TWO_CLUSTERS, [veh("v1")], VISITS)
    with pytest.raises(ProblemError, match=message):
        plan_route(p, vehicle, stops)
