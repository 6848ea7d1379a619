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
"""

from __future__ import annotations

from .problem import Problem, Vehicle
from .result import Solution, Status


def _arc_cost(problem: Problem, v: Vehicle, a: int, b: int) -> int:
    return problem.distances[a][b] * v.cost_per_km // 1000 + problem.durations[a][b] * v.cost_per_hour // 3600


def _route_arc_cost(problem: Problem, v: Vehicle, locations: list[int]) -> int:
    return sum(_arc_cost(problem, v, a, b) for a, b in zip(locations, locations[1:]))


def balance_cost(problem: Problem, routes) -> int:
    """The fair-work term of ``problem.balance`` for these routes (0 without balancing):
    ``span`` = coefficient x (latest end arrival - earliest departure over the routes);
    ``soft_max`` = coefficient x Σ max(0, route working time - soft_max_work_time), where a
    route's working time is its end arrival - its departure (recomputed from the steps)."""
    b = problem.balance
    routes = [r for r in routes if len(r.steps) >= 2]
    if b is None or not routes or not b.coefficient:
        return 0
    if b.kind == "span":
        return b.coefficient * (max(r.steps[-1].arrival for r in routes) - min(r.steps[0].arrival for r in routes))
    limit = b.soft_max_work_time or 0
    return b.coefficient * sum(max(0, work_time(r) - limit) for r in routes)


def work_time(route) -> int:
    """Working time of a route: from its departure to its return (end step arrival)."""
    return route.steps[-1].arrival - route.steps[0].arrival


def work_time_spread(solution: Solution, vehicle_ids=None) -> int:
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


