"""The Python ruin-and-recreate on the real day's model: lunch breaks, unloading trips, two
windows per visit, optional visits with penalties, locked sequences and mid-day starts.

Three things are shown: such a day takes the fast search (on the old code it fell back to the
OR-Tools repair); the route labels of ``solver/routestate.py`` agree with a brute-force timing
that follows ``check.py``'s rules; and the plans the search returns pass ``check.py``."""

from __future__ import annotations

import random

import pytest
from solver_testlib import ROOT  # noqa: F401  (puts the repo on sys.path)

from solver import (
    Break,
    Problem,
    SolveOptions,
    TimeWindow,
    Vehicle,
    Visit,
    check,
    insertion,
    ruin_recreate,
    solve,
)
from solver.routestate import INF


def day_problem(rng: random.Random, n_vis: int = 30, n_veh: int = 3, locked: bool = False,
                midday: bool = False) -> Problem:
    """A small day shaped like ``dispatch.planning.day.build_day``'s: one depot (location 0), vans of
    mixed capacity that unload there, a lunch break each, shops with two windows, optional relay
    points with penalties, home pickups with a slot."""
    n = n_vis + 1
    pts = [(50, 50)] + [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(n_vis)]
    dur = tuple(tuple(int(6 * ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5) for b in pts) for a in pts)
    dist = tuple(tuple(x * 8 for x in row) for row in dur)
    shift = (8 * 3600, 16 * 3600)
    vehicles = []
    for k in range(n_veh):
        cap = rng.choice([400, 600, 1000])
        vehicles.append(Vehicle(
            f"van{k}", rng.randrange(n) if midday and k == 0 else 0, 0, (cap,),
            TimeWindow(shift[0] + (3 * 3600 if midday and k == 0 else 0), shift[1]),
            breaks=(Break("lunch", TimeWindow(12 * 3600, 13 * 3600 + 1800), 1800 + 900 * rng.randint(0, 1)),),
            reload_location=0, reload_service=600, max_reloads=rng.randint(1, 3),
            start_load=(rng.randint(0, cap // 2),) if midday and k == 0 else (),
        ))
    visits = []
    for i in range(n_vis):
        kind = rng.random()
        if kind < 0.3:  # a shop: morning and afternoon
            wins = (TimeWindow(9 * 3600, 12 * 3600), TimeWindow(14 * 3600, 17 * 3600))
            pen = None
        elif kind < 0.6:  # a relay point: optional, worth a detour
            wins = ()
            pen = rng.choice([None, 20_000, 60_000])
        else:  # a home pickup with a two-hour slot
            a = rng.choice([8, 10, 12, 14]) * 3600
            wins = (TimeWindow(a, a + 7200),)
            pen = None
        visits.append(Visit(f"x{i}", i + 1, (rng.randint(20, 250),), service=rng.choice([300, 600, 900]),
                            windows=wins, penalty=pen))
    seqs = ()
    if locked:
        seqs = (("van1", ("x0", "x1")),)
        visits[0] = Visit("x0", 1, (10,), service=300)
        visits[1] = Visit("x1", 2, (10,), service=300)
    return Problem(dur, dist, tuple(vehicles), tuple(visits), locked_sequences=seqs)


def _spy(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = ruin_recreate.search

    def spy(*args, **kw):
        out = real(*args, **kw)
        calls.append(out[2])  # iterations
        return out

    monkeypatch.setattr(ruin_recreate, "search", spy)
    return calls


def test_a_day_with_breaks_and_reloads_takes_the_fast_search(monkeypatch):
    calls = _spy(monkeypatch)
    p = day_problem(random.Random(1))
    s = solve(p, SolveOptions(time_limit_s=2.0, seed=1))
    assert check(p, s) == []
    assert calls and calls[0] > 0, "the Python ruin-and-recreate did not run"


@pytest.mark.parametrize("seed", range(8))
def test_fast_search_plans_pass_the_checker_on_real_days(seed, monkeypatch):
    calls = _spy(monkeypatch)
    rng = random.Random(100 + seed)
    p = day_problem(rng, n_vis=rng.randint(12, 40), n_veh=rng.randint(1, 4), locked=seed % 3 == 1,
                    midday=seed % 3 == 2)
    s = solve(p, SolveOptions(time_limit_s=1.0, seed=seed))
    assert check(p, s) == []
    served = [vid for r in s.routes for vid in r.visit_ids]
    assert sorted(served + [u.id for u in s.unassigned]) == sorted(v.id for v in p.visits)
    assert calls, "the Python ruin-and-recreate did not run"
    if p.locked_sequences and {"x0", "x1"} <= set(served):
        route = next(r for r in s.routes if "x0" in r.visit_ids)
        assert route.vehicle == "van1" and route.visit_ids.index("x0") < route.visit_ids.index("x1")


# --- the labels against a brute-force timing ---------------------------------------------------------------


def _brute_force(ctx: insertion.Context, k: int, nodes: list[int]) -> bool:
    """``check.py``'s rules, by enumeration: the break (if any) in each leg in turn, earliest times."""
    seq = [ctx.starts[k], *nodes, ctx.ends[k]]
    load, room = [0], ctx.room[k][0]
    for u in nodes:
        if ctx.is_reload[u]:
            load, room = [0], ctx.cap[k][0]
        else:
            load[0] += ctx.demand[u][0]
            if load[0] > room:
                return False
    s0, s1 = ctx.shift[k]
    legs = range(len(seq) - 1) if ctx.brk[k] is not None and nodes else [None]
    for leg in legs:
        t, ok = s0, True
        for j in range(1, len(seq)):
            a, b = seq[j - 1], seq[j]
            arrival = t + ctx.time[a][b]
            if j - 1 == leg:
                ws, we, d = ctx.brk[k]
                bs = max(t + ctx.service[a], ws)
                if bs > we:
                    ok = False
                    break
                arrival = max(arrival + d, bs + d)
            if j == len(seq) - 1:
                ok = ok and arrival <= s1
                break
            t = next((max(arrival, lo) for lo, hi in ctx.wins[b] if arrival <= hi), None)
            if t is None:
                ok = False
                break
        if ok:
            return True
    return False


def _tiny_context(rng: random.Random) -> insertion.Context:
    n_vis = 6
    n = n_vis + 3  # node 6: depot, nodes 7, 8: reload nodes of vehicle 0
    pts = [(rng.randint(0, 30), rng.randint(0, 30)) for _ in range(n_vis + 1)]
    pts += [pts[n_vis], pts[n_vis]]
    service = [rng.randint(0, 8) for _ in range(n_vis)] + [0, 5, 5]
    d = [[int(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5) for b in pts] for a in pts]
    wins = []
    for _ in range(n_vis):
        a = rng.randint(0, 80)
        w = ((a, a + rng.randint(0, 30)),)
        if rng.random() < 0.5:
            w += ((a + 60, a + 60 + rng.randint(0, 30)),)
        wins.append(w if rng.random() < 0.7 else ((0, 400),))
    return insertion.Context(
        visit_idx=list(range(n_vis)), time=[[service[a] + d[a][b] for b in range(n)] for a in range(n)],
        lo=[w[0][0] for w in wins], hi=[w[-1][1] for w in wins], demand=[(rng.randint(0, 5),) for _ in range(n_vis)],
        allowed=[frozenset({0})] * n_vis, starts=[n_vis], ends=[n_vis], shift=[(0, rng.randint(120, 250))],
        room=[(rng.randint(5, 12),)], fixed=[0], cost=[d], dist_from_start=[0] * n_vis,
        wins=wins + [((0, 400),)] * 3, service=service,
        brk=[(rng.randint(20, 80), rng.randint(80, 140), rng.randint(0, 30)) if rng.random() < 0.8 else None],
        cap=[(12,)], reloads=[[7, 8]],
    )


@pytest.mark.parametrize("seed", range(60))
def test_route_labels_agree_with_brute_force(seed):
    rng = random.Random(seed)
    ctx = _tiny_context(rng)
    for _ in range(40):
        nodes = rng.sample(range(6), rng.randint(0, 5))
        if rng.random() < 0.5 and nodes:
            nodes.insert(rng.randint(1, len(nodes)), 7)
        st = insertion._state(ctx, 0, nodes)
        assert st.ok == _brute_force(ctx, 0, nodes), nodes
        if not st.ok:
            continue
        # every single insertion the labels accept or refuse, against the brute force on the whole route
        for u in set(range(6)) - set(nodes):
            for p in range(len(nodes) + 1):
                cand = nodes[:p] + [u] + nodes[p:]
                by_labels = st.fits_time(ctx, p, [u])
                by_force = _brute_force(ctx, 0, cand) or not _load_ok(ctx, cand)
                if _load_ok(ctx, cand):
                    assert by_labels == by_force, (nodes, u, p)


def _load_ok(ctx, nodes) -> bool:
    load, room = 0, ctx.room[0][0]
    for u in nodes:
        if ctx.is_reload[u]:
            load, room = 0, ctx.cap[0][0]
        else:
            load += ctx.demand[u][0]
            if load > room:
                return False
    return True


def test_labels_of_an_impossible_break_make_the_route_infeasible():
    ctx = _tiny_context(random.Random(5))
    ctx.brk[0] = (0, 0, 10)  # must start at 0, but the route leaves its depot later than that...
    ctx.shift[0] = (5, 400)
    ctx.cache.clear()
    assert not insertion._state(ctx, 0, [0]).ok
    assert insertion._state(ctx, 0, []).ok  # ... an unused van takes no break
    assert INF > 10**12


def test_two_workers_on_a_real_day_give_a_checked_plan():
    """The portfolio (``Settings.solve_workers`` = 2 on a two-core machine) on a day with breaks and
    unloading trips: both members run the fast search; the plan kept passes the checker."""
    p = day_problem(random.Random(7), n_vis=25, n_veh=3)
    s = solve(p, SolveOptions(time_limit_s=3.0, seed=2, workers=2))
    assert check(p, s) == []
    served = [vid for r in s.routes for vid in r.visit_ids]
    assert sorted(served + [u.id for u in s.unassigned]) == sorted(v.id for v in p.visits)


@pytest.mark.parametrize("seed", range(10))
def test_search_builds_a_plan_from_nothing(seed):
    """With no first solution (OR-Tools' construction out of time), the search starts from the empty
    plan and inserts every visit it can, mandatory ones first: a feasible plan serving visits (before,
    it returned the empty plan unchanged)."""
    import time

    ctx = _tiny_context(random.Random(seed))
    ctx.shift[0] = (0, 400)
    ctx.brk[0] = None
    ctx.cache.clear()
    big = 10**12
    penalty = [big] * 6
    near = [sorted(range(6), key=lambda j, u=u: ctx.cost[0][u][j]) for u in range(6)]
    routes, cost, _ = ruin_recreate.search(ctx, [[]], penalty, near, random.Random(seed), time.time() + 0.2,
                                       polish=lambda routes, limit=None: None)
    served = [u for u in routes[0] if u < 6]
    assert served and insertion.feasible(ctx, 0, routes[0])
    assert cost == insertion._state(ctx, 0, routes[0]).cost + big * (6 - len(served))
