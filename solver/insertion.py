"""The "recreate" half of ruin-and-recreate, in pure Python (no OR-Tools); the loop is ``ruin_recreate.py``.

Given the kept routes (nodes per vehicle) and the removed visits, put every removed visit back at
its cheapest feasible position, one after the other in a random order (SISR-style: random /
largest demand / farthest from the start / closest), skipping each candidate position with a small
"blink" probability; optionally (``near``) looking first only in the routes that serve one of the
visit's nearest visits. Where a visit no longer fits a van's load, it may go in together with one
of the van's unused unloading stops (just before or just after it). An optional visit goes in only
where it costs less than its penalty. The result is a complete plan that ``lns_python.py`` hands to
OR-Tools for a short greedy descent, which also re-validates it: OR-Tools rebuilds the times and
the break of every route, so a plan this module got wrong can never come out of the solver.

Feasibility (``routestate.py``) covers what a real day has: capacity with unloading trips
(``max_reloads`` reload nodes per van, each emptying it; ``start_load`` on board at a mid-day
start), several windows per visit, one lunch break per van (taken in any leg, as OR-Tools and
``check.py`` do), shifts, vehicle restrictions (skills, locks). Visits of a locked sequence are
``frozen``: never removed, never re-inserted, so their order stays as the first solution made it.
``lns_python.fast_context`` says which models this covers (not: several breaks per van, work-time
limits, fair-work balancing, unreachable arcs).

Time semantics are the model's: the time at a node is its service start; going from node a to b
takes ``time[a][b]`` (service of a + travel); waiting is free.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from .routestate import INF, RouteState

_INF = float("inf")


@dataclass
class Context:
    visit_idx: list[int]  # visit node -> index into problem.visits
    time: list[list[int]]  # node x node: service(a) + travel(a, b)
    lo: list[int]  # per visit node: first window start (0 without a window)
    hi: list[int]  # per visit node: last window end (horizon without a window)
    demand: list[tuple[int, ...]]  # per visit node
    allowed: list[frozenset[int]]  # per visit node: model vehicles that may serve it
    starts: list[int]  # per model vehicle: start node
    ends: list[int]  # per model vehicle: end node
    shift: list[tuple[int, int]]  # per model vehicle
    room: list[tuple[int, ...]]  # per model vehicle: capacity - start load (before the first unloading)
    fixed: list[int]  # per model vehicle: fixed cost
    cost: list[list[list[int]]]  # per model vehicle: node x node arc cost
    dist_from_start: list[int]  # per visit node: a distance used to sort (far / close)
    # --- the real day's model (defaults: none of it) ---
    wins: list[tuple[tuple[int, int], ...]] = field(default_factory=list)  # per node: windows (default lo/hi)
    service: list[int] = field(default_factory=list)  # per node: service time (needed with breaks)
    brk: list[tuple[int, int, int] | None] = field(default_factory=list)  # per vehicle: lunch break
    cap: list[tuple[int, ...]] = field(default_factory=list)  # per vehicle: capacity after an unloading
    reloads: list[list[int]] = field(default_factory=list)  # per vehicle: its unloading nodes
    start_reload: list[bool] = field(default_factory=list)  # per vehicle: may unload before its first visit
    pen: list[float] = field(default_factory=list)  # per visit node: penalty (INF: mandatory)
    frozen: frozenset[int] = frozenset()  # visit nodes never removed nor re-inserted (locked sequences)
    locks: list[tuple[int, list[int]]] = field(default_factory=list)  # (model vehicle, frozen nodes in lock order)
    is_reload: list[bool] = field(default_factory=list)  # per node (derived)
    # (vehicle, nodes) -> route state, reused across iterations
    cache: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n_nodes, n_vis, n_veh = len(self.time), len(self.lo), len(self.starts)
        if not self.wins:
            self.wins = [((a, b),) for a, b in zip(self.lo, self.hi)] + [((0, INF),)] * (n_nodes - n_vis)
        if not self.service:
            self.service = [0] * n_nodes
        if not self.brk:
            self.brk = [None] * n_veh
        if not self.cap:
            self.cap = list(self.room)
        if not self.reloads:
            self.reloads = [[] for _ in range(n_veh)]
        if not self.start_reload:
            self.start_reload = [False] * n_veh
        if not self.pen:
            self.pen = [_INF] * n_vis
        self.is_reload = [False] * n_nodes
        for nodes in self.reloads:
            for r in nodes:
                self.is_reload[r] = True


def _state(ctx: Context, k: int, visits: list[int]) -> RouteState:
    """The (cached) state of model vehicle ``k`` serving ``visits``; states are shared through the
    cache: replace, never mutate."""
    key = (k, tuple(visits))
    st = ctx.cache.get(key)
    if st is None:
        st = ctx.cache[key] = RouteState(ctx, k, visits)
    return st


def recreate(
    ctx: Context,
    routes: list[list[int]],
    removed: list[int],
    rng: random.Random,
    blink: float = 0.01,
    near: list[list[int]] | None = None,
    first: frozenset[int] = frozenset(),
) -> list[list[int]]:
    """Insert ``removed`` into ``routes`` (visit nodes per model vehicle, start/end excluded);
    returns the new routes. Visits without a feasible position are left out. With ``near`` (per
    visit node, its nearest visit nodes), a visit is first tried only in the routes serving one of
    them (and the empty ones), and in every route only when none of those has room for it. The
    visits in ``first`` (mandatory ones left out so far) are inserted before the others."""
    states = _recreate(ctx, routes, removed, rng, blink, near, first)
    assert states is not None
    return [st.seq[1:-1] for st in states]


def recreate_all_first(
    ctx: Context,
    routes: list[list[int]],
    removed: list[int],
    rng: random.Random,
    near: list[list[int]] | None,
    first: frozenset[int],
) -> list[list[int]] | None:
    """:func:`recreate`, or None as soon as one of the visits in ``first`` finds no position (the rest
    is then not inserted: a plan leaving such a visit out would be thrown away)."""
    states = _recreate(ctx, routes, removed, rng, near=near, first=first, give_up=True)
    return None if states is None else [st.seq[1:-1] for st in states]


def _recreate(
    ctx: Context,
    routes: list[list[int]],
    removed: list[int],
    rng: random.Random,
    blink: float = 0.01,
    near: list[list[int]] | None = None,
    first: frozenset[int] = frozenset(),
    give_up: bool = False,
) -> list[RouteState] | None:
    if len(ctx.cache) > 20_000:
        ctx.cache.clear()
    states = [_state(ctx, k, r) for k, r in enumerate(routes)]
    order = [u for u in removed if u not in ctx.frozen]
    how = rng.random()
    if how < 0.4:
        rng.shuffle(order)
    elif how < 0.8:
        order.sort(key=lambda u: (-sum(ctx.demand[u]), rng.random()))
    elif how < 0.95:
        order.sort(key=lambda u: (-ctx.dist_from_start[u], rng.random()))
    else:
        order.sort(key=lambda u: (ctx.dist_from_start[u], rng.random()))
    if first:
        order.sort(key=lambda u: u not in first)  # stable: the chosen order within both groups
    route_of = {v: st.k for st in states for v in st.seq[1:-1]} if near is not None else None
    empty = {st.k for st in states if len(st.seq) == 2}
    for u in order:
        if route_of is None:
            best = _cheapest(ctx, states, u, rng, blink)
        else:
            ks = {route_of[v] for v in near[u] if v in route_of}
            ks |= empty
            best = _cheapest(ctx, [states[k] for k in sorted(ks)], u, rng, blink)
            if best is None and len(ks) < len(states):
                best = _cheapest(ctx, [st for st in states if st.k not in ks], u, rng, blink)
        if best is None and give_up and u in first:
            return None
        if best is not None:
            st, p, chain = best
            nodes = st.seq[1:-1]
            nodes[p:p] = chain
            states[st.k] = _state(ctx, st.k, nodes)
            empty.discard(st.k)
            if route_of is not None:
                route_of[u] = st.k
    return states


def _cheapest(
    ctx: Context, states: list[RouteState], u: int, rng: random.Random, blink: float
) -> tuple[RouteState, int, list[int]] | None:
    """The cheapest feasible way to serve visit ``u`` in ``states`` (each position skipped with
    probability ``blink``), cheaper than its penalty: (route state, position after which to
    insert, the nodes to insert there: ``[u]``, or ``u`` with an unloading stop) or None."""
    lo_u, hi_u, dem = ctx.lo[u], ctx.hi[u], ctx.demand[u]
    allowed = ctx.allowed[u]
    one = len(dem) == 1
    d0 = dem[0]
    best = None
    bound = ctx.pen[u]  # the extra cost of the best position so far (a visit left out costs its penalty)
    for st in states:
        k = st.k
        if k not in allowed:
            continue
        seq, c, arcs = st.seq, ctx.cost[k], st.arcs
        cu = c[u]
        if len(seq) == 2:  # an empty route costs nothing (not even start -> end): opening it costs the fixed cost
            a, b = seq
            delta = c[a][u] + cu[b] + ctx.fixed[k]
            if (
                delta < bound
                and _fits_load(st.seg_load[0], dem, ctx.room[k])
                and st.fits_time(ctx, 0, [u])
                and not (blink and rng.random() < blink)
            ):
                best, bound = (st, 0, [u]), delta
            continue
        # Only the positions p with emin[p] <= hi_u and lmax[p + 1] >= lo_u can take u (both lists
        # are non-decreasing along the route: bisect), which leaves a few with tight windows.
        p0 = bisect_left(st.lmax, lo_u, 1) - 1
        p1 = min(bisect_right(st.emin, hi_u), len(seq) - 1)
        free = [r for r in ctx.reloads[k] if r not in seq] if ctx.reloads[k] else ()
        room0, cap = ctx.room[k], ctx.cap[k]
        for p in range(p0, p1):
            a = seq[p]
            b = seq[p + 1]
            delta = c[a][u] + cu[b] - arcs[p]
            if delta >= bound:
                continue
            seg = st.segid[p]
            load = st.seg_load[seg]
            if (
                (load[0] + d0 <= (room0 if seg == 0 else cap)[0])
                if one
                else _fits_load(load, dem, room0 if seg == 0 else cap)
            ):
                if st.fits_time(ctx, p, [u]) and not (blink and rng.random() < blink):
                    best, bound = (st, p, [u]), delta
                continue
            if free:  # too heavy for this segment: with an unloading stop before or after it?
                found = _with_reload(ctx, st, p, u, free[0], bound, rng, blink)
                if found is not None:
                    best, bound = (st, p, found[1]), found[0]
    return best


def _fits_load(load: tuple[int, ...], dem: tuple[int, ...], room: tuple[int, ...]) -> bool:
    return all(x + y <= r for x, y, r in zip(load, dem, room))


def _with_reload(
    ctx: Context, st: RouteState, p: int, u: int, r: int, bound: float, rng: random.Random, blink: float
) -> tuple[int, list[int]] | None:
    """The cheaper of ``u`` then unloading stop ``r``, or ``r`` then ``u``, between positions ``p``
    and ``p + 1`` of ``st``, if feasible and cheaper than ``bound``: (extra cost, nodes). Costs are
    compared first (cheap), loads and times only for a candidate that would be the best."""
    k, seq, c = st.k, st.seq, ctx.cost[st.k]
    a, b = seq[p], seq[p + 1]
    base = st.arcs[p]
    after = c[a][u] + c[u][r] + c[r][b] - base  # u, then unload
    before = c[a][r] + c[r][u] + c[u][b] - base  # unload, then u
    if after >= bound and before >= bound:
        return None
    dem, cap = ctx.demand[u], ctx.cap[k]
    seg = st.segid[p]
    load, pre = st.seg_load[seg], st.pre[p]
    out = None
    # u, then unload (not twice in a row: OR-Tools has no arc reload -> reload)
    if (
        after < bound
        and not ctx.is_reload[b]
        and _fits_load(pre, dem, ctx.room[k] if seg == 0 else cap)
        and st.fits_time(ctx, p, [u, r])
        and not (blink and rng.random() < blink)
    ):
        out, bound = (after, [u, r]), after
    # unload, then u (not first thing in the day unless the van starts loaded)
    if (
        before < bound
        and not ctx.is_reload[a]
        and (p > 0 or ctx.start_reload[k])
        and all(x - y + z <= w for x, y, z, w in zip(load, pre, dem, cap))
        and st.fits_time(ctx, p, [r, u])
        and not (blink and rng.random() < blink)
    ):
        out = (before, [r, u])
    return out


def state_of(ctx: Context, k: int, visits: list[int]) -> RouteState:
    """The route state of model vehicle ``k`` serving ``visits`` (shared through the cache: read, never
    mutate)."""
    return _state(ctx, k, visits)


def insert_into(ctx: Context, k: int, visits: list[int], u: int) -> list[int] | None:
    """Route ``k`` (``visits``) with ``u`` at its cheapest feasible position (with an unloading stop if the
    van needs one), or None if it fits nowhere in it."""
    best = _cheapest(ctx, [_state(ctx, k, visits)], u, random.Random(0), 0.0)
    if best is None:
        return None
    _, p, chain = best
    return visits[:p] + chain + visits[p:]


def place_locked(ctx: Context, routes: list[list[int]]) -> list[list[int]]:
    """``routes`` with every locked visit they lack put into its van, in its lock's order (each at the cheapest
    feasible position after the lock's previous visit): a first solution cut short (or none) leaves them out,
    and the search never moves a locked visit itself. One that fits nowhere stays out."""
    out = [list(r) for r in routes]
    for k, seq in ctx.locks:
        if k >= len(out):
            continue
        after = 0
        for node in seq:
            route = out[k]
            if node in route:
                after = route.index(node) + 1
                continue
            best = None
            for pos in range(after, len(route) + 1):
                cand = route[:pos] + [node] + route[pos:]
                st = _state(ctx, k, cand)
                if st.ok and (best is None or st.cost < best[0]):
                    best = (st.cost, pos, cand)
            if best is not None:
                out[k], after = best[2], best[1] + 1
    return out


def plan_cost(ctx: Context, routes: list[list[int]], penalty: list[int]) -> int:
    """OR-Tools' objective of ``routes``: route costs + the ``penalty`` of every visit left out."""
    n_vis = len(penalty)
    on = {u for r in routes for u in r if u < n_vis}
    cost = sum(route_cost(ctx, k, r) for k, r in enumerate(routes))
    if len(on) < n_vis:
        cost += sum(penalty[u] for u in range(n_vis) if u not in on)
    return cost


