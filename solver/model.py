"""The one place that builds and runs the OR-Tools RoutingModel.

Node layout: one node per modelled visit (0..n-1), then one node per distinct depot location
used as a vehicle start or end (OR-Tools duplicates depot nodes per vehicle internally), then, per
vehicle with a ``reload_location``, ``max_reloads`` optional reload nodes at that location.

Reloads (unloading trips), the OR-Tools "cvrp_reload" pattern: a reload node may only be visited
by its own vehicle (VehicleVar in {-1, k}, disjunction with penalty 0, so it costs only the
detour); its demand is -C_d in each capacity dimension d (C_d = the largest capacity) and the
capacity dimensions get a slack of up to C_d, forced to 0 everywhere but at reload nodes: the load
after a reload can be anything in [0, load before], and the search uses a reload only when the
capacity makes it worth its detour. Arcs reload -> reload are removed (useless), and so are
start -> reload unless the van starts loaded (``Vehicle.start_load``: the capacity dimensions'
start cumuls are fixed to it, so a van may unload before its first visit). Reload -> end is
kept on purpose: a reload "parked" just before the end costs nothing when the van ends where it unloads, and from there a single relocate move can put a visit after
it (without it, using a reload needs two simultaneous moves, which the local search never makes).
Such a trailing reload is dropped from the extracted route when going straight home is no longer
(distance and time). A reload node's time transit includes ``reload_service``, and breaks cannot
overlap it.

Time dimension: cumul at a visit = service start; transit(i, j) = service(i) + travel(i, j);
slack = waiting (and break time). Routes are extracted as visit orders (plus OR-Tools' times)
and re-timed in pure Python by ``schedule.py`` so arrivals are tight and waiting is explicit.

Search: with a ``solution_limit``, one plain search (first solution + guided local search); it
has no random seed in OR-Tools and is deterministic for the same problem and options. Stopped by
the time limit only (``deadline`` given), guided local search runs for the first 10 % of the
time and ruin-and-recreate (``_ruin_and_recreate``) for the rest; for that, mandatory visits get
a disjunction with a huge penalty (``_LNS_PENALTY``) so that a partly destroyed plan is a valid
assignment. For simple models (``_fast_context``: capacity, one window per visit, shifts) the
loop runs in pure Python (``insertion.search``: cluster or string ruins, cheapest-insertion
recreate) and OR-Tools only polishes the best plan by a greedy descent every 2 s
(``_python_lns``). ``SolveOptions.seed`` only seeds the ruin choices. ``member`` > 0 selects a portfolio
member's alternative configuration (``_alternative``, used by ``portfolio.py``).
"""

from __future__ import annotations

import random as _random
import sys as _sys
import time as _time
from dataclasses import dataclass, field
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from . import insertion as _insertion
from .problem import Problem, ProblemError, Vehicle, Visit, is_unreachable
from .result import SolveOptions

_FSS = routing_enums_pb2.FirstSolutionStrategy
_LSM = routing_enums_pb2.LocalSearchMetaheuristic

# Penalty of a mandatory visit while ruin-and-recreate is on (never worth dropping when servable).
_LNS_PENALTY = 10**12

# Value of a local search operator switched off (OptionalBoolean.BOOL_FALSE).
_BOOL_FALSE = 2

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


def _cost(dist: int, dur: int, per_km: int, per_hour: int) -> int:
    return dist * per_km // 1000 + dur * per_hour // 3600


def _first_solution(problem: Problem, options: SolveOptions) -> int:
    name = (options.first_solution or "auto").upper()
    if name != "AUTO":
        value = getattr(_FSS, name, None)
        if not isinstance(value, int):
            raise ProblemError(f"options.first_solution: unknown strategy {options.first_solution!r}")
        return value
    timed = any(v.windows for v in problem.visits) or any(v.breaks for v in problem.vehicles)
    if timed or problem.locked_sequences:
        return int(_FSS.PARALLEL_CHEAPEST_INSERTION)
    return int(_FSS.PATH_CHEAPEST_ARC)


