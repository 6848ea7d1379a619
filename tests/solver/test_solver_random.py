"""Seeded random small problems (windows, breaks, skills, locks, sequences, optional visits,
different depots): whatever the solver returns must pass the independent checker."""

from __future__ import annotations

import random

import pytest
from solver_testlib import ROOT  # noqa: F401  (puts the repo on sys.path)

from solver import Break, Problem, SolveOptions, TimeWindow, Vehicle, Visit, check, solve

def rnd_problem(rng):
    n = rng.randint(3, 9)
    pts = [(rng.randint(0, 50), rng.randint(0, 50)) for _ in range(n)]
    dur = tuple(tuple(int(((a[0]-b[0])**2+(a[1]-b[1])**2)**0.5) for b in pts) for a in pts)
    dist = tuple(tuple(x * rng.choice([10, 10, 13]) for x in r) for r in dur)
    vehicles = []
    for k in range(rng.randint(1, 3)):
        s0 = rng.choice([0, 0, 20])
        brks = ()
        if rng.random() < 0.6:
            ws = rng.randint(20, 120)
            brks = (Break("lunch", TimeWindow(ws, ws + rng.randint(0, 40)), rng.randint(0, 30)),)
            if rng.random() < 0.3:
                brks += (Break("tea", TimeWindow(ws + 80, ws + 150), 10),)
        vehicles.append(Vehicle(f"v{k}", rng.randrange(n), rng.randrange(n), (rng.randint(5, 20),),
            TimeWindow(s0, rng.randint(150, 400)), breaks=brks,
            skills=frozenset(rng.sample(["a", "b"], rng.randint(0, 2))),
            fixed_cost=rng.choice([0, 100]), cost_per_km=rng.choice([1000, 500]), cost_per_hour=rng.choice([0, 3600]),
            max_work_time=rng.choice([None, None, 150])))
    visits = []
    for i in range(rng.randint(1, 8)):
        wins = ()
        r = rng.random()
        if r < 0.3:
            a = rng.randint(0, 200)
            wins = (TimeWindow(a, a + rng.randint(0, 60)),)
        elif r < 0.5:
            a = rng.randint(0, 100)
            b = a + rng.randint(0, 30)
            c = b + rng.randint(1, 80)
            wins = (TimeWindow(a, b), TimeWindow(c, c + rng.randint(0, 50)))
        visits.append(Visit(f"x{i}", rng.randrange(n), (rng.randint(0, 8),), service=rng.randint(0, 15), windows=wins,
            skills=frozenset(rng.sample(["a", "b"], rng.randint(0, 1))) if rng.random() < 0.3 else frozenset(),
            penalty=rng.choice([None, None, 50, 5000]), vehicle=rng.choice([None]*5 + [vehicles[0].id])))
    seqs = ()
    if rng.random() < 0.3 and len(visits) >= 2:
        ids = [v.id for v in visits if v.vehicle is None][:2]
        if len(ids) == 2:
            seqs = ((vehicles[-1].id, tuple(ids)),)
    return Problem(dur, dist, tuple(vehicles), tuple(visits), seqs)


@pytest.mark.parametrize("seed", range(40))
def test_random_problem_passes_checker(seed):
    p = rnd_problem(random.Random(seed))
    p.validate()
    s = solve(p, SolveOptions(time_limit_s=1.0, solution_limit=30))
    assert check(p, s) == []
    # every visit is accounted for exactly once
    served = [vid for r in s.routes for vid in r.visit_ids]
    assert sorted(served + [u.id for u in s.unassigned]) == sorted(v.id for v in p.visits)
