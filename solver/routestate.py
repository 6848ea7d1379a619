"""Route timing and load labels for the Python ruin-and-recreate (``insertion.py``): pure Python.

A route of model vehicle ``k`` is a node sequence ``[start, n1, ..., nm, end]`` where each ``ni``
is a visit node or one of the vehicle's unloading (reload) nodes. :class:`RouteState` keeps, per
position, what an insertion test needs in O(1):

* **Times** (the model's semantics, shared with OR-Tools and ``check.py``): the time at a node is
  its service start; going from ``a`` to ``b`` takes ``time[a][b]`` (service of ``a`` + travel);
  waiting is free; a visit's service start lies in one of its windows (sorted, disjoint).
* **The lunch break** (at most one per vehicle; ``Context.brk[k] = (earliest, latest, duration)``):
  taken in one leg, between leaving a stop and reaching the next (driving may be interrupted); it
  starts at ``max(leaving time, earliest)``, which must be ``<= latest``, and the van reaches the
  next stop no sooner than ``leaving + travel + duration`` nor than the break's end. A used route
  takes it exactly once; an empty route takes none. Two forward labels per position, the earliest
  service start with the break still to take (``ea``) and with it taken (``eb``), and two backward
  ones, the latest service start from which the rest of the route is still feasible (``la``: break
  still to take, ``lb``: taken). Earliest labels dominate (starting later never helps), so the
  labels are exact: an insertion is feasible iff one combination of them fits.
* **Loads**: a reload node empties the van; each segment between unloadings must fit the
  capacity, the first one the capacity less ``start_load`` (``Context.room``), the others
  ``Context.cap``. ``segid[p]`` is the segment of the arc leaving position ``p``, ``pre[p]`` the load
  collected in that segment up to position ``p``.

A vehicle without a break has ``ea = INF`` and ``la = -INF`` everywhere: only the ``eb``/``lb``
labels matter, as in the classic earliest / latest schedule.
"""

from __future__ import annotations

INF = 10**15


def next_start(wins: tuple[tuple[int, int], ...], x: int) -> int:
    """The earliest service start at or after arrival ``x`` (INF if every window has closed)."""
    if x >= INF:
        return INF
    for lo, hi in wins:
        if x <= hi:
            return lo if x < lo else x
    return INF


def prev_start(wins: tuple[tuple[int, int], ...], x: int) -> int:
    """The latest service start at or before ``x`` (-INF if no window opens by then)."""
    if x <= -INF:
        return -INF
    for lo, hi in reversed(wins):
        if x >= lo:
            return hi if x > hi else x
    return -INF


def leg_with_break(ctx, k: int, s: int, a: int, b: int) -> int:
    """Earliest arrival at ``b`` leaving ``a`` (service start ``s``) with vehicle ``k``'s break
    taken on the way; INF if the break window has closed by then."""
    if s >= INF:
        return INF
    ws, we, d = ctx.brk[k]
    bs = s + ctx.service[a]
    if bs < ws:
        bs = ws
    if bs > we:
        return INF
    arr = s + ctx.time[a][b] + d
    return arr if arr > bs + d else bs + d


def latest_with_break(ctx, k: int, a: int, b: int, x: int) -> int:
    """Latest service start at ``a`` from which ``b`` is reached by ``x`` with the break taken on
    the way (-INF if none)."""
    if x <= -INF:
        return -INF
    ws, we, d = ctx.brk[k]
    if ws + d > x:
        return -INF
    sa = ctx.service[a]
    return min(x - ctx.time[a][b] - d, x - d - sa, we - sa)


