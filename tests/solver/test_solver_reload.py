"""Unloading trips (``Vehicle.reload_location``): a full van goes back to unload and out again."""

from __future__ import annotations

import dataclasses
import random

import pytest
from solver_testlib import problem, routes_by_vehicle, served, solve_checked, veh, vis

from solver import ProblemError, SolveOptions, Status, check, recompute_cost, solve

# Depot 0; visits at 1 and 2, 10 s from the depot and 5 s apart; 3 is 10 s from the depot on
# the other side (distances x 100 m).
D = [[0, 10, 10, 10], [10, 0, 5, 20], [10, 5, 0, 20], [10, 20, 20, 0]]
TWO_FULL = [vis("a", 1, demand=(8,), service=3), vis("b", 2, demand=(8,), service=3)]


def _types(route):
    return [st.type for st in route.steps]


def test_reload_lets_one_van_collect_two_full_loads():
    p = problem(D, [veh("v1", cap=(10,), reload_location=0, reload_service=7)], TWO_FULL)
    s = solve_checked(p)
    assert s.status is Status.SOLVED
    (r,) = s.routes
    assert _types(r) == ["start", "visit", "reload", "visit", "end"]
    reload = r.steps[2]
    assert reload.location == 0 and reload.service == 7 and reload.load == (0,) and reload.id is None
    assert [st.load for st in r.steps] == [(0,), (8,), (0,), (8,), (8,)]
    assert r.load == (16,)  # total collected, not the final load
    assert s.summary.load == (16,)
    # 0-1-0-2-0: 4 arcs of 1000 m; 40 s driving + 3 + 7 + 3 s of service/unloading
    assert r.distance == 4000 and r.cost == 4000 and recompute_cost(p, s) == s.summary.cost == 4000
    assert r.duration == 53 and r.service == 13


def test_without_reload_the_second_load_is_dropped():
    p = problem(D, [veh("v1", cap=(10,))], TWO_FULL)
    s = solve_checked(p)
    assert s.status is Status.INFEASIBLE
    assert len(served(s)) == 1 and len(s.unassigned) == 1
    assert all(st.type != "reload" for r in s.routes for st in r.steps)


def test_without_reload_a_second_van_is_needed():
    vehicles = [veh("v1", cap=(10,)), veh("v2", cap=(10,), fixed_cost=100)]
    s = solve_checked(problem(D, vehicles, TWO_FULL))
    assert s.status is Status.SOLVED and len(s.routes) == 2


def test_reload_only_when_needed():
    # Plenty of room: no detour to the depot.
    p = problem(D, [veh("v1", cap=(20,), reload_location=0, reload_service=7)], TWO_FULL)
    s = solve_checked(p)
    assert _types(s.routes[0]) == ["start", "visit", "visit", "end"]


@pytest.mark.parametrize("reload_service, one_van", [(4, True), (5, False)])
def test_reload_time_is_counted(reload_service, one_van):
    # One van: 0-1-0-2-0 takes 40 s driving + 3 + 3 s service = 46 s, plus the unloading time.
    # The cheap van's shift ends at 50: 4 s of unloading fits, 5 s does not and the dear van
    # must take one of the visits.
    vehicles = [
        veh("cheap", cap=(10,), shift=(0, 50), reload_location=0, reload_service=reload_service),
        veh("dear", cap=(10,), cost_per_km=10_000),
    ]
    s = solve_checked(problem(D, vehicles, TWO_FULL))
    assert s.status is Status.SOLVED
    if one_van:
        assert routes_by_vehicle(s) == {"cheap": ("a", "b")} or routes_by_vehicle(s) == {"cheap": ("b", "a")}
        assert s.routes[0].steps[-1].arrival == 46 + reload_service
    else:
        assert set(routes_by_vehicle(s)) == {"cheap", "dear"}


def test_reload_time_counted_against_max_work_time():
    vehicles = [veh("v1", cap=(10,), max_work_time=50, reload_location=0, reload_service=5)]
    s = solve_checked(problem(D, vehicles, TWO_FULL))
    assert s.status is Status.INFEASIBLE and len(served(s)) == 1


@pytest.mark.parametrize("max_reloads", [0, 1, 2])
def test_max_reloads_respected(max_reloads):
    visits = TWO_FULL + [vis("c", 3, demand=(8,), service=3)]
    p = problem(D, [veh("v1", cap=(10,), reload_location=0, max_reloads=max_reloads)], visits)
    s = solve_checked(p)
    (r,) = s.routes
    assert _types(r).count("reload") == max_reloads
    assert len(r.visit_ids) == max_reloads + 1
    assert (s.status is Status.SOLVED) == (max_reloads == 2)


