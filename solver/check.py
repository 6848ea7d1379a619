"""Independent feasibility checker: re-verifies a Solution against its Problem.

Deliberately imports neither OR-Tools nor the model/schedule code: it re-derives everything from
the problem data and the steps. Timing semantics: a step's service (or break) starts at
``arrival + waiting_time`` and lasts ``service``; a break (location None) is taken in place;
between leaving one stop and arriving at the next, the time not spent on breaks must cover the
travel time; windows apply to the service start. A "reload" step is an unloading stop at the
vehicle's ``reload_location``: timed like a visit (service = ``reload_service``), it empties the van
(its load is all zeros) and counts against ``max_reloads``; ``Route.load`` is the total collected.
A van starts with ``Vehicle.start_load`` on board (mid-day re-plan; zeros by default), which
counts against its capacity until it unloads. With ``Problem.balance`` the fair-work term
(:func:`balance_cost`) is part of the cost.

``check`` returns structured :class:`Violation` records (like VROOM's violations): a ``cause``
code from :data:`CAUSES`, the vehicle and the visit concerned (None when not about one), and a
plain-English ``detail`` (also ``str(violation)``) naming the route, step and numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .problem import Problem, Vehicle
from .result import Route, Solution, Status

# Violation causes: what rule a plan breaks, or which of its recorded figures is wrong.
CAUSES = {
    "time_window": "a service starts outside every window of its visit",
    "capacity": "the load on board exceeds the vehicle's capacity",
    "shift_start": "the vehicle leaves before its shift starts",
    "shift_end": "the vehicle is back after its shift ends",
    "max_work_time": "the route lasts longer than the vehicle's max_work_time",
    "skill": "the vehicle lacks a skill the visit needs",
    "vehicle_lock": "the visit is locked to another vehicle",
    "break": "a break is missing, taken twice, outside its window, of the wrong length or overlapping",
    "reload": "an unloading stop the vehicle cannot make (none allowed, wrong place or length, too many)",
    "timing": "a step is reached sooner than travel (and breaks) allow, or has a negative wait",
    "precedence": "a locked sequence is served out of order or by another vehicle",
    "route": "a route's shape is wrong (start / end steps and locations, step types, locations)",
    "unknown": "an id that the problem does not have (vehicle, visit)",
    "duplicate": "a vehicle with two routes, or a visit served or listed twice",
    "missing": "a visit neither served nor listed unassigned",
    "status": "the status disagrees with the mandatory visits served",
    "inconsistent": "a figure recorded on a step or route differs from its recomputation",
    "summary": "a summary figure differs from the routes' total",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing wrong with a solution: ``cause`` (a key of :data:`CAUSES`), the vehicle and
    visit ids concerned (None when it is not about one), and the plain-English ``detail``."""

    cause: str
    vehicle: str | None
    visit: str | None
    detail: str

    def __str__(self) -> str:
        return self.detail


def _arc_cost(problem: Problem, v: Vehicle, a: int, b: int) -> int:
    return problem.distances[a][b] * v.cost_per_km // 1000 + problem.durations[a][b] * v.cost_per_hour // 3600


def _route_arc_cost(problem: Problem, v: Vehicle, locations: list[int]) -> int:
    return sum(_arc_cost(problem, v, a, b) for a, b in zip(locations, locations[1:]))


def balance_cost(problem: Problem, routes: Iterable[Route]) -> int:
    """The fair-work term of ``problem.balance`` for these routes (0 without balancing):
    ``span`` = coefficient x (latest end arrival - earliest departure over the routes);
    ``soft_max`` = coefficient x Σ max(0, route working time - soft_max_work_time), where a
    route's working time is its end arrival - its departure (recomputed from the steps)."""
    b = problem.balance
    used = [r for r in routes if len(r.steps) >= 2]
    if b is None or not used or not b.coefficient:
        return 0
    if b.kind == "span":
        return b.coefficient * (max(r.steps[-1].arrival for r in used) - min(r.steps[0].arrival for r in used))
    limit = b.soft_max_work_time or 0
    return b.coefficient * sum(max(0, work_time(r) - limit) for r in used)


