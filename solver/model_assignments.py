"""Plans <-> OR-Tools assignments of a RoutingModel (no search here).

``routes_of(routing, assignment)``: per vehicle, the indices it visits; ``served(...)``: how many visits
(not unloading stops) an assignment serves. ``indices_assignment`` / ``nodes_assignment``: a complete
assignment of the NextVars from routes given as indices / as nodes, every other index inactive (what
a repair descent starts from). ``initial_assignment``: ``SolveOptions.initial_routes`` (the warm
start) as an assignment of the model, or None when none is given or the model rejects it.
"""

from __future__ import annotations

from typing import Any

from .problem import Problem, Vehicle
from .result import SolveOptions


def served(routing: Any, manager: Any, assignment: Any, n_vis: int) -> int:
    """How many visits (not unloading stops) an assignment serves."""
    return sum(1 for r in routes_of(routing, assignment) for i in r if manager.IndexToNode(i) < n_vis)


def routes_of(routing: Any, assignment: Any) -> list[list[int]]:
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


def indices_assignment(routing: Any, nexts: list[Any], routes: list[list[int]]) -> Any:
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


def nodes_assignment(routing: Any, manager: Any, routes: list[list[int]]) -> Any:
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


def initial_assignment(
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
