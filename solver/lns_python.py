"""Ruin-and-recreate in pure Python (``ruin_recreate.search``), with OR-Tools polishing the best plan.

``fast_context(m)``: the data ``insertion.py`` works on, read off a built model, or None when the model
has what the Python labels do not handle (then ``lns_ortools.py`` runs instead): more than one
break for a van, a work-time limit, fair-work balancing, unreachable arcs. Capacity, unloading trips,
several windows per visit, a lunch break per van, optional visits, mid-day starts and locked
sequences (their visits stay where the first solution put them) are handled.

``python_lns(m, assignment, options, params, fast, deadline, rng, thr0, kmax, stopped)``: the Python
loop until ``deadline`` (``time.time()``) less a reserve (10 %, at most 1.5 s), the best plan polished
every 2 s and at the end by an OR-Tools greedy descent (``params``, the repair parameters), so the
plan that leaves is an OR-Tools assignment; if every descent ran out of time, the plan is restored by
propagation (``ReadAssignmentFromRoutes``). Returns the best assignment (``assignment`` if none
better). Random choices come from ``rng`` only.
"""

from __future__ import annotations

import random
import sys
import time as _time
from collections.abc import Callable
from typing import Any

from . import insertion, ruin_recreate
from .model_assignments import nodes_assignment, routes_of
from .model_build import LNS_PENALTY, BuiltModel
from .model_params import set_time_limit
from .result import SolveOptions


def fast_context(m: BuiltModel) -> insertion.Context | None:
    """The data of the Python ruin-and-recreate, or None when the model has what it does not handle.
    Reload nodes ``first_reload + j`` belong to model vehicle ``reload_vehicle[j]``."""
    problem, vehicles, visits = m.problem, m.vehicles, m.visits
    if (
        m.complex_arcs
        or any(len(v.breaks) > 1 or v.max_work_time is not None for v in vehicles)
        or (problem.balance is not None and problem.balance.coefficient)
    ):
        return None
    n_nodes = len(m.node_loc)
    reloads: list[list[int]] = [[] for _ in vehicles]
    for j, k in enumerate(m.reload_vehicle):
        reloads[k].append(m.first_reload + j)
    node_of = {problem.visits[i].id: n for n, i in enumerate(m.visit_idx)}
    frozen = frozenset(node_of[vid] for _, seq in problem.locked_sequences for vid in seq if vid in node_of)
    vehicle_index = {v.id: m.model_vehicle[pk] for pk, v in enumerate(problem.vehicles) if pk in m.model_vehicle}
    locks = [
        (vehicle_index[vid], [node_of[x] for x in seq if x in node_of])
        for vid, seq in problem.locked_sequences
        if vid in vehicle_index
    ]
    full = ((0, m.horizon),)
    return insertion.Context(
        visit_idx=list(m.visit_idx),
        time=m.time_matrix,
        lo=[v.windows[0].start if v.windows else 0 for v in visits],
        hi=[v.windows[-1].end if v.windows else m.horizon for v in visits],
        demand=[v.demand for v in visits],
        allowed=[frozenset(m.model_vehicle[pk] for pk in m.allowed[i] if pk in m.model_vehicle) for i in m.visit_idx],
        starts=m.starts,
        ends=m.ends,
        shift=[(v.shift.start, v.shift.end) for v in vehicles],
        room=[tuple(c - x for c, x in zip(v.capacity, v.initial_load())) for v in vehicles],
        fixed=[v.fixed_cost for v in vehicles],
        cost=[m.cost_mats[(v.cost_per_km, v.cost_per_hour)] for v in vehicles],
        dist_from_start=[min(problem.distances[v.start][m.node_loc[i]] for v in vehicles) for i in range(len(visits))],
        wins=[tuple((w.start, w.end) for w in v.windows) or full for v in visits] + [full] * (n_nodes - len(visits)),
        service=list(m.node_service),
        brk=[
            (v.breaks[0].window.start, v.breaks[0].window.end, v.breaks[0].duration) if v.breaks else None
            for v in vehicles
        ],
        cap=[tuple(v.capacity) for v in vehicles],
        reloads=reloads,
        start_reload=[any(v.initial_load()) for v in vehicles],
        pen=[float(v.penalty) if v.penalty is not None else float("inf") for v in visits],
        frozen=frozen,
        locks=locks,
    )