def test_reload_with_other_van_and_break_and_window():
    # Windows and a break still hold around reloads.
    visits = [
        vis("a", 1, demand=(8,), service=3),
        vis("b", 2, demand=(8,), service=3, windows=[(30, 60)]),
        vis("c", 3, demand=(8,), service=3),
    ]
    vehicles = [
        veh("v1", cap=(10,), reload_location=0, reload_service=5, breaks=[("lunch", 20, 40, 10)]),
        veh("v2", cap=(10,), fixed_cost=10_000, reload_location=0),
    ]
    s = solve_checked(problem(D, vehicles, visits))
    assert s.status is Status.SOLVED
    assert set(routes_by_vehicle(s)) == {"v1"}
    assert _types(s.routes[0]).count("reload") == 2


def test_reload_at_a_location_other_than_the_depot():
    # The van starts and ends at 3 but unloads at 0 (the warehouse).
    vehicles = [veh("v1", cap=(10,), start=3, end=3, reload_location=0, reload_service=2)]
    s = solve_checked(problem(D, vehicles, TWO_FULL))
    (r,) = s.routes
    assert _types(r) == ["start", "visit", "reload", "visit", "end"]
    assert r.steps[2].location == 0


def test_unloading_on_the_way_home_is_kept_when_it_is_shorter():
    # From 1 or 2 the way home to 3 through the warehouse 0 (10 + 10 s) is shorter than the
    # direct road (25 s): the van unloads on its way home.
    d = [[0, 10, 10, 10], [10, 0, 5, 25], [10, 5, 0, 25], [10, 25, 25, 0]]
    vehicles = [veh("v1", cap=(10,), start=3, end=3, reload_location=0, reload_service=2)]
    s = solve_checked(problem(d, vehicles, TWO_FULL))
    assert _types(s.routes[0]) == ["start", "visit", "reload", "visit", "reload", "end"]


def test_determinism_with_reloads():
    visits = [vis(str(i), i % 3 + 1, demand=(4,), service=2) for i in range(6)]
    p = problem(D, [veh("v1", cap=(9,), reload_location=0, reload_service=3), veh("v2", cap=(9,), reload_location=0)], visits)
    opts = SolveOptions(time_limit_s=5.0, solution_limit=30)
    a, b = solve(p, opts), solve(p, opts)
    assert check(p, a) == []
    assert [(r.vehicle, r.steps) for r in a.routes] == [(r.vehicle, r.steps) for r in b.routes]


def test_validation():
    with pytest.raises(ProblemError, match="reload location"):
        problem(D, [veh("v1", reload_location=9)], TWO_FULL).validate()
    with pytest.raises(ProblemError, match="reload_service"):
        problem(D, [veh("v1", reload_location=0, reload_service=-1)], TWO_FULL).validate()
    with pytest.raises(ProblemError, match="max_reloads"):
        problem(D, [veh("v1", reload_location=0, max_reloads=-1)], TWO_FULL).validate()


# --- the checker catches planted violations ------------------------------------------------------


@pytest.fixture(scope="module")
def reloaded():
    p = problem(D, [veh("v1", cap=(10,), reload_location=0, reload_service=7)], TWO_FULL)
    s = solve_checked(p)
    assert _types(s.routes[0]) == ["start", "visit", "reload", "visit", "end"]
    return p, s


def _with_steps(s, steps):
    route = dataclasses.replace(s.routes[0], steps=tuple(steps))
    return dataclasses.replace(s, routes=(route,))


def _with_vehicle(p, **kw):
    return dataclasses.replace(p, vehicles=(dataclasses.replace(p.vehicles[0], **kw),))


def _has(errors, text, cause):
    """A violation of this ``cause`` whose detail says ``text``."""
    assert any(text in e.detail and e.cause == cause for e in errors), errors


def test_check_load_not_reset(reloaded):
    p, s = reloaded
    steps = list(s.routes[0].steps)
    steps[2] = dataclasses.replace(steps[2], load=(8,))
    _has(check(p, _with_steps(s, steps)), "the van is emptied", "inconsistent")


def test_check_reload_removed_exceeds_capacity(reloaded):
    p, s = reloaded
    steps = list(s.routes[0].steps)
    del steps[2]
    _has(check(p, _with_steps(s, steps)), "exceeds capacity", "capacity")