def _search_parameters(
    problem: Problem, options: SolveOptions, reloads: bool, member: int = 0, time_limit_s: float | None = None
) -> Any:
    """Search parameters of portfolio member ``member`` (0 = the default, single-worker search)."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = _first_solution(problem, options)
    params.local_search_metaheuristic = _LSM.GUIDED_LOCAL_SEARCH
    if member:
        _alternative(problem, options, params, member)
    limit_s = options.time_limit_s if time_limit_s is None else time_limit_s
    limit_ms = max(1, int(limit_s * 1000))
    params.time_limit.seconds = limit_ms // 1000
    params.time_limit.nanos = (limit_ms % 1000) * 1_000_000
    if options.solution_limit is not None:
        params.solution_limit = options.solution_limit
    params.log_search = options.log_search
    return params


def _alternative(problem: Problem, options: SolveOptions, params: Any, member: int) -> None:
    """Portfolio members 1, 2, ...: differently configured searches (see ``portfolio.py``)."""
    timed = any(v.windows for v in problem.visits) or any(v.breaks for v in problem.vehicles)
    auto = (options.first_solution or "auto").upper() == "AUTO"
    if auto and not timed and not problem.locked_sequences:
        params.first_solution_strategy = _FSS.SAVINGS
    elif auto:
        params.first_solution_strategy = _FSS.LOCAL_CHEAPEST_INSERTION


def _served(routing: Any, manager: Any, assignment: Any, n_vis: int) -> int:
    """How many visits (not unloading stops) an assignment serves."""
    return sum(1 for r in _routes_of(routing, assignment) for i in r if manager.IndexToNode(i) < n_vis)


def _routes_of(routing: Any, assignment: Any) -> list[list[int]]:
    """Per vehicle, the indices visited (start and end excluded)."""
    out = []
    for k in range(routing.vehicles()):
        route = []
        index = assignment.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(index):
            route.append(index)
            index = assignment.Value(routing.NextVar(index))
        out.append(route)
    return out


class _Progress:
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


def _ruin_and_recreate(
    routing: Any,
    manager: Any,
    assignment: Any,
    problem: Problem,
    options: SolveOptions,
    n_vis: int,
    node_loc: list[int],
    deadline: float,
    member: int,
    watch: _Progress | None = None,
    fast: _insertion.Context | None = None,
) -> Any:
    """Iterated ruin-and-recreate around OR-Tools until ``deadline``: remove a cluster of served
    visits (a random visit and its nearest served neighbours), let OR-Tools re-insert them and
    run a greedy local search from there (``SolveFromAssignmentWithParameters``), accept by
    record-to-record travel. Returns the best assignment found (``assignment`` if none better).
    Simple models (``fast`` given) run the loop in Python (``_python_lns``)."""
    rng = _random.Random(options.seed * 1009 + member)
    params = _repair_parameters(problem, options, member, n_vis)
    search = options.search
    if fast is not None and search.repair == "py":
        # Many more iterations than the OR-Tools repair, and a wider threshold. With time windows,
        # 0.3 % of the best (the first setting) let every seed end in the same local optimum on R2 /
        # RC1 Solomon instances (R204 +3.4 %, RC103 +4-5 %); 5 % (shrinking to 0) walks far enough to
        # leave it (both ~0-1 %): portfolio member 0 walks that wide, member 1 stays within 1 %.
        # Without windows 5 % is too hot (X 100-300: mean gap 2.1 % against 1.4 % at 1 %; X-n1001
        # decomposed into one-worker sector solves: +6.6 % against +4.8 %): 1 % for every member.
        timed = any(problem.visits[i].windows for i in fast.visit_idx)
        thrs = search.python_thresholds(timed)
        thr_py = thrs[member % len(thrs)]
        return _python_lns(
            routing,
            manager,
            assignment,
            problem,
            options,
            params,
            fast,
            n_vis,
            node_loc,
            deadline,
            rng,
            thr_py,
            search.ruin_size,
            watch,
        )
    if search.repair == "ort":
        fast = None
    return _ortools_lns(
        routing, manager, assignment, problem, options, params, n_vis, node_loc, deadline, member, rng, watch, fast
    )


def _indices_assignment(routing: Any, nexts: list[Any], routes: list[list[int]]) -> Any:
    """A complete assignment of the NextVars ``nexts``: ``routes`` (indices per vehicle), every
    other index (the removed visits too) inactive: next = itself."""
    partial = routing.solver().Assignment()
    on_route = set()
    for k, r in enumerate(routes):
        chain = [routing.Start(k)] + r + [routing.End(k)]
        for a, b in zip(chain, chain[1:]):
            partial.Add(nexts[a])
            partial.SetValue(nexts[a], b)
            on_route.add(a)
    for i in range(len(nexts)):
        if i not in on_route:
            partial.Add(nexts[i])
            partial.SetValue(nexts[i], i)
    return partial


def _repair_parameters(problem: Problem, options: SolveOptions, member: int, n_vis: int) -> Any:
    """Search parameters of the repair descents: cheapest insertion, then a greedy descent."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.CopyFrom(_search_parameters(problem, options, False, member, 1.0))
    params.first_solution_strategy = _FSS.LOCAL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = _LSM.GREEDY_DESCENT
    params.solution_limit = 2**62
    search = options.search
    if search.repair_operators == "light":
        # The repair descent only needs the classic moves: proving a local optimum with OR-Tools'
        # insertion-based LNS operators takes seconds per iteration on 200 visits.
        ops = params.local_search_operators
        for name in search.heavy_operators:
            setattr(ops, name, _BOOL_FALSE)
    n_neighbors = search.repair_neighbors
    if n_neighbors and n_vis > n_neighbors:  # local search moves only towards the nearest nodes
        params.ls_operator_neighbors_ratio = n_neighbors / n_vis
        params.ls_operator_min_neighbors = n_neighbors
    return params


