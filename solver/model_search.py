"""The search on a built model: first solution (or warm start), then ruin-and-recreate.

``search(m, options, member, deadline, lns)`` returns an OR-Tools assignment of ``m`` or None (nothing
found). With a ``solution_limit`` (``lns`` False): one plain search (first solution + guided local
search) over the time limit, deterministic for the same problem and options. Stopped by ``deadline``
only (``lns`` True): the plain search gets the first part of the time (``SearchParams.first_fraction``,
at least up to 1 s or half the time) or the warm start (``SolveOptions.initial_routes``) is taken as
it is; when that served fewer than 3 visits the Python search builds the first plan itself from the
empty one (if it covers the model) or else the plain search gets all the rest; then
``ruin_and_recreate`` until the deadline: the Python loop (``lns_python.py``) where its labels cover the
model, else OR-Tools' repair (``lns_ortools.py``). ``SolveOptions.seed`` and ``member`` seed its random
choices (``Random(seed * 1009 + member)``); ``member`` > 0 also selects a portfolio member's alternative
configuration. ``Progress`` is the ``SolveOptions.progress`` hook: a truthy answer stops the search.
"""

from __future__ import annotations

import random
import time as _time
from typing import Any

from . import insertion
from .lns_ortools import ortools_lns
from .lns_python import fast_context, python_lns
from .model_assignments import initial_assignment, served
from .model_build import BuiltModel
from .model_params import repair_parameters, search_parameters
from .result import SolveOptions


class Progress:
    """The ``SolveOptions.progress`` hook: an at-solution callback reporting the best cost so far;
    when the hook returns a truthy value the current search is finished and ``stopped`` is set."""

    def __init__(self, routing: Any, options: SolveOptions) -> None:
        self.routing, self.hook, self.t0 = routing, options.progress, _time.monotonic()
        self.best: int | None = None
        self.solutions = 0
        self.stopped = False
        if self.hook is not None:
            routing.AddAtSolutionCallback(self)

    def __call__(self) -> None:
        if self.stopped:
            self.routing.solver().FinishCurrentSearch()
            return
        cost = int(self.routing.CostVar().Value())
        self.solutions += 1
        self.best = cost if self.best is None else min(self.best, cost)
        info = {
            "best_cost": self.best,
            "cost": cost,
            "solutions": self.solutions,
            "elapsed_s": round(_time.monotonic() - self.t0, 3),
        }
        if self.hook is not None and self.hook(info):
            self.stopped = True
            self.routing.solver().FinishCurrentSearch()


def search(m: BuiltModel, options: SolveOptions, member: int, deadline: float | None, lns: bool) -> Any:
    """The plain search (or a warm start), then ruin-and-recreate when ``lns``; None: nothing found."""
    routing = m.routing
    params = _first_parameters(m, options, member, deadline, lns)
    watch = Progress(routing, options)
    initial = initial_assignment(
        routing, m.manager, m.problem, options, params, m.visit_idx, m.vehicles, m.first_reload, m.reload_vehicle
    )
    if initial is None:
        assignment = routing.SolveWithParameters(params)
    elif lns:  # ruin-and-recreate starts from the given plan
        assignment = initial
    else:  # (params: the whole time, as without a plan)
        assignment = routing.SolveFromAssignmentWithParameters(initial, params) or initial
    fast = None
    if lns and options.search.python_insertion:
        fast = fast_context(m)
    if _python_builds_first(m, fast, deadline, watch, assignment):
        # No first solution within the first part of the time (a short limit, or a busy machine): the
        # Python search builds one itself by cheapest insertions, from the empty plan (valid while
        # every visit is optional), far faster than OR-Tools' construction.
        assignment = routing.ReadAssignmentFromRoutes([[] for _ in range(len(m.vehicles))], True) or assignment
    if _plain_search_to_the_end(m, lns, fast, deadline, watch, assignment):
        # No first solution within the first part of the time, or one cut short (the construction stopped
        # by the time limit leaves the rest of the visits out, and ruin-and-recreate needs served visits to
        # work on): give the plain search all the rest, no LNS.
        assert deadline is not None
        lns = False
        params = search_parameters(m.problem, options, bool(m.reload_vehicle), member, deadline - _time.time())
        assignment = routing.SolveWithParameters(params)
    if assignment is None or not lns:
        return assignment
    assert deadline is not None
    return ruin_and_recreate(m, assignment, options, deadline, member, watch, fast)


