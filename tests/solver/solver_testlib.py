"""Helpers shared by the solver tests (not a conftest, to avoid clashing with other test dirs)."""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from solver import (  # noqa: E402
    Break,
    Problem,
    SolveOptions,
    TimeWindow,
    Vehicle,
    Visit,
    check,
    solve,
)

# Small searches: a time cap plus a solution cap keeps each solve well under a second or two.
OPTS = SolveOptions(time_limit_s=1.0, solution_limit=200)

# Two clusters around depot 0: {1, 2} and {3, 4}; 10 s from the depot, 5 s inside a
# cluster, 25 s across clusters. Distances are durations x 100 metres.
TWO_CLUSTERS = (
    (0, 10, 10, 10, 10),
    (10, 0, 5, 25, 25),
    (10, 5, 0, 25, 25),
    (10, 25, 25, 0, 5),
    (10, 25, 25, 5, 0),
)


def metres(durations, factor: int = 100):
    return tuple(tuple(x * factor for x in row) for row in durations)


def tw(*pairs):
    return tuple(TimeWindow(a, b) for a, b in pairs)


def veh(id: str, cap=(100,), shift=(0, 10_000), start: int = 0, end: int = 0, breaks=(), **kw) -> Vehicle:
    return Vehicle(
        id=id,
        start=start,
        end=end,
        capacity=tuple(cap),
        shift=TimeWindow(*shift),
        breaks=tuple(Break(b[0], TimeWindow(b[1], b[2]), b[3]) for b in breaks),
        **kw,
    )


def vis(id: str, loc: int, demand=(1,), windows=(), **kw) -> Visit:
    return Visit(id=id, location=loc, demand=tuple(demand), windows=tw(*windows), **kw)


def problem(durations, vehicles, visits, distances=None, **kw) -> Problem:
    durations = tuple(tuple(r) for r in durations)
    if distances is None:
        distances = metres(durations)
    return Problem(
        durations=durations,
        distances=tuple(tuple(r) for r in distances),
        vehicles=tuple(vehicles),
        visits=tuple(visits),
        **kw,
    )


def solve_checked(p: Problem, options: SolveOptions = OPTS):
    s = solve(p, options)
    assert check(p, s) == []
    return s


def routes_by_vehicle(solution) -> dict[str, tuple[str, ...]]:
    return {r.vehicle: r.visit_ids for r in solution.routes}


def served(solution) -> set[str]:
    return {vid for r in solution.routes for vid in r.visit_ids}


def unassigned_reasons(solution) -> dict[str, str]:
    return {u.id: u.reason.value for u in solution.unassigned}
