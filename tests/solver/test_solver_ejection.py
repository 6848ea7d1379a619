"""Room made on purpose for a mandatory visit the search left out (``solver/ejection.py``).

A two-person pickup (only van 0 may serve it) shares its slot with another mandatory pickup already on
van 0; van 1 is dearer to open. Inserting the left-out visit fails everywhere, and so may the search's
start from scratch, depending on the order it inserts in: before, the plan came back with a mandatory
visit left out unless random iterations happened to move the other pickup. Now the other pickup is
moved to van 1 and the two-person one served, from the first plan on."""

from __future__ import annotations

import random
import time

import pytest
from solver_testlib import ROOT  # noqa: F401  (puts the repo on sys.path)

from solver import ejection, insertion, ruin_recreate

MUST = 10**12
U, W, O1, O2, DEPOT = 0, 1, 2, 3, 4


def _context() -> insertion.Context:
    n = 5
    d = [[0 if a == b else 5 for b in range(n)] for a in range(n)]
    service = [30, 30, 10, 10, 0]
    wins = [((40, 50),), ((40, 50),), ((0, 200),), ((0, 200),), ((0, 400),)]
    return insertion.Context(
        visit_idx=[0, 1, 2, 3], time=[[service[a] + d[a][b] for b in range(n)] for a in range(n)],
        lo=[w[0][0] for w in wins[:4]], hi=[w[-1][1] for w in wins[:4]],
        demand=[(1,), (3,), (1,), (1,)], allowed=[frozenset({0}), frozenset({0, 1}), frozenset({0, 1}),
                                                 frozenset({0, 1})],
        starts=[DEPOT, DEPOT], ends=[DEPOT, DEPOT], shift=[(0, 200), (0, 200)], room=[(10,), (10,)],
        fixed=[0, 1000], cost=[d, d], dist_from_start=[1, 9, 1, 1], wins=wins, service=service,
        pen=[float("inf"), float("inf"), 50.0, 50.0],
    )


PENALTY = [MUST, MUST, 50, 50]


def test_make_room_moves_the_visit_in_the_way_to_another_van():
    ctx = _context()
    routes = [[W, O1, O2], []]
    assert insertion.insert_into(ctx, 0, routes[0], U) is None  # no room for it as things are
    found = ejection.make_room(ctx, routes, U, PENALTY, random.Random(0))
    assert found is not None
    assert U in found[0] and W in found[1]
    assert all(insertion.feasible(ctx, k, r) for k, r in enumerate(found))
    assert insertion.plan_cost(ctx, found, PENALTY) < MUST  # every visit served, the optional ones too


def test_no_room_is_made_at_a_higher_cost():
    ctx = _context()
    ctx.allowed[W] = frozenset({0})  # the other pickup cannot move: no plan serves both
    ctx.cache.clear()
    assert ejection.make_room(ctx, [[W, O1, O2], []], U, PENALTY, random.Random(0)) is None


@pytest.mark.parametrize("seed", range(12))
def test_the_search_serves_every_mandatory_visit_from_its_first_plan(seed):
    ctx = _context()
    near = [sorted(range(4), key=lambda j, u=u: ctx.cost[0][u][j]) for u in range(4)]
    routes, cost, _ = ruin_recreate.search(ctx, [[W, O1, O2], []], PENALTY, near, random.Random(seed), time.time(),
                                           polish=lambda routes, limit=None: None)
    served = {u for r in routes for u in r}
    assert {U, W} <= served, routes
    assert cost < MUST and all(insertion.feasible(ctx, k, r) for k, r in enumerate(routes))


@pytest.mark.parametrize("seed", range(4))
def test_locked_visits_a_first_solution_left_out_go_into_their_van_in_order(seed):
    """No first solution (OR-Tools out of time on a busy machine): the search starts from empty routes and never
    moves a locked visit itself, so before, a coordinator's locked stops came back unserved."""
    ctx = _context()
    ctx.allowed[O1] = ctx.allowed[O2] = frozenset({1})
    ctx.frozen = frozenset({O1, O2})
    ctx.locks = [(1, [O2, O1])]  # the coordinator's order: O2, then O1
    near = [sorted(range(4), key=lambda j, u=u: ctx.cost[0][u][j]) for u in range(4)]
    routes, cost, _ = ruin_recreate.search(ctx, [[], []], PENALTY, near, random.Random(seed), time.time(),
                                           polish=lambda routes, limit=None: None)
    assert routes[1].index(O2) < routes[1].index(O1), routes
    assert {U, W} <= {u for r in routes for u in r} and cost < MUST


def test_no_ejection_chain_is_searched_while_a_plain_ejection_makes_room(monkeypatch):
    """U may go on either van. On van 0 the pickup in its slot (W) can go nowhere else; on van 1 an optional
    visit in its slot (O) can simply be dropped. Before, room on van 0 was looked for with a chain (room made
    in turn for W, a search per route and set), even though van 1 needed none: on the 300-visit day, making
    room for two to four pickups took 5 to 7 of the 10 seconds of the plan."""
    u, w, o, x, depot = 0, 1, 2, 3, 4
    n = 5
    d = [[0 if a == b else 5 for b in range(n)] for a in range(n)]
    service = [30, 30, 30, 10, 0]
    wins = [((40, 50),), ((40, 50),), ((40, 50),), ((0, 200),), ((0, 400),)]
    ctx = insertion.Context(
        visit_idx=[0, 1, 2, 3], time=[[service[a] + d[a][b] for b in range(n)] for a in range(n)],
        lo=[w_[0][0] for w_ in wins[:4]], hi=[w_[-1][1] for w_ in wins[:4]], demand=[(1,)] * 4,
        allowed=[frozenset({0, 1}), frozenset({0}), frozenset({1}), frozenset({1})],
        starts=[depot, depot], ends=[depot, depot], shift=[(0, 200), (0, 200)], room=[(10,), (10,)],
        fixed=[0, 0], cost=[d, d], dist_from_start=[1] * 4, wins=wins, service=service,
        pen=[float("inf"), float("inf"), 50.0, float("inf")],
    )
    penalty = [MUST, MUST, 50, MUST]
    calls = []
    make_room = ejection.make_room

    def counted(*args, **kwargs):
        calls.append(args[2])
        return make_room(*args, **kwargs)

    monkeypatch.setattr(ejection, "make_room", counted)
    found = ejection.make_room(ctx, [[w], [x, o]], u, penalty, random.Random(0))
    assert found is not None and u in found[1] and w in found[0], found
    assert calls == [u]  # room made for U alone: never for W in turn