class _Polisher:
    """``ruin_recreate.search``'s ``polish``: an OR-Tools greedy descent from a plan (visit nodes per
    vehicle) for at most 2 s (or ``limit``), keeping the best assignment met (``assignment``, ``cost``)."""

    def __init__(
        self, m: BuiltModel, assignment: Any, params: Any, deadline: float, stopped: Callable[[], bool]
    ) -> None:
        self.routing, self.manager = m.routing, m.manager
        self.params, self.deadline, self.stopped = params, deadline, stopped
        self.assignment = m.routing.solver().Assignment(assignment)
        self.cost: int = assignment.ObjectiveValue()

    def nodes(self, assignment: Any) -> list[list[int]]:
        return [[self.manager.IndexToNode(i) for i in r] for r in routes_of(self.routing, assignment)]

    def __call__(self, routes: list[list[int]], limit: float | None = None) -> tuple[list[list[int]], int] | None:
        left = self.deadline - _time.time() - 0.02
        if left <= 0.01 or self.stopped():
            return None
        set_time_limit(self.params, min(left, 2.0 if limit is None else limit))
        start = nodes_assignment(self.routing, self.manager, routes)
        sol = self.routing.SolveFromAssignmentWithParameters(start, self.params)
        if sol is None:
            return None
        obj = sol.ObjectiveValue()
        if obj <= self.cost:
            self.assignment, self.cost = self.routing.solver().Assignment(sol), obj
        return self.nodes(sol), obj

    def hand_over(self, routes: list[list[int]], cost: int) -> None:
        """Make the Python search's best plan (``routes``, ``cost``) an OR-Tools assignment: a last
        descent with the time left; if that failed, a plain restore."""
        if cost < self.cost or self.deadline - _time.time() > 0.2:  # the last descent, with the time left
            self(routes, self.deadline - _time.time())
            if self.cost > cost:  # the descent failed: restore the plan as it is
                self.params.solution_limit = 1
                self(routes, 1.0)
        if self.cost > cost:
            # Still not transferred (every descent ran out of wall time: a large day on a busy CPU): OR-Tools
            # restores the plan by propagation alone, no time limit, and refuses it if it is infeasible.
            manager = self.manager
            restored = self.routing.ReadAssignmentFromRoutes(
                [[manager.NodeToIndex(n) for n in r] for r in routes], True
            )
            if restored is not None and restored.ObjectiveValue() < self.cost:
                self.assignment, self.cost = self.routing.solver().Assignment(restored), restored.ObjectiveValue()


def python_lns(
    m: BuiltModel,
    assignment: Any,
    options: SolveOptions,
    params: Any,
    fast: insertion.Context,
    deadline: float,
    rng: random.Random,
    thr0: float,
    kmax: int,
    stopped: Callable[[], bool],
) -> Any:
    """Ruin-and-recreate in pure Python (``ruin_recreate.search``) for simple models, the best plan
    polished every 2 s by an OR-Tools greedy descent. Returns the best assignment."""
    dist, node_loc, n_vis = m.problem.distances, m.node_loc, m.n_vis
    polish = _Polisher(m, assignment, params, deadline, stopped)
    penalty = [
        v.penalty if v.penalty is not None else LNS_PENALTY for v in (m.problem.visits[i] for i in fast.visit_idx)
    ]
    near = [sorted(range(n_vis), key=lambda j: dist[node_loc[u]][node_loc[j]])[: 4 * kmax] for u in range(n_vis)]
    reserve = min(1.5, 0.1 * max(0.0, deadline - _time.time()))
    routes, cost, iters = ruin_recreate.search(
        fast,
        polish.nodes(assignment),
        penalty,
        near,
        rng,
        deadline - reserve,
        polish,
        thr0,
        kmax,
        should_stop=stopped,
        string_share=options.search.string_share,
        granular=options.search.granular,
        retry_near=options.search.retry_near,
    )
    polish.hand_over(routes, cost)
    if options.log_search or options.search.log:
        print(
            f"python lns: {iters} iterations, best {polish.cost} (ruin size {kmax}, threshold {thr0}; python {cost})",
            file=sys.stderr,
        )
    return polish.assignment
