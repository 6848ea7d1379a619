"""Building the OR-Tools RoutingModel of a problem: nodes, arc costs and the dimensions.

``build(problem, visit_idx, allowed, mandatory_penalty, lns)`` returns a :class:`BuiltModel` (or None
when no vehicle can be used or there is no visit): the RoutingModel with its index manager and what
the search (``model_search.py``) and the route extraction (``model.py``) need of it.

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
A reload node's time transit includes ``reload_service``, and breaks cannot overlap it.

Time dimension: cumul at a visit = service start; transit(i, j) = service(i) + travel(i, j);
slack = waiting (and break time).

With ``lns`` (ruin-and-recreate follows) mandatory visits get a disjunction with a huge penalty
(``LNS_PENALTY``) so that a partly destroyed plan is a valid assignment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ortools.constraint_solver import pywrapcp

from .problem import Problem, Vehicle, Visit, is_unreachable

# Penalty of a mandatory visit while ruin-and-recreate is on (never worth dropping when servable).
LNS_PENALTY = 10**12


def _cost(dist: int, dur: int, per_km: int, per_hour: int) -> int:
    return dist * per_km // 1000 + dur * per_hour // 3600


def _can_drive_home(problem: Problem, v: Vehicle) -> bool:
    """Can the vehicle drive straight from its start to its end within its shift / work time?"""
    d = problem.durations[v.start][v.end]
    if v.start != v.end and (is_unreachable(d) or is_unreachable(problem.distances[v.start][v.end])):
        return False
    return v.shift.start + d <= v.shift.end and (v.max_work_time is None or d <= v.max_work_time)


@dataclass
class BuiltModel:
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


def build(
    problem: Problem, visit_idx: list[int], allowed: dict[int, list[int]], mandatory_penalty: int | None, lns: bool
) -> BuiltModel | None:
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
    m = BuiltModel(
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


def _add_arc_costs(m: BuiltModel) -> None:
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


def _forbid_unreachable(m: BuiltModel) -> None:
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


def _reload_indices(m: BuiltModel) -> list[int]:
    return [m.manager.NodeToIndex(m.first_reload + j) for j in range(len(m.reload_vehicle))]


def _add_reload_nodes(m: BuiltModel) -> None:
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


def _add_capacities(m: BuiltModel) -> None:
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


def _add_time(m: BuiltModel, mandatory_penalty: int | None, lns: bool) -> None:
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
            penalty = v.penalty if v.penalty is not None else (mandatory_penalty or LNS_PENALTY)
            routing.AddDisjunction([index], penalty)
    for k, vehicle in enumerate(vehicles):
        time.CumulVar(routing.Start(k)).SetRange(vehicle.shift.start, vehicle.shift.end)
        time.CumulVar(routing.End(k)).SetRange(vehicle.shift.start, vehicle.shift.end)
        if vehicle.max_work_time is not None:
            time.SetSpanUpperBoundForVehicle(vehicle.max_work_time, k)
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(k)))
        routing.AddVariableMaximizedByFinalizer(time.CumulVar(routing.Start(k)))


def _add_balance(m: BuiltModel) -> None:
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


def _add_breaks(m: BuiltModel) -> None:
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


def _add_locked_sequences(m: BuiltModel) -> None:
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
