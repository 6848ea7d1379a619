"""Solving with OR-Tools: ``run(problem, visit_idx, allowed, options, ...) -> RawResult``.

``run`` builds the RoutingModel of the visits ``visit_idx`` (``model_build.py``), searches it
(``model_search.py``) and extracts the routes of the used vehicles as visit orders plus OR-Tools'
times (``RawRoute``; ``RELOAD`` marks an unloading stop), which ``schedule.py`` re-times in pure
Python so arrivals are tight and waiting is explicit. A reload right before the end is dropped from
the extracted route when going straight home is no longer (distance and time).

The OR-Tools side of the solver, by file: ``model_build.py`` (nodes, arc costs, capacity and
reloads, the time dimension, breaks, balance, locked sequences), ``model_params.py`` (search
parameters), ``model_assignments.py`` (plans <-> assignments, the warm start), ``model_search.py``
(first solution, the search phases, ``SolveOptions.progress``), ``lns_python.py`` (the Python
ruin-and-recreate and its OR-Tools polish, ``fast_context``: which models it covers) and
``lns_ortools.py`` (the OR-Tools-driven ruin-and-recreate for the rest).

Search: with a ``solution_limit``, one plain search (first solution + guided local search); it
has no random seed in OR-Tools and is deterministic for the same problem and options. Stopped by
the time limit only (``deadline`` given), guided local search runs for the first 10 % of the
time and ruin-and-recreate for the rest; for that, mandatory visits get a disjunction with a huge
penalty (``model_build.LNS_PENALTY``) so that a partly destroyed plan is a valid assignment. For the
models ``lns_python.fast_context`` covers (capacity, unloading trips, windows, one lunch break per
van, optional visits, shifts, locks; not work-time limits, balancing or unreachable arcs) the loop
runs in pure Python (``ruin_recreate.search``: cluster or string ruins, cheapest-insertion recreate) and
OR-Tools only polishes the best plan by a greedy descent every 2 s. ``SolveOptions.seed`` only seeds
the ruin choices. ``member`` > 0 selects a portfolio member's alternative configuration (used by
``portfolio.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .model_build import BuiltModel, build
from .model_search import search
from .problem import Problem, Vehicle
from .result import SolveOptions

# In ``RawRoute.visits``: an unloading stop at the vehicle's reload location.
RELOAD = -1


@dataclass
class RawRoute:
    """What the search decided for one used vehicle: order, and OR-Tools' times."""

    vehicle: int  # index into problem.vehicles
    visits: list[int]  # indices into problem.visits, in order; RELOAD marks an unloading stop
    start_time: int  # start cumul (departure)
    service_starts: list[int]  # time cumul at each visit
    end_time: int  # end cumul
    breaks: list[tuple[int, int]]  # (index into vehicle.breaks, start) of performed breaks


@dataclass
class RawResult:
    found: bool
    routes: list[RawRoute]
    dropped: list[int]  # visit indices not served
    objective: int = 0  # OR-Tools' objective value (arc costs + fixed costs + penalties)
    workers: int = 1  # searches that gave a result (solver/portfolio.py)
    worker_failures: tuple[str, ...] = ()  # why the others gave none, in plain words


def run(
    problem: Problem,
    visit_idx: list[int],
    allowed: dict[int, list[int]],
    options: SolveOptions,
    mandatory_penalty: int | None = None,
    member: int = 0,
    deadline: float | None = None,
) -> RawResult:
    """Solve the routing problem over the visits ``visit_idx`` (indices into problem.visits).

    ``allowed[i]`` lists the vehicle indices that may serve visit i. Mandatory visits get no
    disjunction unless ``mandatory_penalty`` is given (used for the "what would be dropped" re-solve).
    ``member`` selects the portfolio member's search parameters; ``deadline`` (``time.time()``)
    caps the search so that building the model counts against the time limit.
    """
    # Ruin-and-recreate after the first part of the search (only when stopped by time: a run with a
    # solution_limit stays the plain, deterministic search). It needs every visit optional (a huge
    # penalty for mandatory ones) so that a partly destroyed plan is a valid assignment.
    # Above ~400 visits each repair descent is too slow to pay off (X-n1001 at 60 s: +14.5 % with,
    # +9.8 % without), so large problems keep the plain guided local search.
    tuning = options.search
    lns = (
        deadline is not None
        and options.solution_limit is None
        and tuning.lns
        and len(visit_idx) <= tuning.lns_max_visits
    )
    m = build(problem, visit_idx, allowed, mandatory_penalty, lns)
    if m is None:
        return RawResult(True, [], list(visit_idx))
    assignment = search(m, options, member, deadline, lns)
    if assignment is None:
        return RawResult(False, [], list(visit_idx))
    return _extract(m, assignment)


def _extract(m: BuiltModel, assignment: Any) -> RawResult:
    """The routes of the used vehicles (visit orders and OR-Tools' times) and the dropped visits."""
    routing, manager, time = m.routing, m.manager, m.time
    intervals_by_name = {}
    if m.break_vars:
        container = assignment.IntervalVarContainer()
        for j in range(container.Size()):
            el = container.Element(j)
            intervals_by_name[el.Var().Name()] = el
    routes: list[RawRoute] = []
    served: set[int] = set()
    for k, v in enumerate(m.vehicles):
        index = routing.Start(k)
        start_time = assignment.Value(time.CumulVar(index))
        order_: list[int] = []
        starts_: list[int] = []
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            order_.append(m.visit_idx[node] if node < m.n_vis else RELOAD)
            starts_.append(assignment.Value(time.CumulVar(index)))
            index = assignment.Value(routing.NextVar(index))
        if not any(i != RELOAD for i in order_):
            continue
        if order_[-1] == RELOAD and len(order_) > 1 and _useless_last_reload(m.problem, v, order_[-2]):
            order_.pop()
            starts_.pop()
        end_time = assignment.Value(time.CumulVar(index))
        brks: list[tuple[int, int]] = []
        for bi, iv in enumerate(m.break_vars.get(k, [])):
            el = intervals_by_name.get(iv.Name())
            if el is not None and el.PerformedValue():
                brks.append((bi, el.StartValue()))
        served.update(i for i in order_ if i != RELOAD)
        routes.append(RawRoute(m.vehicle_of[k], order_, start_time, starts_, end_time, brks))
    dropped = [i for i in m.visit_idx if i not in served]
    return RawResult(True, routes, dropped, assignment.ObjectiveValue())


def _useless_last_reload(problem: Problem, v: Vehicle, last_visit: int) -> bool:
    """A reload right before the end is useless if going straight home is no longer."""
    a, r, e = problem.visits[last_visit].location, v.reload_location, v.end
    assert r is not None  # (only asked about a vehicle that unloads)
    return all(m[a][e] <= m[a][r] + m[r][e] for m in (problem.distances, problem.durations))