def _ortools_lns(
    routing: Any,
    manager: Any,
    assignment: Any,
    problem: Problem,
    options: SolveOptions,
    params: Any,
    n_vis: int,
    node_loc: list[int],
    deadline: float,
    member: int,
    rng: _random.Random,
    watch: _Progress | None,
    fast: _insertion.Context | None,
) -> Any:
    """The ruin-and-recreate loop with OR-Tools' repair (after a Python re-insertion when ``fast``)."""
    dist = problem.distances
    search = options.search
    solver = routing.solver()
    best = solver.Assignment(assignment)
    best_obj = assignment.ObjectiveValue()
    cur_routes = _routes_of(routing, assignment)
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
        if now >= deadline - 0.02 or (watch is not None and watch.stopped):
            break
        served = [manager.IndexToNode(i) for r in cur_routes for i in r]
        served = [n for n in served if n < n_vis]
        if len(served) < 3:
            break
        seed_node = rng.choice(served)
        if seed_node not in near:
            a = node_loc[seed_node]
            near[seed_node] = sorted(range(n_vis), key=lambda j: dist[a][node_loc[j]])[: 4 * kmax]
        served_set = set(served)
        k = rng.randint(max(2, kmax // 3), kmax)
        removed = set([n for n in near[seed_node] if n in served_set][:k])
        kept = [[i for i in r if manager.IndexToNode(i) not in removed] for r in cur_routes]
        if fast is not None:  # re-insert the removed visits in Python (cheapest positions)
            nodes = _insertion.recreate(fast, [[manager.IndexToNode(i) for i in r] for r in kept], sorted(removed), rng)
            kept = [[manager.NodeToIndex(n) for n in r] for r in nodes]
        partial = _indices_assignment(routing, nexts, kept)
        limit = min(2.0, deadline - now - 0.02)
        params.time_limit.seconds = int(limit)
        params.time_limit.nanos = int((limit - int(limit)) * 1e9)
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
            cur_routes = _routes_of(routing, sol)
            cur_obj = obj
    if options.log_search or search.log:
        print(
            f"lns member {member}: {iters} iterations, {improved} improvements, best {best_obj} "
            f"(ruin size {kmax}, threshold {thr0})",
            file=_sys.stderr,
        )
    return best


# Issue 21 is reworking _fast_context: it is formatted once that has landed.
# fmt: off
def _fast_context(
    problem: Problem, vehicles: list[Vehicle], visits: list[Visit], visit_idx: list[int], allowed: dict[int, list[int]],
    model_vehicle: dict[int, int], node_loc: list[int], starts: list[int], ends: list[int], time_matrix: list[list[int]],
    cost_mats: dict[tuple[int, int], list[list[int]]], horizon: int, complex_arcs: bool,
) -> _insertion.Context | None:
    """The data of the Python re-insertion (``insertion.py``), or None when the model has more
    than capacity, one window per visit and shifts (then OR-Tools re-inserts the visits itself)."""
    if (
        complex_arcs
        or problem.locked_sequences
        or any(v.breaks or v.max_work_time is not None for v in vehicles)
        or any(len(v.windows) > 1 for v in visits)
    ):
        return None
    k_of = {pk: k for pk, k in model_vehicle.items()}
    if problem.balance is not None and problem.balance.coefficient:
        return None
    return _insertion.Context(
        visit_idx=list(visit_idx),
        time=time_matrix,
        lo=[v.windows[0].start if v.windows else 0 for v in visits],
        hi=[v.windows[0].end if v.windows else horizon for v in visits],
        demand=[v.demand for v in visits],
        allowed=[frozenset(k_of[pk] for pk in allowed[i] if pk in k_of) for i in visit_idx],
        starts=starts,
        ends=ends,
        shift=[(v.shift.start, v.shift.end) for v in vehicles],
        room=[tuple(c - x for c, x in zip(v.capacity, v.initial_load())) for v in vehicles],
        fixed=[v.fixed_cost for v in vehicles],
        cost=[cost_mats[(v.cost_per_km, v.cost_per_hour)] for v in vehicles],
        dist_from_start=[
            min(problem.distances[v.start][node_loc[i]] for v in vehicles) for i in range(len(visits))
        ],
    )
# fmt: on


def _nodes_assignment(routing: Any, manager: Any, routes: list[list[int]]) -> Any:
    """A complete assignment of the NextVars: ``routes`` (visit nodes per vehicle), every other
    node inactive."""
    partial = routing.solver().Assignment()
    on_route = set()
    for k, r in enumerate(routes):
        chain = [routing.Start(k)] + [manager.NodeToIndex(n) for n in r] + [routing.End(k)]
        for a, b in zip(chain, chain[1:]):
            var = routing.NextVar(a)
            partial.Add(var)
            partial.SetValue(var, b)
            on_route.add(a)
    for i in range(routing.Size()):
        if i not in on_route:
            var = routing.NextVar(i)
            partial.Add(var)
            partial.SetValue(var, i)
    return partial


def _python_lns(
    routing: Any,
    manager: Any,
    assignment: Any,
    problem: Problem,
    options: SolveOptions,
    params: Any,
    fast: _insertion.Context,
    n_vis: int,
    node_loc: list[int],
    deadline: float,
    rng: _random.Random,
    thr0: float,
    kmax: int,
    watch: _Progress | None,
) -> Any:
    """Ruin-and-recreate in pure Python (``insertion.search``) for simple models, the best plan
    polished every 2 s by an OR-Tools greedy descent. Returns the best assignment."""
    dist = problem.distances
    best = {"assignment": routing.solver().Assignment(assignment), "cost": assignment.ObjectiveValue()}

    def to_nodes(a: Any) -> list[list[int]]:
        return [[manager.IndexToNode(i) for i in r] for r in _routes_of(routing, a)]

    def polish(routes: list[list[int]], limit: float | None = None) -> tuple[list[list[int]], int] | None:
        left = deadline - _time.time() - 0.02
        if left <= 0.01 or (watch is not None and watch.stopped):
            return None
        lim = min(left, 2.0 if limit is None else limit)
        params.time_limit.seconds = int(lim)
        params.time_limit.nanos = int((lim - int(lim)) * 1e9)
        sol = routing.SolveFromAssignmentWithParameters(_nodes_assignment(routing, manager, routes), params)
        if sol is None:
            return None
        obj = sol.ObjectiveValue()
        if obj <= best["cost"]:
            best["assignment"], best["cost"] = routing.solver().Assignment(sol), obj
        return to_nodes(sol), obj

    penalty = [
        v.penalty if v.penalty is not None else _LNS_PENALTY for v in (problem.visits[i] for i in fast.visit_idx)
    ]
    near = [sorted(range(n_vis), key=lambda j: dist[node_loc[u]][node_loc[j]])[: 4 * kmax] for u in range(n_vis)]
    reserve = min(1.5, 0.1 * max(0.0, deadline - _time.time()))
    routes, cost, iters = _insertion.search(
        fast,
        to_nodes(assignment),
        penalty,
        near,
        rng,
        deadline - reserve,
        polish,
        thr0,
        kmax,
        should_stop=lambda: watch is not None and watch.stopped,
        string_share=options.search.string_share,
        granular=options.search.granular,
    )
    if cost < best["cost"] or deadline - _time.time() > 0.2:  # the last descent, with the time left
        polish(routes, deadline - _time.time())
        if best["cost"] > cost:  # the descent failed: restore the plan as it is
            params.solution_limit = 1
            polish(routes, 1.0)
    if options.log_search or options.search.log:
        print(
            f"python lns: {iters} iterations, best {best['cost']} (ruin size {kmax}, threshold {thr0})",
            file=_sys.stderr,
        )
    return best["assignment"]


def _initial_assignment(
    routing: Any,
    manager: Any,
    problem: Problem,
    options: SolveOptions,
    params: Any,
    visit_idx: list[int],
    vehicles: list[Vehicle],
    first_reload: int,
    reload_vehicle: list[int],
) -> Any:
    """``options.initial_routes`` as an assignment of the model, or None (none given, or not a
    feasible plan of this model: then the search builds its own first solution)."""
    if not options.initial_routes:
        return None
    node_of = {problem.visits[i].id: n for n, i in enumerate(visit_idx)}
    k_of = {v.id: k for k, v in enumerate(vehicles)}
    reloads: dict[int, list[int]] = {}  # model vehicle -> its unloading nodes, in order
    for j, k in enumerate(reload_vehicle):
        reloads.setdefault(k, []).append(first_reload + j)
    routes: list[list[int]] = [[] for _ in vehicles]
    for vehicle_id, seq in options.initial_routes:
        mk = k_of.get(vehicle_id)
        if mk is None:  # a vehicle that cannot even drive home is not modelled
            if any(x in node_of for x in seq):
                return None
            continue
        free = list(reloads.get(mk, ()))
        nodes = []
        for x in seq:
            if x is None:  # an unloading stop: the vehicle's next unloading node
                if not free:
                    return None
                nodes.append(free.pop(0))
            elif x in node_of:  # (visits the precheck left out are not modelled)
                nodes.append(node_of[x])
        routes[mk] = [manager.NodeToIndex(n) for n in nodes]
    routing.CloseModelWithParameters(params)
    return routing.ReadAssignmentFromRoutes(routes, True)


def _useless_last_reload(problem: Problem, v: Vehicle, last_visit: int) -> bool:
    """A reload right before the end is useless if going straight home is no longer."""
    a, r, e = problem.visits[last_visit].location, v.reload_location, v.end
    assert r is not None  # (only asked about a vehicle that unloads)
    return all(m[a][e] <= m[a][r] + m[r][e] for m in (problem.distances, problem.durations))


def _can_drive_home(problem: Problem, v: Vehicle) -> bool:
    """Can the vehicle drive straight from its start to its end within its shift / work time?"""
    d = problem.durations[v.start][v.end]
    if v.start != v.end and (is_unreachable(d) or is_unreachable(problem.distances[v.start][v.end])):
        return False
    return v.shift.start + d <= v.shift.end and (v.max_work_time is None or d <= v.max_work_time)


@dataclass
class _Model:
    """A built RoutingModel and what the search and the route extraction need of it.

    Model vehicle k is ``problem.vehicles[vehicle_of[k]]``; node n < n_vis is the visit
    ``visit_idx[n]``, then one node per depot location, then the reload nodes (node
    ``first_reload + j`` belongs to model vehicle ``reload_vehicle[j]``).
    """

    problem: Problem
    visit_idx: list[int]
    allowed: dict[int, list[int]]
    vehicle_of: list[int]
    model_vehicle: dict[int, int]
    vehicles: list[Vehicle]
    visits: list[Visit]
    node_loc: list[int]
    node_service: list[int]
    first_reload: int
    reload_vehicle: list[int]
    starts: list[int]
    ends: list[int]
    manager: Any
    routing: Any
    cost_mats: dict[tuple[int, int], list[list[int]]] = field(default_factory=dict)
    complex_arcs: bool = False  # some arcs are unreachable
    horizon: int = 0
    time_matrix: list[list[int]] = field(default_factory=list)
    time: Any = None  # the time dimension
    break_vars: dict[int, list[Any]] = field(default_factory=dict)

    @property
    def n_vis(self) -> int:
        return len(self.visits)


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
    search = options.search
    lns = (
        deadline is not None
        and options.solution_limit is None
        and search.lns
        and len(visit_idx) <= search.lns_max_visits
    )
    m = _build(problem, visit_idx, allowed, mandatory_penalty, lns)
    if m is None:
        return RawResult(True, [], list(visit_idx))
    assignment = _search(m, options, member, deadline, lns)
    if assignment is None:
        return RawResult(False, [], list(visit_idx))
    return _extract(m, assignment)


def _build(
    problem: Problem, visit_idx: list[int], allowed: dict[int, list[int]], mandatory_penalty: int | None, lns: bool
) -> _Model | None:
    """The RoutingModel of these visits (None: no vehicle can be used or there is no visit)."""
    # Only vehicles that can at least drive start -> end within their shift are modelled: OR-Tools
    # applies the time dimension to empty routes too, so a "dead" vehicle would make the whole
    # model infeasible. ``vehicle_of[k]`` maps model vehicle k to its index in problem.vehicles.
    vehicle_of = [k for k, v in enumerate(problem.vehicles) if _can_drive_home(problem, v)]
    vehicles = [problem.vehicles[k] for k in vehicle_of]
    visits = [problem.visits[i] for i in visit_idx]
    n_vis = len(visits)
    if not vehicles or n_vis == 0:
        return None
    depots = sorted({v.start for v in vehicles} | {v.end for v in vehicles})
    depot_node = {loc: n_vis + k for k, loc in enumerate(depots)}
    node_loc = [v.location for v in visits] + depots
    node_service = [v.service for v in visits] + [0] * len(depots)
    first_reload = len(node_loc)
    reload_vehicle: list[int] = []  # model vehicle of each reload node (node first_reload + j)
    for k, v in enumerate(vehicles):
        if v.reload_location is not None:
            for _ in range(v.max_reloads):
                reload_vehicle.append(k)
                node_loc.append(v.reload_location)
                node_service.append(v.reload_service)
    starts = [depot_node[v.start] for v in vehicles]
    ends = [depot_node[v.end] for v in vehicles]
    manager = pywrapcp.RoutingIndexManager(len(node_loc), len(vehicles), starts, ends)
    m = _Model(
        problem=problem,
        visit_idx=visit_idx,
        allowed=allowed,
        vehicle_of=vehicle_of,
        model_vehicle={pk: k for k, pk in enumerate(vehicle_of)},
        vehicles=vehicles,
        visits=visits,
        node_loc=node_loc,
        node_service=node_service,
        first_reload=first_reload,
        reload_vehicle=reload_vehicle,
        starts=starts,
        ends=ends,
        manager=manager,
        routing=pywrapcp.RoutingModel(manager),
    )
    _add_arc_costs(m)
    _forbid_unreachable(m)
    _add_reload_nodes(m)
    _add_capacities(m)
    _add_time(m, mandatory_penalty, lns)
    _add_balance(m)
    _add_breaks(m)
    _add_locked_sequences(m)
    return m


def _add_arc_costs(m: _Model) -> None:
    """One transit matrix per distinct (cost_per_km, cost_per_hour); fixed costs."""
    dist, dur, routing = m.problem.distances, m.problem.durations, m.routing
    cost_cb: dict[tuple[int, int], int] = {}
    for k, v in enumerate(m.vehicles):
        key = (v.cost_per_km, v.cost_per_hour)
        if key not in cost_cb:
            km, hr = key
            matrix = [[_cost(dist[a][b], dur[a][b], km, hr) for b in m.node_loc] for a in m.node_loc]
            cost_cb[key] = routing.RegisterTransitMatrix(matrix)
            m.cost_mats[key] = matrix
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[key], k)
        if v.fixed_cost:
            routing.SetFixedCostOfVehicle(v.fixed_cost, k)


def _forbid_unreachable(m: _Model) -> None:
    """Remove the unreachable arcs (an empty route start -> end is always allowed)."""
    dist, dur, routing, manager, node_loc = m.problem.distances, m.problem.durations, m.routing, m.manager, m.node_loc
    bad_locs = {
        (a, b)
        for a in set(node_loc)
        for b in set(node_loc)
        if a != b and (is_unreachable(dur[a][b]) or is_unreachable(dist[a][b]))
    }
    m.complex_arcs = bool(bad_locs)
    if not bad_locs:
        return
    from_indices: dict[int, list[int]] = {}
    to_indices: dict[int, list[int]] = {}
    for index in range(routing.Size() + len(m.vehicles)):
        node = manager.IndexToNode(index)
        if not routing.IsEnd(index):
            from_indices.setdefault(node, []).append(index)
        if not routing.IsStart(index):
            to_indices.setdefault(node, []).append(index)
    n_nodes = len(node_loc)
    for a in range(n_nodes):
        for b in range(n_nodes):
            if (node_loc[a], node_loc[b]) not in bad_locs:
                continue
            for i in from_indices.get(a, []):
                for j in to_indices.get(b, []):
                    if not (routing.IsStart(i) and routing.IsEnd(j)):
                        routing.NextVar(i).RemoveValue(j)


def _reload_indices(m: _Model) -> list[int]:
    return [m.manager.NodeToIndex(m.first_reload + j) for j in range(len(m.reload_vehicle))]


def _add_reload_nodes(m: _Model) -> None:
    """Reload nodes: optional, only for their own vehicle, only between two visits."""
    routing = m.routing
    reload_indices = _reload_indices(m)
    for index, k in zip(reload_indices, m.reload_vehicle):
        routing.VehicleVar(index).SetValues([-1, k])
        routing.AddDisjunction([index], 0)
        if not any(m.vehicles[k].start_load):  # unloading first only helps a van that starts loaded
            routing.NextVar(routing.Start(k)).RemoveValue(index)
        for other in reload_indices:
            if other != index:  # next == itself means "inactive"
                routing.NextVar(index).RemoveValue(other)


def _add_capacities(m: _Model) -> None:
    """One capacity dimension per load dimension; slack only at reload nodes (the van unloads)."""
    routing, vehicles = m.routing, m.vehicles
    reload_set = set(_reload_indices(m))
    n_depots = m.first_reload - m.n_vis
    for d in range(m.problem.n_dims):
        big = max(v.capacity[d] for v in vehicles)
        demand = [v.demand[d] for v in m.visits] + [0] * n_depots + [-big] * len(m.reload_vehicle)
        cb = routing.RegisterUnaryTransitVector(demand)
        slack = big if m.reload_vehicle else 0
        routing.AddDimensionWithVehicleCapacity(cb, slack, [v.capacity[d] for v in vehicles], False, f"load{d}")
        load_dim = routing.GetDimensionOrDie(f"load{d}")
        for k, v in enumerate(vehicles):  # the load on board at departure (mid-day re-plan)
            load_dim.CumulVar(routing.Start(k)).SetValue(v.initial_load()[d])
        if m.reload_vehicle:
            for index in range(routing.Size()):
                if index not in reload_set:
                    load_dim.SlackVar(index).SetValue(0)


def _add_time(m: _Model, mandatory_penalty: int | None, lns: bool) -> None:
    """The time dimension: visit windows, which vehicles may serve each visit (and the disjunctions
    of optional visits), shifts and ``max_work_time``."""
    routing, manager, vehicles, node_loc = m.routing, m.manager, m.vehicles, m.node_loc
    dur = m.problem.durations
    horizon = max(v.shift.end for v in vehicles)
    for v in m.visits:
        for w in v.windows:
            horizon = max(horizon, w.end)
    n_nodes = len(node_loc)
    m.horizon = horizon
    m.time_matrix = [
        [m.node_service[a] + min(dur[node_loc[a]][node_loc[b]], horizon + 1) for b in range(n_nodes)]
        for a in range(n_nodes)
    ]
    time_cb = routing.RegisterTransitMatrix(m.time_matrix)
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time = m.time = routing.GetDimensionOrDie("time")
    for i, v in enumerate(m.visits):
        index = manager.NodeToIndex(i)
        cumul = time.CumulVar(index)
        if v.windows:
            cumul.SetRange(v.windows[0].start, v.windows[-1].end)
            for w0, w1 in zip(v.windows, v.windows[1:]):
                if w1.start - 1 >= w0.end + 1:
                    cumul.RemoveInterval(w0.end + 1, w1.start - 1)
        ok = [m.model_vehicle[k] for k in m.allowed[m.visit_idx[i]] if k in m.model_vehicle]
        if v.penalty is None and mandatory_penalty is None and not lns:
            routing.VehicleVar(index).SetValues(ok)
        else:
            routing.VehicleVar(index).SetValues([-1] + ok)
            penalty = v.penalty if v.penalty is not None else (mandatory_penalty or _LNS_PENALTY)
            routing.AddDisjunction([index], penalty)
    for k, vehicle in enumerate(vehicles):
        time.CumulVar(routing.Start(k)).SetRange(vehicle.shift.start, vehicle.shift.end)
        time.CumulVar(routing.End(k)).SetRange(vehicle.shift.start, vehicle.shift.end)
        if vehicle.max_work_time is not None:
            time.SetSpanUpperBoundForVehicle(vehicle.max_work_time, k)
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(k)))
        routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(k)))


