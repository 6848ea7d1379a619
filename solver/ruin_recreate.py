"""The Python ruin-and-recreate loop (no OR-Tools): ``search(ctx, routes, penalty, near, rng, deadline, polish, ...)``.

Starting from the given plan (what it leaves out inserted, mandatory visits first; or the same cheapest
insertions from scratch when cheaper), each iteration removes visits -- a random served visit and its
nearest served ones, SISR-style strings (Christiaens & Vanden Berghe) around them, or, half of the time
while a mandatory visit is left out, that visit's served neighbours -- tidies the routes touched,
re-inserts the removed visits and those left out (``put_back``: every mandatory one before any optional one;
an optional one left out only when near a removed visit; the candidate given up as soon as a mandatory visit finds
no place, when the plan walked from serves them all) with ``insertion.recreate`` and accepts the result by
record-to-record travel (a threshold relative to the best plan's own cost, shrinking to 0). Every
``polish_every`` seconds and at the end the best plan goes through ``polish`` (``lns_python.py``: an
OR-Tools greedy descent). Costs are OR-Tools' objective (route costs + penalties of the visits left
out). Random choices come from ``rng`` only, in a fixed order; the time from ``time.time()``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .ejection import HUGE as _HUGE
from .ejection import serve_mandatory
from .insertion import Context, feasible, place_locked, plan_cost, recreate, recreate_all_first, tidy


def _strings(routes: list[list[int]], near: list[int], k: int, rng: random.Random, lmax: int = 10) -> list[int]:
    """SISR-style ruin (Christiaens & Vanden Berghe): walking the seed's nearest visits, remove
    from each route met (once per route) a string of consecutive visits around that visit, until
    about ``k`` visits are out."""
    where = {u: (r, p) for r, route in enumerate(routes) for p, u in enumerate(route)}
    done: set[int] = set()
    removed: list[int] = []
    for u in near:
        if len(removed) >= k:
            break
        if u not in where or where[u][0] in done:
            continue
        r, p = where[u]
        route = routes[r]
        length = rng.randint(1, min(len(route), lmax, max(1, k - len(removed))))
        first = rng.randint(max(0, p - length + 1), min(p, len(route) - length))
        removed.extend(route[first : first + length])
        done.add(r)
    return removed


def search(
    ctx: Context,
    routes: list[list[int]],
    penalty: list[int],
    near: list[list[int]],
    rng: random.Random,
    deadline: float,
    polish: Callable[[list[list[int]]], tuple[list[list[int]], int] | None],
    thr0: float = 0.01,
    kmax: int = 15,
    polish_every: float = 2.0,
    should_stop: Callable[[], bool] | None = None,
    string_share: float = 0.5,
    granular: int = 0,
    retry_near: int = 0,
) -> tuple[list[list[int]], int, int]:
    """Ruin-and-recreate in pure Python: remove a cluster of served visits (a random one and its
    nearest served neighbours ``near``), re-insert with :func:`insertion.recreate`, accept by
    record-to-record travel (threshold ``thr0`` of the best, shrinking to 0). Every
    ``polish_every`` seconds (and at the end) the best plan goes through ``polish(routes)`` (the
    OR-Tools descent), which returns ``(routes, cost)`` or None. With ``granular`` > 0 a removed
    visit is first tried in the routes of its ``granular`` nearest visits (:func:`insertion.recreate`'s
    ``near``). With ``retry_near`` > 0 an optional visit left out is tried again only after a ruin that
    removed one of its ``retry_near`` nearest visits. Costs are OR-Tools' objective:
    route costs + ``penalty`` of every visit left out. Returns (best routes, cost, iterations)."""
    import time as _t

    near_g = [nb[:granular] for nb in near] if granular else None
    cur, cur_cost = _first_plan(ctx, routes, penalty, rng)
    best, best_cost = [list(r) for r in cur], cur_cost
    t_start = _t.time()
    span = max(1e-3, deadline - t_start)
    next_polish = t_start + polish_every
    polished_at = None  # best cost when last polished
    iters = 0
    while True:
        now = _t.time()
        if now >= deadline - 0.05 or (should_stop is not None and should_stop()):
            break
        if now >= next_polish and polished_at != best_cost:
            roomy, roomy_cost = _with_room(ctx, best, best_cost, penalty, rng)
            if roomy_cost < best_cost:
                best, best_cost = roomy, roomy_cost
                cur, cur_cost = [list(r) for r in best], best_cost
            res = polish(best)
            polished_at = best_cost
            if res is not None and res[1] <= best_cost:
                best, best_cost = [list(r) for r in res[0]], res[1]
                polished_at = best_cost
                cur, cur_cost = [list(r) for r in best], best_cost
            next_polish = _t.time() + polish_every
            continue
        ruin = _ruin(ctx, cur, penalty, near, rng, kmax, string_share, retry_near)
        if ruin is None:
            break
        removed, out = ruin
        cand = _without(ctx, cur, removed)
        if cand is None:
            continue
        cand = put_back(ctx, cand, removed, out, penalty, rng, near_g, give_up=cur_cost < _HUGE)
        iters += 1
        if cand is None:  # a mandatory visit found no place: a candidate worse than the plan walked from
            continue
        cost = plan_cost(ctx, cand, penalty)
        progress = min(1.0, (_t.time() - t_start) / span)
        if cost < best_cost:
            best, best_cost = [list(r) for r in cand], cost
        # the threshold is relative to the plan's own cost, not to the huge penalties of mandatory
        # visits left out (with one out, thr0 of it would accept any detour)
        if cost < cur_cost or cost <= best_cost + thr0 * (1 - progress) * (best_cost % _HUGE):
            cur, cur_cost = cand, cost
    best, best_cost = _with_room(ctx, best, best_cost, penalty, rng)
    if polished_at != best_cost:
        res = polish(best)
        if res is not None and res[1] <= best_cost:
            best, best_cost = [list(r) for r in res[0]], res[1]
    return best, best_cost, iters


def put_back(
    ctx: Context,
    routes: list[list[int]],
    removed: list[int],
    out: list[int],
    penalty: list[int],
    rng: random.Random,
    near: list[list[int]] | None = None,
    give_up: bool = False,
) -> list[list[int]] | None:
    """``routes`` (a ruined plan) with the ``removed`` visits and those left out so far (``out``) inserted
    again (:func:`insertion.recreate`), every mandatory one before any optional one: an optional visit put
    back first could take the room of a mandatory one, and a candidate that leaves a mandatory visit out is
    thrown away (on the real days, most candidates were, before). With ``give_up`` (the plan walked from
    serves every mandatory visit), None as soon as a mandatory visit finds no place: the optional ones are
    then not inserted, for a candidate that would be thrown away."""
    mandatory = frozenset(u for u in removed + out if penalty[u] >= _HUGE)
    if give_up:
        return recreate_all_first(ctx, routes, removed + out, rng, near, mandatory)
    return recreate(ctx, routes, removed + out, rng, near=near, first=mandatory)


def _with_room(
    ctx: Context, routes: list[list[int]], cost: int, penalty: list[int], rng: random.Random
) -> tuple[list[list[int]], int]:
    """``routes`` and their cost, with room made for the mandatory visits they leave out (when any)."""
    if cost < _HUGE:
        return routes, cost
    routes = serve_mandatory(ctx, routes, penalty, rng)
    return routes, plan_cost(ctx, routes, penalty)


def _first_plan(
    ctx: Context, routes: list[list[int]], penalty: list[int], rng: random.Random
) -> tuple[list[list[int]], int]:
    """The plan the walk starts from, and its cost: ``routes`` with what they leave out inserted (the
    mandatory visits first), or the same cheapest insertions from scratch when that is cheaper."""
    n_vis = len(penalty)
    cur = place_locked(ctx, routes)  # locked visits a first solution cut short left out
    mandatory = frozenset(u for u in range(n_vis) if penalty[u] >= _HUGE)
    out = [u for u in range(n_vis) if u not in {v for r in cur for v in r} and u not in ctx.frozen]
    if out:  # a first solution cut short (or none): insert what is left out, the mandatory visits first
        cur = recreate(ctx, cur, out, rng, blink=0.0, first=mandatory)
    cur_cost = plan_cost(ctx, cur, penalty)
    # The same cheapest insertions from scratch (only the locked visits kept) often start better than
    # OR-Tools' first solution on real days (optional visits, unloading trips): keep the better start.
    base = [[u for u in r if u in ctx.frozen] for r in cur]
    if all(feasible(ctx, k, r) for k, r in enumerate(base)):
        scratch = recreate(ctx, base, [u for u in range(n_vis) if u not in ctx.frozen], rng, blink=0.0, first=mandatory)
        scratch_cost = plan_cost(ctx, scratch, penalty)
        if scratch_cost < cur_cost:
            cur, cur_cost = scratch, scratch_cost
    return _with_room(ctx, cur, cur_cost, penalty, rng)  # a mandatory visit still out: room made on purpose


def _ruin(
    ctx: Context,
    cur: list[list[int]],
    penalty: list[int],
    near: list[list[int]],
    rng: random.Random,
    kmax: int,
    string_share: float,
    retry_near: int = 0,
) -> tuple[list[int], list[int]] | None:
    """The visits to remove from ``cur`` (between kmax / 3 and kmax: a mandatory visit's served
    neighbours, SISR strings or a seed's nearest served visits) and the visits left out so far to try
    again: every mandatory one, and the optional ones among the ``retry_near`` nearest visits of a removed
    one (all of them when 0); None when fewer than 3 visits can be moved."""
    n_vis, frozen = len(penalty), ctx.frozen
    on = {u for r in cur for u in r if u < n_vis}
    movable = [u for r in cur for u in r if u < n_vis and u not in frozen]
    if len(movable) < 3:
        return None
    # visits left out so far get another chance; a mandatory one left out is a ruin seed half of the
    # time (its served neighbours removed to make room for it)
    out = [u for u in range(n_vis) if u not in on and u not in frozen] if len(on) < n_vis else []
    out_mandatory = [u for u in out if penalty[u] >= _HUGE]
    k = rng.randint(max(2, kmax // 3), kmax)
    if out_mandatory and rng.random() < 0.5:
        seed = rng.choice(out_mandatory)
        removed = [u for u in near[seed] if u in on and u not in frozen][:k]
    elif rng.random() < string_share:
        seed = rng.choice(movable)
        removed = [u for u in _strings(cur, near[seed], k, rng) if u < n_vis and u not in frozen]
    else:
        seed = rng.choice(movable)
        removed = [u for u in near[seed] if u in on and u not in frozen][:k]
    if retry_near and out:
        # an optional visit left out far from the ruin would be tried in routes the ruin left as they were
        zone = {v for u in removed for v in near[u][:retry_near]}
        out = [u for u in out if penalty[u] >= _HUGE or u in zone]
    return removed, out


def _without(ctx: Context, cur: list[list[int]], removed: list[int]) -> list[list[int]] | None:
    """``cur`` without the ``removed`` visits, the routes touched tidied (:func:`tidy`); None if one
    of them is no longer feasible."""
    gone = set(removed)
    cand = [[u for u in r if u not in gone] for r in cur]
    touched = [i for i, (a, b) in enumerate(zip(cur, cand)) if len(a) != len(b)]
    for i in touched:
        cand[i] = tidy(ctx, i, cand[i])
    if not all(feasible(ctx, i, cand[i]) for i in touched):
        return None
    return cand