def check(problem: Problem, solution: Solution) -> list[str]:
    """Every violation found, as plain sentences; [] means the solution is feasible and consistent."""
    errors: list[str] = []
    err = errors.append
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
            err(f"{where}: unknown vehicle")
            continue
        if route.vehicle in seen_vehicles:
            err(f"{where}: vehicle has more than one route")
        seen_vehicles.add(route.vehicle)
        steps = route.steps
        if len(steps) < 2 or steps[0].type != "start" or steps[-1].type != "end":
            err(f"{where}: must begin with a start step and finish with an end step")
            continue
        if steps[0].location != v.start:
            err(f"{where}: starts at location {steps[0].location}, vehicle starts at {v.start}")
        if steps[-1].location != v.end:
            err(f"{where}: ends at location {steps[-1].location}, vehicle ends at {v.end}")

        s0 = steps[0]
        depart = s0.arrival + s0.waiting_time + s0.service
        if s0.arrival < v.shift.start:
            err(f"{where}: leaves at {s0.arrival}, before the shift start {v.shift.start}")
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
            err(f"{where}: start step must have the start load {tuple(load)} and zero distance")
        n_visits = 0
        for pos, step in enumerate(steps[1:], start=1):
            sw = f"{where} step {pos} ({step.type} {step.id!r})"
            if step.waiting_time < 0:
                err(f"{sw}: negative waiting time {step.waiting_time}")
            begin = step.arrival + step.waiting_time
            waiting_total += step.waiting_time
            if step.type == "break":
                b = next((b for b in v.breaks if b.id == step.id), None)
                if b is None:
                    err(f"{sw}: vehicle has no break {step.id!r}")
                    continue
                breaks_taken[b.id] = breaks_taken.get(b.id, 0) + 1
                if step.arrival < t and b.duration > 0:  # a zero-length break is an instant
                    err(f"{sw}: break starts at {step.arrival}, before the previous step ends at {t}")
                if not b.window.contains(begin):
                    err(f"{sw}: break starts at {begin}, outside its window [{b.window.start}, {b.window.end}]")
                if step.service != b.duration:
                    err(f"{sw}: break lasts {step.service}, must last {b.duration}")
                if step.location is not None:
                    err(f"{sw}: a break step has no location")
                if step.distance != prev_distance:
                    err(f"{sw}: distance {step.distance} should be {prev_distance}")
                if step.load != tuple(load):
                    err(f"{sw}: load {step.load} should be {tuple(load)}")
                t = max(t, begin + b.duration)
                break_in_leg += b.duration
                continue
            if step.type not in ("visit", "reload", "end"):
                err(f"{sw}: unexpected step type {step.type!r}")
                continue
            if step.type == "end" and pos != len(steps) - 1:
                err(f"{sw}: end step before the last step")
            nloc = step.location
            if nloc is None or not 0 <= nloc < problem.n_locations:
                err(f"{sw}: invalid location {nloc}")
                continue
            travel = dur[loc][nloc]
            if step.arrival < t:
                err(f"{sw}: arrives at {step.arrival}, before the previous step/break ends at {t}")
            if step.arrival - leg_start - break_in_leg < travel:
                err(
                    f"{sw}: arrives at {step.arrival}, but leaving at {leg_start} with {break_in_leg} s of breaks "
                    f"and {travel} s of travel it cannot arrive before {leg_start + break_in_leg + travel}"
                )
            distance += dist[loc][nloc]
            arc_cost += _arc_cost(problem, v, loc, nloc)
            if step.distance != distance:
                err(f"{sw}: cumulative distance {step.distance}, recomputed {distance}")
            if step.type == "end":
                if begin > v.shift.end:
                    err(f"{sw}: back at {begin}, after the shift end {v.shift.end}")
                if v.max_work_time is not None and begin - depart > v.max_work_time:
                    err(f"{where}: works {begin - depart} s, more than max_work_time {v.max_work_time}")
                if route.duration != begin - depart:
                    err(f"{where}: duration {route.duration}, recomputed {begin - depart}")
                if step.load != tuple(load):
                    err(f"{sw}: load {step.load} should be {tuple(load)}")
                loc = nloc
                continue
            if step.type == "reload":
                n_reloads += 1
                if v.reload_location is None:
                    err(f"{sw}: vehicle {v.id!r} has no reloading (reload_location is None)")
                elif nloc != v.reload_location:
                    err(f"{sw}: reload at location {nloc}, the vehicle unloads at {v.reload_location}")
                if step.service != v.reload_service:
                    err(f"{sw}: reload lasts {step.service}, must last {v.reload_service}")
                service_total += step.service
                load = [0] * n_dims
                if step.load != tuple(load):
                    err(f"{sw}: load {step.load} should be {tuple(load)} (the van is emptied)")
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
                err(f"{sw}: unknown visit")
                loc, t, leg_start, break_in_leg = nloc, begin + step.service, begin + step.service, 0
                prev_distance = distance
                continue
            if visit.id in served:
                err(f"visit {visit.id!r} is served twice (by {served[visit.id]!r} and {route.vehicle!r})")
            served[visit.id] = route.vehicle
            position[visit.id] = pos
            if nloc != visit.location:
                err(f"{sw}: at location {nloc}, the visit is at {visit.location}")
            if step.service != visit.service:
                err(f"{sw}: service {step.service}, the visit needs {visit.service}")
            if visit.windows and not any(w.contains(begin) for w in visit.windows):
                wins = ", ".join(f"[{w.start}, {w.end}]" for w in visit.windows)
                err(f"{sw}: service starts at {begin}, outside every window {wins}")
            if not visit.skills <= v.skills:
                err(f"{sw}: needs skills {sorted(visit.skills)}, vehicle has {sorted(v.skills)}")
            if visit.vehicle is not None and visit.vehicle != v.id:
                err(f"{sw}: locked to vehicle {visit.vehicle!r}")
            load = [a + b for a, b in zip(load, visit.demand)]
            collected = [a + b for a, b in zip(collected, visit.demand)]
            if any(a > c for a, c in zip(load, v.capacity)):
                err(f"{sw}: load {tuple(load)} exceeds capacity {v.capacity}")
            if step.load != tuple(load):
                err(f"{sw}: load {step.load} should be {tuple(load)}")
            service_total += visit.service
            loc = nloc
            t = begin + step.service
            leg_start = t
            break_in_leg = 0
            prev_distance = distance

        if v.reload_location is not None and n_reloads > v.max_reloads:
            err(f"{where}: {n_reloads} reloads, more than max_reloads {v.max_reloads}")
        if n_visits:
            for b in v.breaks:
                c = breaks_taken.get(b.id, 0)
                if c == 0:
                    err(f"{where}: break {b.id!r} is not taken")
                elif c > 1:
                    err(f"{where}: break {b.id!r} taken {c} times")
        if route.distance != distance:
            err(f"{where}: distance {route.distance}, recomputed {distance}")
        if route.service != service_total:
            err(f"{where}: service {route.service}, recomputed {service_total}")
        if route.waiting_time != waiting_total:
            err(f"{where}: waiting time {route.waiting_time}, recomputed {waiting_total}")
        if route.load != tuple(collected):
            err(f"{where}: load {route.load}, recomputed total collected {tuple(collected)}")
        if route.cost != arc_cost + v.fixed_cost:
            err(f"{where}: cost {route.cost}, recomputed {arc_cost + v.fixed_cost}")

    # locked sequences
    for vehicle_id, seq in problem.locked_sequences:
        last = None
        for vid in seq:
            if vid not in served:
                continue
            if served[vid] != vehicle_id:
                err(f"locked sequence of {vehicle_id!r}: visit {vid!r} is served by {served[vid]!r}")
                continue
            if last is not None and position[vid] <= position[last]:
                err(f"locked sequence of {vehicle_id!r}: visit {vid!r} comes before {last!r}")
            last = vid

    # unassigned bookkeeping
    reported: set[str] = set()
    for u in solution.unassigned:
        if u.id not in visits:
            err(f"unassigned: unknown visit {u.id!r}")
        if u.id in reported:
            err(f"unassigned: visit {u.id!r} listed twice")
        reported.add(u.id)
        if u.id in served:
            err(f"visit {u.id!r} is both served (by {served[u.id]!r}) and listed unassigned")
    missing_mandatory = []
    for vis in problem.visits:
        if vis.id in served:
            continue
        if vis.id not in reported:
            kind = "mandatory" if vis.penalty is None else "optional"
            err(f"{kind} visit {vis.id!r} is neither served nor listed unassigned")
        if vis.penalty is None:
            missing_mandatory.append(vis.id)
    if missing_mandatory and solution.status != Status.INFEASIBLE:
        err(f"status {solution.status.value} but mandatory visits are not served: {missing_mandatory}")
    if not missing_mandatory and solution.status == Status.INFEASIBLE:
        err("status infeasible but every mandatory visit is served")

    # summary
    sm = solution.summary
    expected_cost = recompute_cost(problem, solution)
    if sm.cost != expected_cost:
        err(f"summary cost {sm.cost}, recomputed {expected_cost}")
    if sm.routes != len(solution.routes):
        err(f"summary routes {sm.routes}, there are {len(solution.routes)}")
    expected_balance = balance_cost(problem, solution.routes)
    if sm.balance_cost != expected_balance:
        err(f"summary balance cost {sm.balance_cost}, recomputed {expected_balance}")
    if sm.unassigned != len(solution.unassigned):
        err(f"summary unassigned {sm.unassigned}, there are {len(solution.unassigned)}")
    for name in ("distance", "duration", "service", "waiting_time"):
        total = sum(getattr(r, name) for r in solution.routes)
        if getattr(sm, name) != total:
            err(f"summary {name} {getattr(sm, name)}, routes add up to {total}")
    total_load = tuple(sum(r.load[d] for r in solution.routes if len(r.load) == n_dims) for d in range(n_dims))
    if sm.load != total_load:
        err(f"summary load {sm.load}, routes add up to {total_load}")
    return errors