def work_time(route: Route) -> int:
    """Working time of a route: from its departure to its return (end step arrival)."""
    return route.steps[-1].arrival - route.steps[0].arrival


def work_time_spread(solution: Solution, vehicle_ids: Iterable[str] | None = None) -> int:
    """Longest minus shortest working time over the vehicles ``vehicle_ids`` (default: the used
    ones); an unused vehicle works 0 s."""
    times = {r.vehicle: work_time(r) for r in solution.routes if len(r.steps) >= 2}
    ids = list(times) if vehicle_ids is None else list(vehicle_ids)
    if not ids:
        return 0
    values = [times.get(i, 0) for i in ids]
    return max(values) - min(values)


def recompute_cost(problem: Problem, solution: Solution) -> int:
    """Arc costs of every route (+ fixed cost of each used vehicle) + penalties of the optional
    visits that no route serves + the fair-work term (:func:`balance_cost`)."""
    vehicles = {v.id: v for v in problem.vehicles}
    total = 0
    served: set[str] = set()
    for route in solution.routes:
        v = vehicles.get(route.vehicle)
        if v is None:
            continue
        locs = [s.location for s in route.steps if s.type != "break" and s.location is not None]
        total += v.fixed_cost + _route_arc_cost(problem, v, locs)
        served.update(s.id for s in route.steps if s.type == "visit" and s.id is not None)
    total += sum(vis.penalty for vis in problem.visits if vis.penalty is not None and vis.id not in served)
    return total + balance_cost(problem, solution.routes)