def _add_balance(m: _Model) -> None:
    """Fair work (``Problem.balance``): the same term as ``check.balance_cost``."""
    balance = m.problem.balance
    if balance is None or not balance.coefficient:
        return
    if balance.kind == "span":
        m.time.SetGlobalSpanCostCoefficient(balance.coefficient)
    else:
        bound = pywrapcp.BoundCost(balance.soft_max_work_time or 0, balance.coefficient)
        for k in range(len(m.vehicles)):
            m.time.SetSoftSpanUpperBoundForVehicle(bound, k)


def _add_breaks(m: _Model) -> None:
    """Breaks: performed iff the vehicle is used, inside the route."""
    routing, manager, time = m.routing, m.manager, m.time
    solver = routing.solver()
    node_visit_transit = [m.node_service[manager.IndexToNode(i)] for i in range(routing.Size())]
    for k, v in enumerate(m.vehicles):
        if not v.breaks:
            continue
        intervals: list[Any] = []
        for b in v.breaks:
            iv = solver.FixedDurationIntervalVar(
                b.window.start, b.window.end, b.duration, True, f"break {k} {len(intervals)}"
            )
            used = routing.ActiveVehicleVar(k)
            solver.Add(iv.PerformedExpr() == used)
            # A performed break lies inside the route (not before departure / after return).
            solver.Add(iv.SafeStartExpr(m.horizon + 10**6) >= time.CumulVar(routing.Start(k)))
            solver.Add(iv.SafeEndExpr(-1) <= time.CumulVar(routing.End(k)))
            intervals.append(iv)
        time.SetBreakIntervalsOfVehicle(intervals, k, node_visit_transit)
        m.break_vars[k] = intervals