def route_cost(ctx: Context, k: int, visits: list[int]) -> int:
    """What model vehicle ``k`` serving ``visits`` costs in the objective (0 when empty)."""
    return _state(ctx, k, visits).cost


def feasible(ctx: Context, k: int, visits: list[int]) -> bool:
    """Capacity (per unloading segment), windows, break and shift of one route."""
    return _state(ctx, k, visits).ok


def tidy(ctx: Context, k: int, nodes: list[int]) -> list[int]:
    """A route after some of its visits were removed: unloading stops that became pointless are
    dropped (two in a row, one first thing in the day for a van that starts empty, any in a route
    left without visits), then each other one whose removal keeps the route feasible and cheaper."""
    if not ctx.reloads[k] or not any(ctx.is_reload[u] for u in nodes):
        return nodes
    if all(ctx.is_reload[u] for u in nodes):
        return []
    out: list[int] = []
    for u in nodes:
        if ctx.is_reload[u] and ((out and ctx.is_reload[out[-1]]) or (not out and not ctx.start_reload[k])):
            continue
        out.append(u)
    cost = _state(ctx, k, out).cost
    for r in [u for u in out if ctx.is_reload[u]]:
        cand = [u for u in out if u != r]
        st = _state(ctx, k, cand)
        if st.ok and st.cost <= cost:
            out, cost = cand, st.cost
    return out
