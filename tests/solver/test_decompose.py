"""Decomposition of large problems (solver/decompose.py): feasible, complete, deterministic."""

from __future__ import annotations

import math
import random

import pytest

import solver
from solver.decompose import solve_decomposed, solve_large

DEPOTS = ((48.89, 2.37), (48.83, 2.30))


def _instance(n: int = 300, vans: int = 16, seed: int = 3):
    rng = random.Random(seed)
    coords = list(DEPOTS) + [(rng.uniform(48.815, 48.90), rng.uniform(2.25, 2.42)) for _ in range(n)]

    def metres(a, b):
        x = (a[1] - b[1]) * math.cos(math.radians(48.86)) * 111_000
        y = (a[0] - b[0]) * 111_000
        return int(1.3 * math.hypot(x, y))

    dist = tuple(tuple(metres(a, b) for b in coords) for a in coords)
    dur = tuple(tuple(d // 6 for d in row) for row in dist)
    vehicles = tuple(
        solver.Vehicle(id=f"van{k}", start=k % 2, end=k % 2, capacity=(9_000,),
                       shift=solver.TimeWindow(8 * 3600, 17 * 3600))
        for k in range(vans)
    )
    visits = tuple(
        solver.Visit(
            id=f"v{i}", location=2 + i, demand=(rng.randint(100, 800),), service=240,
            windows=(solver.TimeWindow(8 * 3600, 12 * 3600),) if i % 7 == 0 else (),
            penalty=None if i % 3 == 0 else 20_000,
        )
        for i in range(n)
    )
    return solver.Problem(dur, dist, vehicles, visits), tuple(coords)


OPTIONS = solver.SolveOptions(time_limit_s=120, solution_limit=8)


@pytest.mark.parametrize("with_coordinates", [True, False], ids=["sectors", "k-medoids"])
def test_a_decomposed_solution_is_feasible_and_accounts_for_every_visit(with_coordinates):
    problem, coords = _instance()
    solution = solve_large(problem, OPTIONS, coordinates=coords if with_coordinates else None, cluster_size=60)
    assert solver.check(problem, solution) == []
    served = [vid for r in solution.routes for vid in r.visit_ids]
    left = [u.id for u in solution.unassigned]
    assert len(served) == len(set(served))
    assert sorted(served + left) == sorted(v.id for v in problem.visits)
    assert all(u.reason and u.detail for u in solution.unassigned)
    assert solution.summary.cost == solver.recompute_cost(problem, solution)
    # vans stay at their own depot, and several clusters were really used
    starts = {v.id: v.start for v in problem.vehicles}
    assert all(r.steps[0].location == r.steps[-1].location == starts[r.vehicle] for r in solution.routes)
    assert solution.summary.routes >= 6
    # a mandatory visit is only left out when the whole problem has no room: here there is
    assert solution.status is solver.Status.SOLVED


def test_decomposition_is_deterministic_for_a_solution_limit_with_or_without_workers():
    problem, coords = _instance(n=240, vans=12, seed=5)
    one = solve_large(problem, OPTIONS, coordinates=coords, cluster_size=50, workers=1)
    two = solve_large(problem, OPTIONS, coordinates=coords, cluster_size=50, workers=2)
    assert one.routes == two.routes and one.unassigned == two.unassigned
    assert one.summary.cost == two.summary.cost


def test_the_matrix_provider_path_never_asks_for_the_full_matrix():
    problem, coords = _instance(n=200, vans=10, seed=7)
    asked: list[int] = []

    def provider(locs):
        asked.append(len(locs))
        return ([[problem.durations[a][b] for b in locs] for a in locs],
                [[problem.distances[a][b] for b in locs] for a in locs])

    solution = solve_decomposed(problem.vehicles, problem.visits, provider, OPTIONS, coordinates=coords,
                                cluster_size=40)
    assert solver.check(problem, solution) == []
    assert asked and max(asked) < problem.n_locations // 2
    with pytest.raises(ValueError, match="coordinates"):
        solve_decomposed(problem.vehicles, problem.visits, provider, OPTIONS)


def test_border_repair_never_makes_the_plan_worse():
    problem, coords = _instance(n=200, vans=10, seed=11)
    plain = solve_large(problem, OPTIONS, coordinates=coords, cluster_size=40, repair=False)
    repaired = solve_large(problem, OPTIONS, coordinates=coords, cluster_size=40)
    assert solver.check(problem, repaired) == []
    missing = lambda s: sum(1 for u in s.unassigned if problem.visits[int(u.id[1:])].penalty is None)  # noqa: E731
    assert (missing(repaired), repaired.summary.cost) <= (missing(plain), plain.summary.cost)
