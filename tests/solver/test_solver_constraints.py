"""One test per modelled constraint; each one would fail if the constraint were dropped."""

from __future__ import annotations

import pytest
from solver_testlib import (
    TWO_CLUSTERS,
    problem,
    routes_by_vehicle,
    served,
    solve_checked,
    unassigned_reasons,
    veh,
    vis,
)

from solver import SolveOptions, Status, solve

FOUR = [vis(str(i), i, demand=(5,)) for i in range(1, 5)]


def test_single_route_baseline_with_fixed_cost():
    # With a fixed cost per van and no binding capacity, one van does everything.
    p = problem(TWO_CLUSTERS, [veh("v1", fixed_cost=1000), veh("v2", fixed_cost=1000)], FOUR)
    s = solve_checked(p)
    assert s.status is Status.SOLVED
    assert len(s.routes) == 1


def test_capacity_forces_a_second_van():
    # Same as the baseline but each van holds only 10: two visits each.
    p = problem(TWO_CLUSTERS, [veh("v1", cap=(10,), fixed_cost=1000), veh("v2", cap=(10,), fixed_cost=1000)], FOUR)
    s = solve_checked(p)
    assert len(s.routes) == 2
    assert all(r.load == (10,) for r in s.routes)
    assert max(st.load[0] for r in s.routes for st in r.steps) <= 10


def test_capacity_second_dimension():
    # Volume is loose, weight (2nd dimension) binds.
    visits = [vis(str(i), i, demand=(1, 6)) for i in range(1, 5)]
    p = problem(TWO_CLUSTERS, [veh("v1", cap=(100, 12), fixed_cost=1000), veh("v2", cap=(100, 12), fixed_cost=1000)], visits)
    s = solve_checked(p)
    assert len(s.routes) == 2
    assert all(r.load[1] <= 12 for r in s.routes)


def test_single_windows_force_an_order():
    # Without windows the best tour is 1-2-3 (45 s); windows force 1 (at 10), 3 (at 35), 2 (at 60).
    visits = [
        vis("1", 1, windows=[(0, 12)]),
        vis("2", 2, windows=[(55, 65)]),
        vis("3", 3, windows=[(30, 40)]),
    ]
    s = solve_checked(problem(TWO_CLUSTERS, [veh("v1")], visits))
    assert s.status is Status.SOLVED
    assert routes_by_vehicle(s) == {"v1": ("1", "3", "2")}


def test_two_windows_gap_is_forbidden():
    # Visit 3 is open [0, 12] and [40, 50]; the shift ends at 45. Distances make 0-1-3-0 far
    # cheaper, but going 1 first reaches 3 at 25 (in the gap): the van would have to wait
    # until 40 and be back at 50 > 45. Only 0-3-1-0 is feasible.
    d = [
        [0, 10, 10],
        [10, 0, 15],
        [10, 15, 0],
    ]
    dist = [
        [0, 100, 1000],
        [5000, 0, 1500],
        [1000, 1500, 0],
    ]
    visits = [vis("1", 1), vis("3", 2, windows=[(0, 12), (40, 50)])]
    s = solve_checked(problem(d, [veh("v1", shift=(0, 45))], visits, distances=dist))
    assert s.status is Status.SOLVED
    assert routes_by_vehicle(s) == {"v1": ("3", "1")}


def test_two_windows_second_window_used():
    # Only the second window can be met: the van waits for it.
    d = [[0, 10], [10, 0]]
    s = solve_checked(problem(d, [veh("v1")], [vis("a", 1, windows=[(0, 5), (100, 120)])]))
    step = s.routes[0].steps[1]
    assert step.arrival + step.waiting_time == 100


