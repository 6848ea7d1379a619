"""Route optimisation for the collection vans: ``solve(problem, options) -> Solution``.

Pure package: imports only the standard library and OR-Tools (``vrplib`` only in the
benchmark CLI, ``python -m solver``).

Step timing (see ``solver/schedule.py``): ``arrival`` is when the van is at the location;
service starts at ``arrival + waiting_time`` (this is what must lie in a time window) and
lasts ``service``. Breaks are steps with ``location=None`` taken in place between two stops.
Vehicles with a ``reload_location`` may unload there during the day ("reload" steps, load reset
to zero). Only used vehicles get a Route.
"""

from __future__ import annotations

import dataclasses
import time as _time

from .check import CAUSES, Violation, balance_cost, check, recompute_cost, work_time, work_time_spread
from .explain import allowed_vehicles, cost_detail, fits_capacity, precheck, sequence_vehicle
from .plan import PlannedRoute, plan_route
from .problem import (
    UNREACHABLE,
    Balance,
    Break,
    Problem,
    ProblemError,
    TimeWindow,
    Vehicle,
    Visit,
    is_unreachable,
)
from .result import (
    Reason,
    Route,
    Solution,
    SolveOptions,
    Status,
    Step,
    Summary,
    Unassigned,
    missing_explanation,
    summarise,
)
from .schedule import build_route
from .search_params import SearchParams

__all__ = [
    "CAUSES",
    "UNREACHABLE",
    "Balance",
    "Break",
    "Problem",
    "PlannedRoute",
    "ProblemError",
    "Reason",
    "Route",
    "SearchParams",
    "Solution",
    "SolveOptions",
    "Status",
    "Step",
    "Summary",
    "TimeWindow",
    "Unassigned",
    "Vehicle",
    "Violation",
    "Visit",
    "balance_cost",
    "check",
    "is_unreachable",
    "plan_route",
    "recompute_cost",
    "solve",
    "work_time",
    "work_time_spread",
]

# Penalty given to mandatory visits in the "which ones would be dropped" re-solve.
_BIG_PENALTY = 10**12


def solve(problem: Problem, options: SolveOptions = SolveOptions()) -> Solution:
    """Plan the routes. Raises only :class:`ProblemError` (malformed input); an infeasible
    problem gives ``Status.INFEASIBLE`` with ``explanation`` and the culprits in ``unassigned``."""
    from . import model, portfolio  # imported lazily: check/explain stay usable without OR-Tools

    t0 = _time.monotonic()
    # Wall-clock deadline of the search (shared with portfolio children): the whole call, model
    # building included, should fit in time_limit_s; a little is kept for extracting the routes.
    deadline = _time.time() + options.time_limit_s - min(0.5, 0.05 * options.time_limit_s)
    problem.validate()
    _check_initial(problem, options)

    failures = precheck(problem)
    seq_vehicle = sequence_vehicle(problem)
    modelled = [i for i, v in enumerate(problem.visits) if v.id not in failures]
    allowed = {
        i: [
            k
            for k in allowed_vehicles(problem, problem.visits[i], seq_vehicle)
            if fits_capacity(problem.visits[i], problem.vehicles[k])
        ]
        for i in modelled
    }

    unassigned: dict[int, Unassigned] = {}
    for i, v in enumerate(problem.visits):
        if v.id in failures:
            f = failures[v.id]
            unassigned[i] = Unassigned(v.id, f.reason, f.detail)

    raw = portfolio.run(problem, modelled, allowed, options, deadline) if modelled else model.RawResult(True, [], [])
    searched = raw  # the portfolio's own result: how many searches gave one
    if not raw.found:
        elapsed = _time.monotonic() - t0
        remaining = dataclasses.replace(options, time_limit_s=max(1.0, options.time_limit_s - elapsed))
        raw = model.run(problem, modelled, allowed, remaining, mandatory_penalty=_BIG_PENALTY)
        if not raw.found:  # cannot happen (dropping everything is feasible), but never raise
            raw = model.RawResult(True, [], list(modelled))
    for i in raw.dropped:
        v = problem.visits[i]
        unassigned[i] = Unassigned(v.id, Reason.COST, cost_detail(v))

    routes = tuple(
        build_route(problem, r.vehicle, r.visits, r.start_time, r.service_starts, r.end_time, r.breaks)
        for r in sorted(raw.routes, key=lambda r: r.vehicle)
    )
    unassigned_list = tuple(unassigned[i] for i in sorted(unassigned))

    missing_mandatory = [u for i, u in sorted(unassigned.items()) if problem.visits[i].penalty is None]
    status = Status.INFEASIBLE if missing_mandatory else Status.SOLVED
    explanation = missing_explanation(missing_mandatory)
    penalties = sum(problem.visits[i].penalty or 0 for i in unassigned)
    summary = summarise(
        routes,
        unassigned=len(unassigned_list),
        penalties=penalties,
        balance=balance_cost(problem, routes),
        dims=problem.n_dims,
        since=t0,
        workers=searched.workers if modelled else max(1, int(options.workers or 1)),
        worker_failures=searched.worker_failures,
    )
    return Solution(status, summary, routes, unassigned_list, explanation)


def _check_initial(problem: Problem, options: SolveOptions) -> None:
    """``options.initial_routes`` names vehicles and visits of ``problem``, each at most once."""
    vehicles = {v.id for v in problem.vehicles}
    visits = {v.id for v in problem.visits}
    seen_vehicles: set[str] = set()
    seen_visits: set[str] = set()
    for vehicle_id, seq in options.initial_routes:
        if vehicle_id not in vehicles:
            raise ProblemError(f"options.initial_routes: vehicle {vehicle_id!r} is not in the problem")
        if vehicle_id in seen_vehicles:
            raise ProblemError(f"options.initial_routes: vehicle {vehicle_id!r} is listed twice")
        seen_vehicles.add(vehicle_id)
        for visit_id in seq:
            if visit_id is None:  # an unloading stop
                continue
            if visit_id not in visits:
                raise ProblemError(
                    f"options.initial_routes: visit {visit_id!r} (vehicle {vehicle_id!r}) is not in the problem"
                )
            if visit_id in seen_visits:
                raise ProblemError(f"options.initial_routes: visit {visit_id!r} is in more than one place")
            seen_visits.add(visit_id)
