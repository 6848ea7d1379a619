"""Decomposition, part 3: judging sub-solutions and merging them into one ``Solution``.

``score(solution, problem)``: (mandatory visits left out, cost), compared to keep a border repair.
``give_back(ca, cb, ...)``: a pair's accepted plan returned to its two clusters. ``warm_start(*clusters)``:
the clusters' routes as ``SolveOptions.initial_routes``. ``globalise(route, locs)``: a sub-problem's route
in global locations. ``assemble(vehicles, visits, clusters, template, t0)``: the ``Solution`` over every
visit (routes in vehicle order, unassigned in visit order, summary and cost as ``solver.solve`` gives
them, the fair-work term when the ``template`` has one; ``Status.INFEASIBLE`` naming the mandatory
visits left out).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .check import balance_cost
from .decompose_clusters import Cluster
from .problem import Problem, Vehicle, Visit
from .result import Route, Solution, Status, Unassigned, missing_explanation, summarise


def missing(solution: Solution, problem: Problem) -> int:
    mandatory = {v.id for v in problem.visits if v.penalty is None}
    return sum(1 for u in solution.unassigned if u.id in mandatory)


def score(solution: Solution, problem: Problem) -> tuple[int, int]:
    return missing(solution, problem), solution.summary.cost


def give_back(ca: Cluster, cb: Cluster, sol: Solution, locs: list[int], visits: Sequence[Visit], missing: int) -> None:
    """Give a pair's accepted plan back to its two clusters (routes by vehicle; unassigned to the first)."""
    index = {v.id: i for i, v in enumerate(visits)}
    mine = set(ca.vehicle_ids)
    routes = [globalise(r, locs) for r in sol.routes]
    ca.routes = [r for r in routes if r.vehicle in mine]
    cb.routes = [r for r in routes if r.vehicle not in mine]
    ca.unassigned, cb.unassigned = list(sol.unassigned), []
    ca.visits = sorted([index[x] for r in ca.routes for x in r.visit_ids] + [index[u.id] for u in sol.unassigned])
    cb.visits = sorted(index[x] for r in cb.routes for x in r.visit_ids)
    cb_cost = sum(r.cost for r in cb.routes)
    ca.score, cb.score = (missing, sol.summary.cost - cb_cost), (0, cb_cost)


def warm_start(*clusters: Cluster) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
    """The clusters' current routes as a warm start (``SolveOptions.initial_routes``)."""
    return tuple((r.vehicle, r.plan_ids) for c in clusters for r in c.routes)


def globalise(route: Route, locs: list[int]) -> Route:
    steps = tuple(
        dataclasses.replace(s, location=None if s.location is None else locs[s.location]) for s in route.steps
    )
    return dataclasses.replace(route, steps=steps)


def assemble(
    vehicles: Sequence[Vehicle], visits: Sequence[Visit], clusters: list[Cluster], template: Problem | None, t0: float
) -> Solution:
    order = {v.id: k for k, v in enumerate(vehicles)}
    routes: list[Route] = []
    unassigned: dict[str, Unassigned] = {}
    for c in clusters:
        routes += c.routes
        for u in c.unassigned:
            unassigned[u.id] = u
    routes.sort(key=lambda r: order[r.vehicle])
    index = {v.id: i for i, v in enumerate(visits)}
    unassigned_list = tuple(sorted(unassigned.values(), key=lambda u: index[u.id]))
    missing = [u for u in unassigned_list if visits[index[u.id]].penalty is None]
    penalties = sum(visits[index[u.id]].penalty or 0 for u in unassigned_list)
    dims = len(vehicles[0].capacity) if vehicles else 0
    balance = balance_cost(template, routes) if template is not None else 0
    summary = summarise(
        routes, unassigned=len(unassigned_list), penalties=penalties, balance=balance, dims=dims, since=t0
    )
    explanation = missing_explanation(missing)
    return Solution(
        Status.INFEASIBLE if missing else Status.SOLVED, summary, tuple(routes), unassigned_list, explanation
    )