class RouteState:
    __slots__ = (
        "k",
        "seq",
        "ea",
        "eb",
        "la",
        "lb",
        "segid",
        "pre",
        "seg_load",
        "arcs",
        "cost",
        "ok",
        "reloads",
        "emin",
        "lmax",
    )

    def __init__(self, ctx, k: int, visits: list[int]) -> None:
        self.k = k
        self.seq = [ctx.starts[k], *visits, ctx.ends[k]]
        self.refresh(ctx)

    def refresh(self, ctx) -> None:
        """Recompute every label of ``seq`` (times both ways, loads, arc costs, cost, ok)."""
        seq, k = self.seq, self.k
        m = len(seq)
        ea, eb = self._forward(ctx)
        la, lb = self._backward(ctx)
        self.ea, self.eb, self.la, self.lb = ea, eb, la, lb
        # both non-decreasing along the route: what ``insertion`` bisects to find the candidate positions
        self.emin = [x if x < y else y for x, y in zip(ea, eb)]
        self.lmax = [x if x > y else y for x, y in zip(la, lb)]
        self._loads(ctx)
        c = ctx.cost[k]
        self.arcs = [c[a][b] for a, b in zip(seq, seq[1:])]  # arc cost after each position
        # what the route costs in the objective (0 when empty, as in OR-Tools)
        self.cost = ctx.fixed[k] + sum(self.arcs) if m > 2 else 0
        room, cap = ctx.room[k], ctx.cap[k]
        fits = all(all(x <= r for x, r in zip(load, room if s == 0 else cap)) for s, load in enumerate(self.seg_load))
        self.ok = fits and (m == 2 or eb[m - 1] < INF)

    def _forward(self, ctx) -> tuple[list[int], list[int]]:
        """The earliest service start per position with the break still to take (``ea``) and taken (``eb``)."""
        seq, t, k = self.seq, ctx.time, self.k
        s0, s1 = ctx.shift[k]
        has_break = ctx.brk[k] is not None
        m = len(seq)
        wins = ctx.wins
        ea = [INF] * m
        eb = [INF] * m
        if has_break and m > 2:
            ea[0] = s0
        else:
            eb[0] = s0
        for p in range(1, m):
            a, u = seq[p - 1], seq[p]
            tau = t[a][u]
            x_a = ea[p - 1] + tau if ea[p - 1] < INF else INF
            x_b = eb[p - 1] + tau if eb[p - 1] < INF else INF
            if has_break and ea[p - 1] < INF:
                y = leg_with_break(ctx, k, ea[p - 1], a, u)
                if y < x_b:
                    x_b = y
            if p < m - 1:
                w = wins[u]
                ea[p] = next_start(w, x_a)
                eb[p] = next_start(w, x_b)
            else:
                ea[p] = x_a if x_a <= s1 else INF
                eb[p] = max(s0, x_b) if x_b <= s1 else INF
        return ea, eb

    def _backward(self, ctx) -> tuple[list[int], list[int]]:
        """The latest service start per position from which the rest of the route stays feasible, with
        the break still to take (``la``) and taken (``lb``)."""
        seq, t, k = self.seq, ctx.time, self.k
        s0, s1 = ctx.shift[k]
        has_break = ctx.brk[k] is not None
        m = len(seq)
        wins = ctx.wins
        la = [-INF] * m
        lb = [-INF] * m
        lb[m - 1] = s1
        for p in range(m - 2, -1, -1):
            a, b = seq[p], seq[p + 1]
            tau = t[a][b]
            y_b = lb[p + 1] - tau if lb[p + 1] > -INF else -INF
            y_a = la[p + 1] - tau if la[p + 1] > -INF else -INF
            if has_break:
                z = latest_with_break(ctx, k, a, b, lb[p + 1])
                if z > y_a:
                    y_a = z
            if p > 0:
                w = wins[a]
                lb[p] = prev_start(w, y_b)
                la[p] = prev_start(w, y_a)
            else:
                lb[p] = min(s1, y_b) if y_b >= s0 else -INF
                la[p] = min(s1, y_a) if y_a >= s0 else -INF
        return la, lb

    def _loads(self, ctx) -> None:
        """Loads per segment (a reload node starts a new one): ``segid``, ``pre``, ``seg_load``, ``reloads``."""
        seq = self.seq
        m = len(seq)
        dims = len(ctx.room[self.k])
        is_reload = ctx.is_reload
        segid = [0] * m
        pre = [(0,) * dims] * m
        seg_load = [(0,) * dims]
        seg, cur = 0, (0,) * dims
        reloads = 0
        for p in range(1, m - 1):
            u = seq[p]
            if is_reload[u]:
                seg_load[seg] = cur
                seg += 1
                reloads += 1
                seg_load.append((0,) * dims)
                cur = (0,) * dims
            else:
                dem = ctx.demand[u]
                cur = tuple(x + y for x, y in zip(cur, dem)) if dims > 1 else (cur[0] + dem[0],)
            segid[p] = seg
            pre[p] = cur
        seg_load[seg] = cur
        self.segid, self.pre, self.seg_load, self.reloads = segid, pre, seg_load, reloads

    def room_of(self, ctx, p: int) -> tuple[int, ...]:
        """The capacity of the segment of the arc leaving position ``p``."""
        return ctx.room[self.k] if self.segid[p] == 0 else ctx.cap[self.k]

    def fits_time(self, ctx, p: int, chain: list[int]) -> bool:
        """Can the nodes ``chain`` be served, in this order, between positions ``p`` and ``p + 1``?"""
        k, t, seq = self.k, ctx.time, self.seq
        has_break = ctx.brk[k] is not None
        a = seq[p]
        xa, xb = self.ea[p], self.eb[p]
        if has_break and len(seq) == 2:  # an empty route: opening it means taking the break
            xa, xb = xb, INF
        for u in chain:
            tau = t[a][u]
            na = xa + tau if xa < INF else INF
            nb = xb + tau if xb < INF else INF
            if has_break and xa < INF:
                y = leg_with_break(ctx, k, xa, a, u)
                if y < nb:
                    nb = y
            w = ctx.wins[u]
            xa, xb = next_start(w, na), next_start(w, nb)
            if xa >= INF and xb >= INF:
                return False
            a = u
        b = seq[p + 1]
        tau = t[a][b]
        if xb < INF and xb + tau <= self.lb[p + 1]:
            return True
        if xa < INF:
            if xa + tau <= self.la[p + 1]:
                return True
            if has_break and leg_with_break(ctx, k, xa, a, b) <= self.lb[p + 1]:
                return True
        return False
