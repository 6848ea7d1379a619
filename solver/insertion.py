"""The "recreate" half of ruin-and-recreate for simple models, in pure Python (no OR-Tools).

Given the kept routes (visit nodes per vehicle) and the removed visits, put every removed visit
back at its cheapest feasible position (capacity, one time window, shift), one after the other
in a random order (SISR-style: random / largest demand / farthest from the start / closest),
skipping each candidate position with a small "blink" probability; optionally (``near``) looking
first only in the routes that serve one of the visit's nearest visits. The result is a complete plan
that ``model.py`` hands to OR-Tools for a short greedy descent: far fewer moves than letting the
local search re-insert the visits one improving move at a time.

Only used when the model has no breaks, reloads, locked sequences, work-time limits, several
windows per visit or unreachable arcs (``model._simple_model``): there, capacity + a single window
+ the shift are the whole feasibility story, so the repaired plan is always a valid assignment. A
visit with no feasible position stays out (the descent may still insert it).

Time semantics are the model's: the time at a node is its service start; going from node a to b
takes ``time[a][b]`` (service of a + travel); a node's time must lie in ``[lo, hi]``; waiting is free.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

_INF = float("inf")


@dataclass
class Context:
    visit_idx: list[int]  # visit node -> index into problem.visits
    time: list[list[int]]  # node x node: service(a) + travel(a, b)
    lo: list[int]  # per visit node: window start (0 without a window)
    hi: list[int]  # per visit node: window end (horizon without a window)
    demand: list[tuple[int, ...]]  # per visit node
    allowed: list[frozenset[int]]  # per visit node: model vehicles that may serve it
    starts: list[int]  # per model vehicle: start node
    ends: list[int]  # per model vehicle: end node
    shift: list[tuple[int, int]]  # per model vehicle
    room: list[tuple[int, ...]]  # per model vehicle: capacity - start load
    fixed: list[int]  # per model vehicle: fixed cost
    cost: list[list[list[int]]]  # per model vehicle: node x node arc cost
    dist_from_start: list[int]  # per visit node: a distance used to sort (far / close)
    # (vehicle, visits) -> route state (earliest / latest times, load), reused across iterations
    cache: dict = field(default_factory=dict)


class _RouteState:
    __slots__ = ("k", "seq", "early", "late", "load", "arcs", "cost")

    def __init__(self, ctx: Context, k: int, visits: list[int]) -> None:
        self.k = k
        self.seq = [ctx.starts[k], *visits, ctx.ends[k]]
        self.refresh(ctx)

    def refresh(self, ctx: Context) -> None:
        seq, t = self.seq, ctx.time
        s0, s1 = ctx.shift[self.k]
        m = len(seq)
        early = [0] * m
        early[0] = s0
        for p in range(1, m - 1):
            u = seq[p]
            early[p] = max(ctx.lo[u], early[p - 1] + t[seq[p - 1]][u])
        early[m - 1] = max(s0, early[m - 2] + t[seq[m - 2]][seq[m - 1]])
        late = [0] * m
        late[m - 1] = s1
        for p in range(m - 2, 0, -1):
            u = seq[p]
            late[p] = min(ctx.hi[u], late[p + 1] - t[u][seq[p + 1]])
        late[0] = min(s1, late[1] - t[seq[0]][seq[1]])
        self.early, self.late = early, late
        dims = len(ctx.room[self.k])
        self.load = tuple(sum(ctx.demand[u][d] for u in seq[1:-1]) for d in range(dims))
        c = ctx.cost[self.k]
        self.arcs = [c[a][b] for a, b in zip(seq, seq[1:])]  # arc cost after each position
        # what the route costs in the objective (0 when empty, as in OR-Tools)
        self.cost = ctx.fixed[self.k] + sum(self.arcs) if m > 2 else 0


def _state(ctx: Context, k: int, visits: list[int]) -> _RouteState:
    """The (cached) state of model vehicle ``k`` serving ``visits``; states are shared through the
    cache: replace, never mutate."""
    key = (k, tuple(visits))
    st = ctx.cache.get(key)
    if st is None:
        st = ctx.cache[key] = _RouteState(ctx, k, visits)
    return st


def recreate(ctx: Context, routes: list[list[int]], removed: list[int], rng: random.Random, blink: float = 0.01,
             near: list[list[int]] | None = None) -> list[list[int]]:
    """Insert ``removed`` into ``routes`` (visit nodes per model vehicle, start/end excluded);
    returns the new routes. Visits without a feasible position are left out. With ``near`` (per
    visit node, its nearest visit nodes), a visit is first tried only in the routes serving one of
    them (and the empty ones), and in every route only when none of those has room for it."""
    return [st.seq[1:-1] for st in _recreate(ctx, routes, removed, rng, blink, near)]


def _recreate(ctx: Context, routes: list[list[int]], removed: list[int], rng: random.Random,
              blink: float = 0.01, near: list[list[int]] | None = None) -> list[_RouteState]:
    if len(ctx.cache) > 20_000:
        ctx.cache.clear()
    states = [_state(ctx, k, r) for k, r in enumerate(routes)]
    order = list(removed)
    how = rng.random()
    if how < 0.4:
        rng.shuffle(order)
    elif how < 0.8:
        order.sort(key=lambda u: (-sum(ctx.demand[u]), rng.random()))
    elif how < 0.95:
        order.sort(key=lambda u: (-ctx.dist_from_start[u], rng.random()))
    else:
        order.sort(key=lambda u: (ctx.dist_from_start[u], rng.random()))
    one_dim = all(len(r) == 1 for r in ctx.room)
    route_of = {v: st.k for st in states for v in st.seq[1:-1]} if near is not None else None
    empty = {st.k for st in states if len(st.seq) == 2}
    for u in order:
        if route_of is None:
            best = _cheapest(ctx, states, u, rng, blink, one_dim)
        else:
            ks = {route_of[v] for v in near[u] if v in route_of}
            ks |= empty
            best = _cheapest(ctx, [states[k] for k in sorted(ks)], u, rng, blink, one_dim)
            if best is None and len(ks) < len(states):
                best = _cheapest(ctx, [st for st in states if st.k not in ks], u, rng, blink, one_dim)
        if best is not None:
            st, p = best
            visits = st.seq[1:-1]
            visits.insert(p, u)
            states[st.k] = _state(ctx, st.k, visits)
            empty.discard(st.k)
            if route_of is not None:
                route_of[u] = st.k
    return states


def _cheapest(ctx: Context, states: list[_RouteState], u: int, rng: random.Random, blink: float,
              one_dim: bool) -> tuple[_RouteState, int] | None:
    """The cheapest feasible position of visit ``u`` in ``states`` (each position skipped with
    probability ``blink``): (route state, position after which to insert) or None."""
    t = ctx.time
    lo_u, hi_u, dem = ctx.lo[u], ctx.hi[u], ctx.demand[u]
    allowed = ctx.allowed[u]
    tu = t[u]
    best = None
    bound = _INF  # the extra cost of the best position so far
    for st in states:
        k = st.k
        if k not in allowed:
            continue
        room = ctx.room[k]
        if one_dim:
            if st.load[0] + dem[0] > room[0]:
                continue
        elif any(a + b > r for a, b, r in zip(st.load, dem, room)):
            continue
        seq, early, late, c = st.seq, st.early, st.late, ctx.cost[k]
        cu = c[u]
        if len(seq) == 2:  # an empty route costs nothing (not even start -> end): opening it costs the fixed cost
            a, b = seq
            delta = c[a][u] + cu[b] + ctx.fixed[k]
            if delta >= bound:
                continue
            e = max(early[0] + t[a][u], lo_u)
            if e <= hi_u and e + tu[b] <= late[1] and not (blink and rng.random() < blink):
                best, bound = (st, 0), delta
            continue
        # Only the positions p with early[p] <= hi_u and late[p + 1] >= lo_u can take u (both
        # lists are non-decreasing along the route: bisect), which leaves a few with tight windows.
        # Each one cheaper than the best so far is checked (time) and, if feasible and not
        # blinked, becomes the best: the cheapest position whose blink did not fire.
        p0 = bisect_left(late, lo_u, 1) - 1
        p1 = min(bisect_right(early, hi_u), len(seq) - 1)
        arcs = st.arcs
        for p in range(p0, p1):
            a = seq[p]
            b = seq[p + 1]
            delta = c[a][u] + cu[b] - arcs[p]
            if delta >= bound:
                continue
            e = early[p] + t[a][u]
            if e < lo_u:
                e = lo_u
            if e > hi_u or e + tu[b] > late[p + 1]:
                continue
            if blink and rng.random() < blink:
                continue
            best, bound = (st, p), delta
    return best


def feasible(ctx: Context, k: int, visits: list[int]) -> bool:
    """Capacity, windows and shift of one route (earliest schedule)."""
    dims = len(ctx.room[k])
    for d in range(dims):
        if sum(ctx.demand[u][d] for u in visits) > ctx.room[k][d]:
            return False
    t = ctx.time
    s0, s1 = ctx.shift[k]
    prev, e = ctx.starts[k], s0
    for u in visits:
        e = max(ctx.lo[u], e + t[prev][u])
        if e > ctx.hi[u]:
            return False
        prev = u
    return max(s0, e + t[prev][ctx.ends[k]]) <= s1


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
    polish,
    thr0: float = 0.01,
    kmax: int = 15,
    polish_every: float = 2.0,
    should_stop=None,
    string_share: float = 0.5,
    granular: int = 0,
) -> tuple[list[list[int]], int, int]:
    """Ruin-and-recreate in pure Python: remove a cluster of served visits (a random one and its
    nearest served neighbours ``near``), re-insert with :func:`recreate`, accept by
    record-to-record travel (threshold ``thr0`` of the best, shrinking to 0). Every
    ``polish_every`` seconds (and at the end) the best plan goes through ``polish(routes)`` (the
    OR-Tools descent), which returns ``(routes, cost)`` or None. With ``granular`` > 0 a removed
    visit is first tried in the routes of its ``granular`` nearest visits (:func:`recreate`'s
    ``near``). Costs are OR-Tools' objective:
    route costs + ``penalty`` of every visit left out. Returns (best routes, cost, iterations)."""
    import time as _t

    n_vis = len(penalty)

    def total(rs: list[list[int]]) -> int:
        served = sum(len(r) for r in rs)
        cost = sum(_state(ctx, k, r).cost for k, r in enumerate(rs))
        if served < n_vis:
            on = {u for r in rs for u in r}
            cost += sum(penalty[u] for u in range(n_vis) if u not in on)
        return cost

    near_g = [nb[:granular] for nb in near] if granular else None
    cur = [list(r) for r in routes]
    cur_cost = total(cur)
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
            res = polish(best)
            polished_at = best_cost
            if res is not None and res[1] <= best_cost:
                best, best_cost = [list(r) for r in res[0]], res[1]
                polished_at = best_cost
                cur, cur_cost = [list(r) for r in best], best_cost
            next_polish = _t.time() + polish_every
            continue
        served = [u for r in cur for u in r]
        if len(served) < 3:
            break
        seed = rng.choice(served)
        on = set(served)
        k = rng.randint(max(2, kmax // 3), kmax)
        if rng.random() < string_share:
            removed = _strings(cur, near[seed], k, rng)
        else:
            removed = [u for u in near[seed] if u in on][:k]
        gone = set(removed)
        cand = [[u for u in r if u not in gone] for r in cur]
        touched = [i for i, (a, b) in enumerate(zip(cur, cand)) if len(a) != len(b)]
        if not all(feasible(ctx, i, cand[i]) for i in touched):
            continue
        # visits left out earlier get another chance
        out = [u for u in range(n_vis) if u not in on] if len(served) < n_vis else []
        cand = recreate(ctx, cand, removed + out, rng, near=near_g)
        iters += 1
        cost = total(cand)
        progress = min(1.0, (_t.time() - t_start) / span)
        if cost < best_cost:
            best, best_cost = [list(r) for r in cand], cost
        if cost < cur_cost or cost <= best_cost * (1 + thr0 * (1 - progress)):
            cur, cur_cost = cand, cost
    if polished_at != best_cost:
        res = polish(best)
        if res is not None and res[1] <= best_cost:
            best, best_cost = [list(r) for r in res[0]], res[1]
    return best, best_cost, iters
