"""Ruin-and-recreate driven by OR-Tools, for the models the Python labels do not cover.

``ortools_lns(m, assignment, options, params, deadline, member, rng, stopped, fast)`` runs, until
``deadline`` (``time.time()``) or ``stopped()``: remove a cluster of served visits (a random visit
and up to ``SearchParams.ruin_size`` of its nearest served ones), let OR-Tools re-insert them and
descend from there (``SolveFromAssignmentWithParameters`` with ``params``, the repair parameters;
after a Python re-insertion when ``fast`` is given), accept by record-to-record travel (threshold
``SearchParams.ortools_threshold`` of the best, shrinking to 0). Returns the best assignment found
(a copy of ``assignment`` if none is better). Random choices come from ``rng`` only.
"""

from __future__ import annotations

import random
import sys
import time as _time
from collections.abc import Callable
from typing import Any

from . import insertion
from .model_assignments import indices_assignment, routes_of
from .model_build import BuiltModel
from .model_params import set_time_limit
from .result import SolveOptions


def ortools_lns(
    m: BuiltModel,
    assignment: Any,
    options: SolveOptions,
    params: Any,
    deadline: float,
    member: int,
    rng: random.Random,
    stopped: Callable[[], bool],
    fast: insertion.Context | None,
) -> Any:
    """The ruin-and-recreate loop with OR-Tools' repair (after a Python re-insertion when ``fast``)."""
    routing, manager = m.routing, m.manager
    search = options.search
    solver = routing.solver()
    best = solver.Assignment(assignment)
    best_obj = assignment.ObjectiveValue()
    cur_routes = routes_of(routing, assignment)
    cur_obj = best_obj
    near: dict[int, list[int]] = {}
    size = routing.Size()
    nexts = [routing.NextVar(i) for i in range(size)]
    t_start = _time.time()
    span = max(1e-3, deadline - t_start)
    thr0 = search.ortools_threshold
    kmax = search.ruin_size
    iters = improved = 0
    while True:
        now = _time.time()
        if now >= deadline - 0.02 or stopped():
            break
        removed = _ruin(m, cur_routes, near, kmax, rng)
        if removed is None:
            break
        kept = [[i for i in r if manager.IndexToNode(i) not in removed] for r in cur_routes]
        if fast is not None:  # re-insert the removed visits in Python (cheapest positions)
            nodes = insertion.recreate(fast, [[manager.IndexToNode(i) for i in r] for r in kept], sorted(removed), rng)
            kept = [[manager.NodeToIndex(n) for n in r] for r in nodes]
        partial = indices_assignment(routing, nexts, kept)
        set_time_limit(params, min(2.0, deadline - now - 0.02))
        sol = routing.SolveFromAssignmentWithParameters(partial, params)
        iters += 1
        if sol is None:
            continue
        obj = sol.ObjectiveValue()
        progress = min(1.0, (_time.time() - t_start) / span)
        if obj < best_obj:
            best = solver.Assignment(sol)
            best_obj = obj
            improved += 1
        if obj < cur_obj or obj <= best_obj * (1 + thr0 * (1 - progress)):
            cur_routes = routes_of(routing, sol)
            cur_obj = obj
    if options.log_search or search.log:
        print(
            f"lns member {member}: {iters} iterations, {improved} improvements, best {best_obj} "
            f"(ruin size {kmax}, threshold {thr0})",
            file=sys.stderr,
        )
    return best


def _ruin(
    m: BuiltModel, cur_routes: list[list[int]], near: dict[int, list[int]], kmax: int, rng: random.Random
) -> set[int] | None:
    """The visit nodes to remove: a random served visit and up to k (random in [kmax / 3, kmax]) of its
    nearest served visits (``near`` caches each seed's 4 x kmax nearest visits); None when fewer than 3
    visits are served."""
    manager, n_vis, node_loc, dist = m.manager, m.n_vis, m.node_loc, m.problem.distances
    served = [manager.IndexToNode(i) for r in cur_routes for i in r]
    served = [n for n in served if n < n_vis]
    if len(served) < 3:
        return None
    seed_node = rng.choice(served)
    if seed_node not in near:
        a = node_loc[seed_node]
        near[seed_node] = sorted(range(n_vis), key=lambda j: dist[a][node_loc[j]])[: 4 * kmax]
    served_set = set(served)
    k = rng.randint(max(2, kmax // 3), kmax)
    return set([n for n in near[seed_node] if n in served_set][:k])