def test_shift_end_forces_second_van():
    # v1 is cheap but its shift ends at 30: 0-1-2-0 with 5 s service each takes 35 s, so it
    # can only do one of the two visits; dear v2 (10x per km) does the other.
    visits = [vis("1", 1, service=5), vis("2", 2, service=5)]
    vehicles = [veh("v1", shift=(0, 30)), veh("v2", cost_per_km=10_000)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    assert len(s.routes) == 2
    assert len(routes_by_vehicle(s)["v1"]) == 1
    assert s.routes[0].vehicle == "v1" and s.routes[0].steps[-1].arrival <= 30


def test_shift_start_respected():
    d = [[0, 10], [10, 0]]
    s = solve_checked(problem(d, [veh("v1", shift=(500, 1000))], [vis("a", 1)]))
    assert s.routes[0].steps[0].arrival >= 500


def test_max_work_time_forces_second_van_and_late_departure():
    # 0-1-2-0 with 5 s service each takes 35 s > 30 s max work; visit 1 opens at 100, so v1
    # must leave late (not at shift start 0) to stay within 30 s.
    visits = [vis("1", 1, service=5, windows=[(100, 110)]), vis("2", 2, service=5)]
    vehicles = [veh("v1", max_work_time=30), veh("v2", fixed_cost=5000, max_work_time=30)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    assert len(s.routes) == 2
    assert all(r.duration <= 30 for r in s.routes)
    r = next(r for r in s.routes if "1" in r.visit_ids)
    assert r.steps[0].arrival >= 90


def test_break_taken_in_window():
    vehicles = [veh("v1", breaks=[("lunch", 20, 30, 10)])]
    visits = [vis("1", 1, service=5), vis("2", 2, service=5), vis("3", 3, service=5)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    steps = s.routes[0].steps
    breaks = [st for st in steps if st.type == "break"]
    assert len(breaks) == 1
    assert 20 <= breaks[0].arrival + breaks[0].waiting_time <= 30
    assert breaks[0].service == 10
    # it sits between the start and the end
    assert steps.index(breaks[0]) not in (0, len(steps) - 1)


def test_break_makes_visit_impossible_for_that_van():
    # Visit 1 (10 s away) must start within [10, 12]. v1's 10 s lunch must start within [5, 8],
    # i.e. during the drive, which would push the arrival to >= 20. So dear v2 serves it.
    vehicles = [veh("v1", breaks=[("lunch", 5, 8, 10)]), veh("v2", fixed_cost=5000)]
    s = solve_checked(problem([[0, 10], [10, 0]], vehicles, [vis("1", 1, windows=[(10, 12)])]))
    assert routes_by_vehicle(s) == {"v2": ("1",)}


def test_unused_vehicle_needs_no_break():
    # v2's break can never be taken in its shift: fine as long as v2 stays unused.
    vehicles = [veh("v1"), veh("v2", shift=(0, 1000), breaks=[("b", 5000, 6000, 30)])]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, FOUR))
    assert s.status is Status.SOLVED
    assert set(routes_by_vehicle(s)) == {"v1"}


def test_skills():
    visits = [vis("1", 1), vis("2", 2), vis("3", 3, skills=frozenset({"tail-lift"}))]
    vehicles = [veh("v1"), veh("v2", skills=frozenset({"tail-lift"}), fixed_cost=5000)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    assert "3" in routes_by_vehicle(s)["v2"]


def test_lock_to_vehicle():
    visits = [vis("1", 1), vis("2", 2, vehicle="v2"), vis("3", 3)]
    vehicles = [veh("v1"), veh("v2", fixed_cost=5000)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    assert "2" in routes_by_vehicle(s)["v2"]


def test_locked_sequence():
    # Distances make 0-1-2-0 much cheaper than 0-2-1-0; the locked sequence demands 2 then 1,
    # on v2 (the dearer van).
    d = [[0, 10, 10], [10, 0, 5], [10, 5, 0]]
    dist = [[0, 100, 5000], [5000, 0, 100], [100, 5000, 0]]
    visits = [vis("1", 1), vis("2", 2)]
    vehicles = [veh("v1"), veh("v2", fixed_cost=100)]
    free = solve_checked(problem(d, vehicles, visits, distances=dist))
    assert routes_by_vehicle(free) == {"v1": ("1", "2")}
    locked = solve_checked(problem(d, vehicles, visits, distances=dist, locked_sequences=(("v2", ("2", "1")),)))
    assert routes_by_vehicle(locked) == {"v2": ("2", "1")}


def test_optional_visit_dropped_when_penalty_is_low():
    # Visit 4 is far (distance 100 km): serving costs ~200000, the penalty is 100.
    d = [[0, 10, 10], [10, 0, 5], [10, 5, 0]]
    dist = [[0, 1000, 100_000], [1000, 0, 100_000], [100_000, 100_000, 0]]
    visits = [vis("1", 1), vis("far", 2, penalty=100)]
    s = solve_checked(problem(d, [veh("v1")], visits, distances=dist))
    assert s.status is Status.SOLVED
    assert served(s) == {"1"}
    assert unassigned_reasons(s) == {"far": "cost"}
    assert s.summary.cost == 2000 + 100


def test_mandatory_visit_served_despite_cost():
    d = [[0, 10, 10], [10, 0, 5], [10, 5, 0]]
    dist = [[0, 1000, 100_000], [1000, 0, 100_000], [100_000, 100_000, 0]]
    visits = [vis("1", 1), vis("far", 2)]
    s = solve_checked(problem(d, [veh("v1")], visits, distances=dist))
    assert s.status is Status.SOLVED
    assert served(s) == {"1", "far"}


def test_optional_visit_served_when_penalty_is_high():
    visits = [vis("1", 1), vis("2", 2, penalty=10**6)]
    s = solve_checked(problem(TWO_CLUSTERS, [veh("v1")], visits))
    assert served(s) == {"1", "2"}


@pytest.mark.parametrize("fixed, routes", [(0, 2), (1000, 1)])
def test_fixed_cost_leads_to_fewer_vans(fixed, routes):
    # Two routes cost 5000 m, one route 5500 m: a fixed cost of 1000 per van flips it.
    p = problem(TWO_CLUSTERS, [veh("v1", fixed_cost=fixed), veh("v2", fixed_cost=fixed)], FOUR)
    s = solve_checked(p)
    assert len(s.routes) == routes


@pytest.mark.parametrize("cheap_first", [True, False])
def test_per_vehicle_cost(cheap_first):
    cheap = veh("cheap", cost_per_km=500, fixed_cost=1000)
    dear = veh("dear", cost_per_km=2000, fixed_cost=1000)
    vehicles = [cheap, dear] if cheap_first else [dear, cheap]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, FOUR))
    assert set(routes_by_vehicle(s)) == {"cheap"}
    assert s.summary.cost == 1000 + 5500 // 2


def test_cost_per_hour_is_charged():
    # 40 s of driving at 3600 per hour = 40, plus 4000 m at 1000 per km = 4000.
    p = problem(TWO_CLUSTERS, [veh("v1", cost_per_hour=3600)], [vis("1", 1), vis("2", 2)])
    s = solve_checked(p)
    assert s.summary.cost == 2500 + 25


def test_different_start_and_end_depots():
    d = [[0, 10, 20], [10, 0, 10], [20, 10, 0]]
    s = solve_checked(problem(d, [veh("v1", start=0, end=2)], [vis("1", 1)]))
    steps = s.routes[0].steps
    assert (steps[0].location, steps[-1].location) == (0, 2)
    assert s.routes[0].distance == 2000


def test_determinism_with_solution_limit():
    visits = [vis(str(i), i, demand=(3,), service=2) for i in range(1, 5)]
    p = problem(TWO_CLUSTERS, [veh("v1", cap=(7,)), veh("v2", cap=(7,)), veh("v3", cap=(7,))], visits)
    opts = SolveOptions(time_limit_s=5.0, solution_limit=30, seed=7)
    a = solve(p, opts)
    b = solve(p, opts)
    assert [(r.vehicle, r.steps) for r in a.routes] == [(r.vehicle, r.steps) for r in b.routes]
    assert a.summary.cost == b.summary.cost


def test_no_visits():
    s = solve_checked(problem(TWO_CLUSTERS, [veh("v1")], []))
    assert s.routes == () and s.summary.cost == 0


def test_first_solution_option():
    p = problem(TWO_CLUSTERS, [veh("v1")], FOUR)
    for name in ("auto", "SAVINGS", "PATH_CHEAPEST_ARC", "PARALLEL_CHEAPEST_INSERTION"):
        s = solve_checked(p, SolveOptions(time_limit_s=1.0, solution_limit=20, first_solution=name))
        assert served(s) == {"1", "2", "3", "4"}


def test_vehicle_that_cannot_even_drive_home_is_ignored():
    # v_dead starts at 0 and ends at 2, 50 s away, with a 30 s shift: even its empty route is
    # impossible. It must not make the whole problem infeasible.
    d = [[0, 10, 50], [10, 0, 50], [50, 50, 0]]
    vehicles = [veh("v_dead", end=2, shift=(0, 30)), veh("v1")]
    s = solve_checked(problem(d, vehicles, [vis("1", 1)]))
    assert s.status is Status.SOLVED
    assert routes_by_vehicle(s) == {"v1": ("1",)}


def test_two_breaks_in_order():
    vehicles = [veh("v1", breaks=[("am", 10, 20, 5), ("pm", 40, 60, 5)])]
    visits = [vis(str(i), i, service=5) for i in range(1, 5)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    ids = [st.id for st in s.routes[0].steps if st.type == "break"]
    assert ids == ["am", "pm"]


def _first_visit(route):
    return next(st for st in route.steps if st.type == "visit")


def test_break_schedule_is_tight_leaving_at_shift_start():
    # No windows: leave at the shift start, never wait; the break starts as soon as its window opens.
    vehicles = [veh("v1", shift=(100, 10_000), breaks=[("lunch", 150, 300, 30)])]
    visits = [vis(str(i), i, service=5) for i in range(1, 5)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    r = s.routes[0]
    assert r.steps[0].arrival == 100
    assert r.waiting_time == 0 and all(st.waiting_time == 0 for st in r.steps)
    (brk,) = [st for st in r.steps if st.type == "break"]
    assert brk.arrival == 150
    assert r.duration == 75 + 30  # 45 s driving, 20 s service, 30 s break: nothing idle


@pytest.mark.parametrize("break_window", [(0, 10_000), (500, 520), (520, 560), (540, 600)])
def test_break_schedule_departs_just_in_time_for_the_first_service(break_window):
    # Every visit opens at 500 (loose windows): the van leaves (not at the shift start 0) so that
    # the first service starts on arrival, and nobody waits anywhere, whatever the break window.
    vehicles = [veh("v1", shift=(0, 10_000), breaks=[("lunch", *break_window, 30)])]
    visits = [vis(str(i), i, service=5, windows=[(500, 5000)]) for i in range(1, 5)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    r = s.routes[0]
    first = _first_visit(r)
    assert first.waiting_time == 0 and first.arrival >= 500
    breaks_before = sum(st.service for st in r.steps[: r.steps.index(first)] if st.type == "break")
    assert r.steps[0].arrival == first.arrival - 10 - breaks_before
    assert r.waiting_time == 0 and all(st.waiting_time == 0 for st in r.steps)
    (brk,) = [st for st in r.steps if st.type == "break"]
    # the break starts as early as its window allows (once the van is out)
    assert brk.arrival == max(break_window[0], r.steps[0].arrival)
    assert r.duration == 75 + 30


def test_idle_time_before_a_break_is_reported_as_waiting():
    # The round is over at 565 but the break cannot start before 600: the 35 s idle are the break
    # step's waiting time (arrival = when the van is ready, the break starts at 600).
    vehicles = [veh("v1", shift=(0, 10_000), breaks=[("lunch", 600, 700, 30)])]
    visits = [vis(str(i), i, service=5, windows=[(500, 5000)]) for i in range(1, 5)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    r = s.routes[0]
    (brk,) = [st for st in r.steps if st.type == "break"]
    assert brk.arrival + brk.waiting_time == 600
    assert r.waiting_time == brk.waiting_time > 0
    assert r.steps[0].arrival == 490  # still leaves just in time for the first service


def test_break_schedule_starts_at_shift_start_even_if_the_break_is_late():
    # 75 s of work and a break that cannot start before 300: the van still leaves at the shift
    # start (earliest schedule; OR-Tools' own times would leave late to be compact), and the idle
    # time before the break is visible as waiting, not hidden.
    vehicles = [veh("v1", shift=(100, 10_000), breaks=[("lunch", 300, 400, 30)])]
    visits = [vis(str(i), i, service=5) for i in range(1, 5)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    r = s.routes[0]
    assert r.steps[0].arrival == 100
    assert all(st.waiting_time == 0 for st in r.steps if st.type == "visit")
    (brk,) = [st for st in r.steps if st.type == "break"]
    assert brk.arrival + brk.waiting_time == 300
    assert r.waiting_time == r.duration - 75 - 30 > 0