def test_check_reload_on_vehicle_without_reloading(reloaded):
    p, s = reloaded
    _has(check(_with_vehicle(p, reload_location=None), s), "has no reloading", "reload")


def test_check_too_many_reloads(reloaded):
    p, s = reloaded
    _has(check(_with_vehicle(p, max_reloads=0), s), "more than max_reloads", "reload")


def test_check_wrong_reload_location(reloaded):
    p, s = reloaded
    _has(check(_with_vehicle(p, reload_location=3), s), "the vehicle unloads at 3", "reload")


def test_check_reload_service_and_timing(reloaded):
    p, s = reloaded
    _has(check(_with_vehicle(p, reload_service=9), s), "must last 9", "reload")
    steps = list(s.routes[0].steps)
    steps[2] = dataclasses.replace(steps[2], arrival=steps[2].arrival - 1)
    _has(check(p, _with_steps(s, steps)), "cannot arrive before", "timing")


def test_check_total_collected(reloaded):
    p, s = reloaded
    bad = dataclasses.replace(s, routes=(dataclasses.replace(s.routes[0], load=(8,)),))
    _has(check(p, bad), "total collected", "inconsistent")


# --- random problems with reloading ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_random_problem_with_reloads_passes_checker(seed):
    from test_solver_random import rnd_problem

    rng = random.Random(1000 + seed)
    p = rnd_problem(random.Random(seed))
    vehicles = tuple(
        dataclasses.replace(
            v,
            capacity=(rng.randint(8, 12),),
            reload_location=rng.choice([v.start, v.end, rng.randrange(p.n_locations), None]),
            reload_service=rng.randint(0, 10),
            max_reloads=rng.randint(0, 3),
        )
        for v in p.vehicles
    )
    p = dataclasses.replace(p, vehicles=vehicles)
    p.validate()
    s = solve(p, SolveOptions(time_limit_s=1.0, solution_limit=30))
    assert check(p, s) == []
    ids = [vid for r in s.routes for vid in r.visit_ids]
    assert sorted(ids + [u.id for u in s.unassigned]) == sorted(v.id for v in p.visits)


def paris_day(seed: int = 1, n: int = 40, total: int = 120_000):
    """A realistic day: n visits around a central depot (10 km square, ~20 km/h), ~``total`` litres
    to collect, vans of 20/20/12/12 m³ unloading at the depot (15 min), shift 8:00-16:00 with a
    45 min break in 11:30-13:30."""
    from solver import Break, Problem, TimeWindow, Vehicle, Visit

    rng = random.Random(seed)
    pts = [(5000, 5000)] + [(rng.randint(0, 10_000), rng.randint(0, 10_000)) for _ in range(n)]
    dist = tuple(tuple(int(1.3 * ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5) for b in pts) for a in pts)
    dur = tuple(tuple(int(d / 5.5) + (60 if d else 0) for d in row) for row in dist)
    raw = [rng.uniform(0.3, 1.7) for _ in range(n)]
    demand = [int(r * total / sum(raw)) for r in raw]
    lunch = (Break("lunch", TimeWindow(11 * 3600 + 1800, 13 * 3600 + 1800), 2700),)
    vehicles = tuple(
        Vehicle(f"v{i}", 0, 0, (c,), TimeWindow(8 * 3600, 16 * 3600), breaks=lunch, reload_location=0, reload_service=900)
        for i, c in enumerate([20_000, 20_000, 12_000, 12_000])
    )
    visits = tuple(Visit(f"x{i}", i + 1, (demand[i],), service=rng.choice([300, 600, 900])) for i in range(n))
    return Problem(dur, dist, vehicles, visits)


def test_paris_day_needs_and_gets_reloads():
    # ~120 m³ with 64 m³ of vans: infeasible in one trip each; with reloads every visit is served.
    p = paris_day()
    s = solve(p, SolveOptions(time_limit_s=10.0, solution_limit=50))
    assert check(p, s) == []
    assert s.status is Status.SOLVED and len(served(s)) == 40
    # 64 m³ per round + 20 m³ per extra trip at best: at least 3 unloading trips.
    assert sum(st.type == "reload" for r in s.routes for st in r.steps) >= 3
    single = dataclasses.replace(p, vehicles=tuple(dataclasses.replace(v, reload_location=None) for v in p.vehicles))
    s1 = solve(single, SolveOptions(time_limit_s=10.0, solution_limit=50))
    assert check(single, s1) == [] and s1.status is Status.INFEASIBLE