def _first_parameters(m: BuiltModel, options: SolveOptions, member: int, deadline: float | None, lns: bool) -> Any:
    """The plain search's parameters: the time left (at least 10 % of the limit), or with ``lns``
    only its first part."""
    problem, reloads = m.problem, bool(m.reload_vehicle)
    limit_s = options.time_limit_s
    if deadline is not None:
        limit_s = max(0.1 * limit_s, min(limit_s, deadline - _time.time()))
    params = search_parameters(problem, options, reloads, member, limit_s)
    if lns:  # the first part of the time for the plain search, the rest for ruin-and-recreate
        assert deadline is not None
        remaining = max(0.0, deadline - _time.time())
        # a short solve (or a slow machine) needs its first solution before anything else: up to a second,
        # or half the time, for the plain search
        first_s = max(0.1, options.search.first_fraction * remaining, min(0.5 * remaining, 1.0))
        params = search_parameters(problem, options, reloads, member, min(limit_s, first_s))
    return params


def _python_builds_first(
    m: BuiltModel, fast: insertion.Context | None, deadline: float | None, watch: Progress, assignment: Any
) -> bool:
    """Should the Python search build the first plan from the empty one (there is time, and the
    first solution is missing or serves fewer than 3 visits)?"""
    return (
        fast is not None
        and deadline is not None
        and deadline - _time.time() > 0.1
        and not watch.stopped
        and (assignment is None or served(m.routing, m.manager, assignment, m.n_vis) < min(3, m.n_vis))
    )


def _plain_search_to_the_end(
    m: BuiltModel,
    lns: bool,
    fast: insertion.Context | None,
    deadline: float | None,
    watch: Progress,
    assignment: Any,
) -> bool:
    """Should the plain search get all the time left instead of ruin-and-recreate (no first solution,
    or, without the Python search, one serving fewer than 3 visits)?"""
    return (
        lns
        and deadline is not None
        and deadline - _time.time() > 0.1
        and not watch.stopped
        and (
            assignment is None or (fast is None and served(m.routing, m.manager, assignment, m.n_vis) < min(3, m.n_vis))
        )
    )


def ruin_and_recreate(
    m: BuiltModel,
    assignment: Any,
    options: SolveOptions,
    deadline: float,
    member: int,
    watch: Progress,
    fast: insertion.Context | None,
) -> Any:
    """Iterated ruin-and-recreate until ``deadline``: in Python where ``fast`` is given (and
    ``SearchParams.repair`` is "py"), else with OR-Tools re-inserting the removed visits. Returns the
    best assignment found (``assignment`` if none better)."""
    rng = random.Random(options.seed * 1009 + member)
    params = repair_parameters(m.problem, options, member)
    search = options.search

    def stopped() -> bool:
        return watch.stopped

    if fast is not None and search.repair == "py":
        # Many more iterations than the OR-Tools repair, and a wider threshold. With time windows,
        # 0.3 % of the best (the first setting) let every seed end in the same local optimum on R2 /
        # RC1 Solomon instances (R204 +3.4 %, RC103 +4-5 %); 5 % (shrinking to 0) walks far enough to
        # leave it (both ~0-1 %): portfolio member 0 walks that wide, member 1 stays within 1 %.
        # Without windows 5 % is too hot (X 100-300: mean gap 2.1 % against 1.4 % at 1 %; X-n1001
        # decomposed into one-worker sector solves: +6.6 % against +4.8 %): 1 % for every member.
        timed = any(m.problem.visits[i].windows for i in fast.visit_idx)
        thrs = search.python_thresholds(timed)
        thr_py = thrs[member % len(thrs)]
        return python_lns(m, assignment, options, params, fast, deadline, rng, thr_py, search.ruin_size, stopped)
    if search.repair == "ort":
        fast = None
    return ortools_lns(m, assignment, options, params, deadline, member, rng, stopped, fast)
