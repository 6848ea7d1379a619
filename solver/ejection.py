"""Room for a mandatory visit the search left out, made on purpose (no OR-Tools).

The ruin-and-recreate loop (``ruin_recreate.py``) puts mandatory visits back first, but only where they
fit; on a full day a visit that only some vans may serve (two people, a tail lift) or only in a busy
slot can stay out for the whole run, the search removing neighbours by distance, not the ones in its
way. :func:`serve_mandatory` takes each mandatory visit left out and :func:`make_room` for it: in every
route allowed to serve it, the visits served nearest to its window in time are
taken out one more at a time until it fits (optional visits alone first, then any); the visits taken out
are then put back wherever they fit (``insertion.recreate``, mandatory ones first). Only when that makes room
in no route does a mandatory one that finds no place get room made for it in turn, once (an ejection chain of
depth 2 that never moves the first visit again): a chain costs a search per route and set, and trying it
first took most of a 10 s plan on a 300-visit day. The change is kept only if the whole plan's cost
(route costs plus the penalties of what is left out, so a mandatory visit served outweighs any optional
one dropped) goes down; the cheapest such change over the routes wins.
"""

from __future__ import annotations

import random

from .insertion import Context, feasible, insert_into, plan_cost, recreate, state_of, tidy

HUGE = 10**11  # penalties at or above this are those of mandatory visits (model_build.LNS_PENALTY)
MAX_EJECT = 8  # visits taken out of one route, at most, to make room


def serve_mandatory(ctx: Context, routes: list[list[int]], penalty: list[int], rng: random.Random) -> list[list[int]]:
    """``routes`` with room made (:func:`make_room`) for every mandatory visit they leave out, where it can be."""
    n_vis = len(penalty)
    on = {u for r in routes for u in r if u < n_vis}
    for u in range(n_vis):
        if penalty[u] >= HUGE and u not in on and u not in ctx.frozen:
            found = make_room(ctx, routes, u, penalty, rng)
            if found is not None:
                routes = found
                on = {v for r in routes for v in r if v < n_vis}
    return routes


def make_room(
    ctx: Context,
    routes: list[list[int]],
    u: int,
    penalty: list[int],
    rng: random.Random,
    depth: int = 1,
    keep: frozenset[int] = frozenset(),
) -> list[list[int]] | None:
    """The cheapest plan serving ``u`` made by taking visits out of one route allowed to serve it and putting
    them back elsewhere (:func:`_ejections`: optional visits first, the fewest that make room); None when no
    route can make room for it at a lower total cost. The visits taken out are first only put back where they
    fit; only when that makes room in no route does a mandatory one left without a place get room made in turn
    (up to ``depth`` links: an ejection chain, tried last because it costs a search per route and set)."""
    for chain in range(depth + 1):
        best, best_cost = None, plan_cost(ctx, routes, penalty)
        for k in sorted(ctx.allowed[u]):
            if k >= len(routes):
                continue
            for out in _ejections(ctx, k, routes[k], u, penalty, keep):
                cand = _eject_and_serve(ctx, routes, k, out, u, penalty, rng, chain, keep)
                cost = plan_cost(ctx, cand, penalty) if cand is not None else best_cost
                if cost < best_cost:
                    best, best_cost = cand, cost
                    break  # the fewest visits taken out of this route that make room
        if best is not None:
            return best
    return None


def _eject_and_serve(
    ctx: Context,
    routes: list[list[int]],
    k: int,
    out: frozenset[int],
    u: int,
    penalty: list[int],
    rng: random.Random,
    depth: int,
    keep: frozenset[int],
) -> list[list[int]] | None:
    """``routes`` with ``out`` taken out of route ``k``, ``u`` put in it and ``out`` put back wherever it fits
    (None if ``u`` does not fit even then); with ``depth`` left, room is made in turn for a mandatory visit of
    ``out`` that found no place (an ejection chain), never by moving ``u`` or ``keep`` again."""
    kept = tidy(ctx, k, [v for v in routes[k] if v not in out])
    served = insert_into(ctx, k, kept, u) if feasible(ctx, k, kept) else None
    if served is None:
        return None
    cand = [list(r) for r in routes]
    cand[k] = served
    cand = recreate(ctx, cand, list(out), rng, blink=0.0, first=frozenset(v for v in out if penalty[v] >= HUGE))
    if depth > 0:
        on = {v for r in cand for v in r}
        for v in sorted(v for v in out if penalty[v] >= HUGE and v not in on):
            found = make_room(ctx, cand, v, penalty, rng, depth - 1, keep | {u})
            if found is not None:
                cand = found
    return cand


def _ejections(
    ctx: Context, k: int, nodes: list[int], u: int, penalty: list[int], keep: frozenset[int] = frozenset()
) -> list[frozenset[int]]:
    """Growing sets of route ``k``'s visits (``nodes``) to take out for ``u``, those served nearest in time to
    ``u``'s window first (their earliest service start in the route, then the nearest to ``u`` by cost): the
    optional visits alone first (dropping one costs only its penalty), then any visit (a mandatory one must
    find another place)."""
    n_vis = len(penalty)
    earliest = state_of(ctx, k, nodes).emin  # per position of the route, the start at 0
    when = {v: earliest[p + 1] for p, v in enumerate(nodes)}
    lo, hi, cost_u = ctx.lo[u], ctx.hi[u], ctx.cost[k][u]
    movable = [v for v in nodes if v < n_vis and v not in ctx.frozen and v not in keep]
    movable.sort(key=lambda v: (max(lo - when[v], when[v] - hi, 0), cost_u[v]))
    optional = [v for v in movable if penalty[v] < HUGE]
    sets = [frozenset(optional[:e]) for e in range(1, min(len(optional), MAX_EJECT) + 1)]
    if len(optional) < len(movable):
        sets += [frozenset(movable[:e]) for e in range(1, min(len(movable), MAX_EJECT) + 1)]
    return sets