def check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every violation found (see :class:`Violation`); [] means the solution is feasible and consistent."""
    errors: list[Violation] = []

    def err(cause: str, detail: str, vehicle: str | None = None, visit: str | None = None) -> None:
        errors.append(Violation(cause, vehicle, visit, detail))

    vehicles = {v.id: v for v in problem.vehicles}
    visits = {v.id: v for v in problem.visits}
    dur, dist = problem.durations, problem.distances
    n_dims = problem.n_dims

    served: dict[str, str] = {}  # visit id -> vehicle id
    position: dict[str, int] = {}  # visit id -> position in its route
    seen_vehicles: set[str] = set()

    for route in solution.routes:
        v = vehicles.get(route.vehicle)
        where = f"route of {route.vehicle!r}"
        if v is None:
            err("unknown", f"{where}: unknown vehicle", route.vehicle)
            continue
        if route.vehicle in seen_vehicles:
            err("duplicate", f"{where}: vehicle has more than one route", route.vehicle)
        seen_vehicles.add(route.vehicle)
        steps = route.steps
        if len(steps) < 2 or steps[0].type != "start" or steps[-1].type != "end":
            err("route", f"{where}: must begin with a start step and finish with an end step", route.vehicle)
            continue
        if steps[0].location != v.start:
            err("route", f"{where}: starts at location {steps[0].location}, vehicle starts at {v.start}", route.vehicle)
        if steps[-1].location != v.end:
            err("route", f"{where}: ends at location {steps[-1].location}, vehicle ends at {v.end}", route.vehicle)

        s0 = steps[0]
        depart = s0.arrival + s0.waiting_time + s0.service
        if s0.arrival < v.shift.start:
            err(
                "shift_start", f"{where}: leaves at {s0.arrival}, before the shift start {v.shift.start}", route.vehicle
            )
        t = depart  # time the van is free again
        leg_start = depart  # when it left the last stop
        break_in_leg = 0
        loc = v.start
        load = list(v.initial_load()) if len(v.initial_load()) == n_dims else [0] * n_dims  # on board now
        collected = [0] * n_dims  # over the whole route
        n_reloads = 0
        distance = 0
        arc_cost = 0
        service_total = 0
        waiting_total = s0.waiting_time
        prev_distance = 0
        breaks_taken: dict[str, int] = {}
        if s0.load != tuple(load) or s0.distance != 0:
            err(
                "inconsistent",
                f"{where}: start step must have the start load {tuple(load)} and zero distance",
                route.vehicle,
            )
        n_visits = 0
        for pos, step in enumerate(steps[1:], start=1):
            sw = f"{where} step {pos} ({step.type} {step.id!r})"
            sv = step.id if step.type == "visit" else None  # the visit concerned, if any
            if step.waiting_time < 0:
                err("timing", f"{sw}: negative waiting time {step.waiting_time}", route.vehicle, sv)
            begin = step.arrival + step.waiting_time
            waiting_total += step.waiting_time
            if step.type == "break":
                b = next((b for b in v.breaks if b.id == step.id), None)
                if b is None:
                    err("break", f"{sw}: vehicle has no break {step.id!r}", route.vehicle, sv)
                    continue
                breaks_taken[b.id] = breaks_taken.get(b.id, 0) + 1
                if step.arrival < t and b.duration > 0:  # a zero-length break is an instant
                    err(
                        "break",
                        f"{sw}: break starts at {step.arrival}, before the previous step ends at {t}",
                        route.vehicle,
                        sv,
                    )
                if not b.window.contains(begin):
                    err(
                        "break",
                        f"{sw}: break starts at {begin}, outside its window [{b.window.start}, {b.window.end}]",
                        route.vehicle,
                        sv,
                    )
                if step.service != b.duration:
                    err("break", f"{sw}: break lasts {step.service}, must last {b.duration}", route.vehicle, sv)
                if step.location is not None:
                    err("break", f"{sw}: a break step has no location", route.vehicle, sv)
                if step.distance != prev_distance:
                    err("inconsistent", f"{sw}: distance {step.distance} should be {prev_distance}", route.vehicle, sv)
                if step.load != tuple(load):
                    err("inconsistent", f"{sw}: load {step.load} should be {tuple(load)}", route.vehicle, sv)
                t = max(t, begin + b.duration)
                break_in_leg += b.duration
                continue
            if step.type not in ("visit", "reload", "end"):
                err("route", f"{sw}: unexpected step type {step.type!r}", route.vehicle, sv)
                continue
            if step.type == "end" and pos != len(steps) - 1:
                err("route", f"{sw}: end step before the last step", route.vehicle, sv)
            nloc = step.location
            if nloc is None or not 0 <= nloc < problem.n_locations:
                err("route", f"{sw}: invalid location {nloc}", route.vehicle, sv)
                continue
            travel = dur[loc][nloc]
            if step.arrival < t:
                err(
                    "timing",
                    f"{sw}: arrives at {step.arrival}, before the previous step/break ends at {t}",
                    route.vehicle,
                    sv,
                )
            if step.arrival - leg_start - break_in_leg < travel:
                err(
                    "timing",
                    f"{sw}: arrives at {step.arrival}, but leaving at {leg_start} with {break_in_leg} s of breaks "
                    f"and {travel} s of travel it cannot arrive before {leg_start + break_in_leg + travel}",
                    route.vehicle,
                    sv,
                )
            distance += dist[loc][nloc]
            arc_cost += _arc_cost(problem, v, loc, nloc)
            if step.distance != distance:
                err(
                    "inconsistent",
                    f"{sw}: cumulative distance {step.distance}, recomputed {distance}",
                    route.vehicle,
                    sv,
                )
            if step.type == "end":
                if begin > v.shift.end:
                    err("shift_end", f"{sw}: back at {begin}, after the shift end {v.shift.end}", route.vehicle, sv)
                if v.max_work_time is not None and begin - depart > v.max_work_time:
                    err(
                        "max_work_time",
                        f"{where}: works {begin - depart} s, more than max_work_time {v.max_work_time}",
                        route.vehicle,
                    )
                if route.duration != begin - depart:
                    err(
                        "inconsistent",
                        f"{where}: duration {route.duration}, recomputed {begin - depart}",
                        route.vehicle,
                    )
                if step.load != tuple(load):
                    err("inconsistent", f"{sw}: load {step.load} should be {tuple(load)}", route.vehicle, sv)
                loc = nloc
                continue
            if step.type == "reload":
                n_reloads += 1
                if v.reload_location is None:
                    err(
                        "reload",
                        f"{sw}: vehicle {v.id!r} has no reloading (reload_location is None)",
                        route.vehicle,
                        sv,
                    )
                elif nloc != v.reload_location:
                    err(
                        "reload",
                        f"{sw}: reload at location {nloc}, the vehicle unloads at {v.reload_location}",
                        route.vehicle,
                        sv,
                    )
                if step.service != v.reload_service:
                    err("reload", f"{sw}: reload lasts {step.service}, must last {v.reload_service}", route.vehicle, sv)
                service_total += step.service
                load = [0] * n_dims
                if step.load != tuple(load):
                    err(
                        "inconsistent",
                        f"{sw}: load {step.load} should be {tuple(load)} (the van is emptied)",
                        route.vehicle,
                        sv,
                    )
                loc = nloc
                t = begin + step.service
                leg_start = t
                break_in_leg = 0
                prev_distance = distance
                continue
            # a visit
            n_visits += 1
            visit = visits.get(step.id) if step.id is not None else None
            if visit is None:
                err("unknown", f"{sw}: unknown visit", route.vehicle, sv)
                loc, t, leg_start, break_in_leg = nloc, begin + step.service, begin + step.service, 0
                prev_distance = distance
                continue
            if visit.id in served:
                err(
                    "duplicate",
                    f"visit {visit.id!r} is served twice (by {served[visit.id]!r} and {route.vehicle!r})",
                    route.vehicle,
                    visit.id,
                )
            served[visit.id] = route.vehicle
            position[visit.id] = pos
            if nloc != visit.location:
                err("inconsistent", f"{sw}: at location {nloc}, the visit is at {visit.location}", route.vehicle, sv)
            if step.service != visit.service:
                err("inconsistent", f"{sw}: service {step.service}, the visit needs {visit.service}", route.vehicle, sv)
            if visit.windows and not any(w.contains(begin) for w in visit.windows):
                wins = ", ".join(f"[{w.start}, {w.end}]" for w in visit.windows)
                err("time_window", f"{sw}: service starts at {begin}, outside every window {wins}", route.vehicle, sv)
            if not visit.skills <= v.skills:
                err(
                    "skill",
                    f"{sw}: needs skills {sorted(visit.skills)}, vehicle has {sorted(v.skills)}",
                    route.vehicle,
                    sv,
                )
            if visit.vehicle is not None and visit.vehicle != v.id:
                err("vehicle_lock", f"{sw}: locked to vehicle {visit.vehicle!r}", route.vehicle, sv)
            load = [a + b for a, b in zip(load, visit.demand)]
            collected = [a + b for a, b in zip(collected, visit.demand)]
            if any(a > c for a, c in zip(load, v.capacity)):
                err("capacity", f"{sw}: load {tuple(load)} exceeds capacity {v.capacity}", route.vehicle, sv)
            if step.load != tuple(load):
                err("inconsistent", f"{sw}: load {step.load} should be {tuple(load)}", route.vehicle, sv)
            service_total += visit.service
            loc = nloc
            t = begin + step.service
            leg_start = t
            break_in_leg = 0
            prev_distance = distance

        if v.reload_location is not None and n_reloads > v.max_reloads:
            err("reload", f"{where}: {n_reloads} reloads, more than max_reloads {v.max_reloads}", route.vehicle)
        if n_visits:
            for b in v.breaks:
                c = breaks_taken.get(b.id, 0)
                if c == 0:
                    err("break", f"{where}: break {b.id!r} is not taken", route.vehicle)
                elif c > 1:
                    err("break", f"{where}: break {b.id!r} taken {c} times", route.vehicle)
        if route.distance != distance:
            err("inconsistent", f"{where}: distance {route.distance}, recomputed {distance}", route.vehicle)
        if route.service != service_total:
            err("inconsistent", f"{where}: service {route.service}, recomputed {service_total}", route.vehicle)
        if route.waiting_time != waiting_total:
            err(
                "inconsistent", f"{where}: waiting time {route.waiting_time}, recomputed {waiting_total}", route.vehicle
            )
        if route.load != tuple(collected):
            err(
                "inconsistent",
                f"{where}: load {route.load}, recomputed total collected {tuple(collected)}",
                route.vehicle,
            )
        if route.cost != arc_cost + v.fixed_cost:
            err("inconsistent", f"{where}: cost {route.cost}, recomputed {arc_cost + v.fixed_cost}", route.vehicle)

    # locked sequences
    for vehicle_id, seq in problem.locked_sequences:
        last = None
        for vid in seq:
            if vid not in served:
                continue
            if served[vid] != vehicle_id:
                err(
                    "precedence",
                    f"locked sequence of {vehicle_id!r}: visit {vid!r} is served by {served[vid]!r}",
                    vehicle_id,
                    vid,
                )
                continue
            if last is not None and position[vid] <= position[last]:
                err(
                    "precedence",
                    f"locked sequence of {vehicle_id!r}: visit {vid!r} comes before {last!r}",
                    vehicle_id,
                    vid,
                )
            last = vid

    # unassigned bookkeeping
    reported: set[str] = set()
    for u in solution.unassigned:
        if u.id not in visits:
            err("unknown", f"unassigned: unknown visit {u.id!r}", visit=u.id)
        if u.id in reported:
            err("duplicate", f"unassigned: visit {u.id!r} listed twice", visit=u.id)
        reported.add(u.id)
        if u.id in served:
            err(
                "duplicate",
                f"visit {u.id!r} is both served (by {served[u.id]!r}) and listed unassigned",
                served[u.id],
                u.id,
            )
    missing_mandatory = []
    for vis in problem.visits:
        if vis.id in served:
            continue
        if vis.id not in reported:
            kind = "mandatory" if vis.penalty is None else "optional"
            err("missing", f"{kind} visit {vis.id!r} is neither served nor listed unassigned", visit=vis.id)
        if vis.penalty is None:
            missing_mandatory.append(vis.id)
    if missing_mandatory and solution.status != Status.INFEASIBLE:
        err("status", f"status {solution.status.value} but mandatory visits are not served: {missing_mandatory}")
    if not missing_mandatory and solution.status == Status.INFEASIBLE:
        err("status", "status infeasible but every mandatory visit is served")

    # summary
    sm = solution.summary
    expected_cost = recompute_cost(problem, solution)
    if sm.cost != expected_cost:
        err("summary", f"summary cost {sm.cost}, recomputed {expected_cost}")
    if sm.routes != len(solution.routes):
        err("summary", f"summary routes {sm.routes}, there are {len(solution.routes)}")
    expected_balance = balance_cost(problem, solution.routes)
    if sm.balance_cost != expected_balance:
        err("summary", f"summary balance cost {sm.balance_cost}, recomputed {expected_balance}")
    if sm.unassigned != len(solution.unassigned):
        err("summary", f"summary unassigned {sm.unassigned}, there are {len(solution.unassigned)}")
    for name in ("distance", "duration", "service", "waiting_time"):
        total = sum(getattr(r, name) for r in solution.routes)
        if getattr(sm, name) != total:
            err("summary", f"summary {name} {getattr(sm, name)}, routes add up to {total}")
    total_load = tuple(sum(r.load[d] for r in solution.routes if len(r.load) == n_dims) for d in range(n_dims))
    if sm.load != total_load:
        err("summary", f"summary load {sm.load}, routes add up to {total_load}")
    return errors