def _add_locked_sequences(m: _Model) -> None:
    """Locked sequences: same vehicle, strict relative order (when both visits are served)."""
    problem, routing, manager = m.problem, m.routing, m.manager
    if not problem.locked_sequences:
        return
    solver = routing.solver()
    n_nodes = len(m.node_loc)
    routing.AddConstantDimension(1, n_nodes + 1, True, "order")
    order = routing.GetDimensionOrDie("order")
    pos = {problem.visits[vi].id: i for i, vi in enumerate(m.visit_idx)}
    for _vehicle_id, seq in problem.locked_sequences:
        idx = [manager.NodeToIndex(pos[vid]) for vid in seq if vid in pos]
        for a, b in zip(idx, idx[1:]):
            # order only binds when both are served (optional ones may be dropped)
            both = solver.IsEqualCstVar(routing.ActiveVar(a) + routing.ActiveVar(b), 2)
            solver.Add(order.CumulVar(a) + 1 <= order.CumulVar(b) + (1 - both) * (n_nodes + 2))


def _search(m: _Model, options: SolveOptions, member: int, deadline: float | None, lns: bool) -> Any:
    """The plain search (or a warm start), then ruin-and-recreate when ``lns``; None: nothing found."""
    problem, routing, manager = m.problem, m.routing, m.manager
    reloads = bool(m.reload_vehicle)
    limit_s = options.time_limit_s
    if deadline is not None:
        limit_s = max(0.1 * limit_s, min(limit_s, deadline - _time.time()))
    params = _search_parameters(problem, options, reloads, member, limit_s)
    if lns:  # the first part of the time for the plain search, the rest for ruin-and-recreate
        assert deadline is not None
        remaining = max(0.0, deadline - _time.time())
        # a short solve (or a slow machine) needs its first solution before anything else: up to a second,
        # or half the time, for the plain search
        first_s = max(0.1, options.search.first_fraction * remaining, min(0.5 * remaining, 1.0))
        params = _search_parameters(problem, options, reloads, member, min(limit_s, first_s))
    watch = _Progress(routing, options)
    initial = _initial_assignment(
        routing, manager, problem, options, params, m.visit_idx, m.vehicles, m.first_reload, m.reload_vehicle
    )
    if initial is None:
        assignment = routing.SolveWithParameters(params)
    elif lns:  # ruin-and-recreate starts from the given plan
        assignment = initial
    else:  # (params: the whole time, as without a plan)
        assignment = routing.SolveFromAssignmentWithParameters(initial, params) or initial
    if (
        lns
        and deadline is not None
        and deadline - _time.time() > 0.1
        and not watch.stopped
        and (assignment is None or _served(routing, manager, assignment, m.n_vis) < min(3, m.n_vis))
    ):
        # No first solution within the first part of the time, or one cut short (the construction stopped
        # by the time limit leaves the rest of the visits out, and ruin-and-recreate needs served visits to
        # work on): give the plain search all the rest, no LNS.
        lns = False
        params = _search_parameters(problem, options, reloads, member, deadline - _time.time())
        assignment = routing.SolveWithParameters(params)
    if assignment is None or not lns:
        return assignment
    assert deadline is not None
    fast = None
    if options.search.python_insertion:
        fast = _fast_context(
            problem,
            m.vehicles,
            m.visits,
            m.visit_idx,
            m.allowed,
            m.model_vehicle,
            m.node_loc,
            m.starts,
            m.ends,
            m.time_matrix,
            m.cost_mats,
            m.horizon,
            m.complex_arcs or bool(m.reload_vehicle),
        )
    return _ruin_and_recreate(
        routing, manager, assignment, problem, options, m.n_vis, m.node_loc, deadline, member, watch, fast
    )


def _extract(m: _Model, assignment: Any) -> RawResult:
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
