"""Warm start (``SolveOptions.initial_routes``): the search begins from a given plan, so the result
is never worse than it; an infeasible plan is ignored; ids that do not exist are refused."""

from __future__ import annotations

import dataclasses
import random
import re

import pytest
from solver_testlib import ROOT  # noqa: F401  (puts the repo on sys.path)

from solver import ProblemError, SolveOptions, check, solve


def _problem(seed: int):
    """40 visits on a 100 x 100 square, 6 vans of capacity 20 (demands 1-3), depot in the middle."""
    from solver_testlib import problem, veh, vis

    rng = random.Random(seed)
    pts = [(50, 50)] + [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(40)]
    d = tuple(tuple(int(((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5) for bx, by in pts) for ax, ay in pts)
    vehicles = [veh(f"van{k}", cap=(20,)) for k in range(6)]
    visits = [vis(f"v{i}", i, demand=(rng.randint(1, 3),)) for i in range(1, len(pts))]
    return problem(d, vehicles, visits)


def _plan(solution) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
    return tuple((r.vehicle, r.plan_ids) for r in solution.routes)


def _first_and_better(seed: int):
    """The first solution of the plain search and a better plan found by searching longer."""
    p = _problem(seed)
    first = solve(p, SolveOptions(time_limit_s=5.0, solution_limit=1))
    better = solve(p, SolveOptions(time_limit_s=5.0, solution_limit=100))
    assert check(p, first) == [] and check(p, better) == []
    return p, first, better


@pytest.mark.parametrize("seed", [3, 7])
def test_the_search_starts_from_the_given_plan(seed):
    p, first, better = _first_and_better(seed)
    # the premise: on these problems the first solution is not the better plan
    assert better.summary.cost < first.summary.cost
    warm = solve(p, SolveOptions(time_limit_s=5.0, solution_limit=1, initial_routes=_plan(better)))
    assert check(p, warm) == []
    assert warm.summary.cost <= better.summary.cost
    assert len(warm.unassigned) <= len(better.unassigned)


def test_a_time_limited_search_from_the_plan_is_valid_and_no_worse():
    # (ruin-and-recreate starts from the plan: the search mode used outside tests)
    p, first, better = _first_and_better(3)
    warm = solve(p, SolveOptions(time_limit_s=0.5, initial_routes=_plan(better)))
    assert check(p, warm) == []
    assert warm.summary.cost <= better.summary.cost


def _unloading(seed: int):
    """The same visits for two vans that must go back to unload (capacity 20 for ~80 of demand)."""
    p = _problem(seed)
    vans = tuple(dataclasses.replace(v, reload_location=0, reload_service=5, max_reloads=4) for v in p.vehicles[:2])
    return dataclasses.replace(p, vehicles=vans)


def test_a_plan_with_unloading_stops_is_a_starting_plan_too():
    p = _unloading(3)
    first = solve(p, SolveOptions(time_limit_s=5.0, solution_limit=1))
    better = solve(p, SolveOptions(time_limit_s=5.0, solution_limit=100))
    assert check(p, better) == [] and better.summary.cost < first.summary.cost
    plan = _plan(better)
    assert any(x is None for _, seq in plan for x in seq)  # the plan unloads
    warm = solve(p, SolveOptions(time_limit_s=5.0, solution_limit=1, initial_routes=plan))
    assert check(p, warm) == []
    assert warm.summary.cost <= better.summary.cost
    # more unloading stops than a van may make: not a plan of this problem, the search starts afresh
    van, seq = plan[0]
    too_many = ((van, seq + (None,) * 5),) + plan[1:]
    afresh = solve(p, SolveOptions(time_limit_s=5.0, solution_limit=1, initial_routes=too_many))
    assert check(p, afresh) == [] and afresh.summary.cost == first.summary.cost


def test_an_infeasible_plan_is_ignored():
    p, first, _ = _first_and_better(3)
    # every visit on one vehicle: far beyond its capacity / shift
    crammed = ((p.vehicles[0].id, tuple(v.id for v in p.visits)),)
    s = solve(p, SolveOptions(time_limit_s=5.0, solution_limit=1, initial_routes=crammed))
    assert check(p, s) == []
    assert s.summary.cost == first.summary.cost  # the search started from scratch, as without a plan
    served = [vid for r in s.routes for vid in r.visit_ids]
    assert sorted(served + [u.id for u in s.unassigned]) == sorted(v.id for v in p.visits)


@pytest.mark.parametrize(
    "plan, message",
    [
        ((("nobody", ()),), "vehicle 'nobody' is not in the problem"),
        ((("{v0}", ("ghost",)),), "visit 'ghost' (vehicle '{v0}') is not in the problem"),
        ((("{v0}", ("{x0}",)), ("{v0}", ())), "vehicle '{v0}' is listed twice"),
        ((("{v0}", ("{x0}", "{x0}")),), "visit '{x0}' is in more than one place"),
    ],
)
def test_unknown_or_repeated_ids_are_refused(plan, message):
    p = _problem(3)
    names = {"v0": p.vehicles[0].id, "x0": p.visits[0].id}
    plan = tuple((vid.format(**names), tuple(x.format(**names) for x in seq)) for vid, seq in plan)
    with pytest.raises(ProblemError, match=re.escape(message.format(**names))):
        solve(p, SolveOptions(time_limit_s=1.0, solution_limit=1, initial_routes=plan))
