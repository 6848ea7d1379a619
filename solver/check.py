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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .problem import Break, Problem, Vehicle, Visit
from .result import Route, Solution, Status, Step
from .violations import CAUSES, Violation

__all__ = ["CAUSES", "Violation", "balance_cost", "check", "recompute_cost", "work_time", "work_time_spread"]


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


Err = Callable[..., None]  # err(cause, detail, vehicle=None, visit=None)


def check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every violation found (see :class:`Violation`); [] means the solution is feasible and consistent."""
    errors: list[Violation] = []

    def err(cause: str, detail: str, vehicle: str | None = None, visit: str | None = None) -> None:
        errors.append(Violation(cause, vehicle, visit, detail))

    vehicles = {v.id: v for v in problem.vehicles}
    visits = {v.id: v for v in problem.visits}
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
        _RouteWalk(problem, visits, v, route, err, served, position).run()
    _check_sequences(problem, served, position, err)
    _check_bookkeeping(problem, solution, served, err)
    _check_summary(problem, solution, err)
    return errors


@dataclass
class _RouteWalk:
    """Walks one route's steps, re-deriving times, loads, distances and costs."""

    problem: Problem
    visits: dict[str, Visit]
    v: Vehicle
    route: Route
    err: Err
    served: dict[str, str]
    position: dict[str, int]
    where: str = ""
    depart: int = 0
    t: int = 0  # time the van is free again
    leg_start: int = 0  # when it left the last stop
    break_in_leg: int = 0
    loc: int = 0
    load: list[int] = field(default_factory=list)  # on board now
    collected: list[int] = field(default_factory=list)  # over the whole route
    n_reloads: int = 0
    n_visits: int = 0
    distance: int = 0
    prev_distance: int = 0
    arc_cost: int = 0
    service_total: int = 0
    waiting_total: int = 0
    breaks_taken: dict[str, int] = field(default_factory=dict)

    def run(self) -> None:
        if not self._start():
            return
        for pos, step in enumerate(self.route.steps[1:], start=1):
            self._step(pos, step)
        self._totals()

    def _start(self) -> bool:
        """The route's shape and its start step; False when the steps cannot be walked."""
        err, v, route, n_dims = self.err, self.v, self.route, self.problem.n_dims
        where = self.where = f"route of {route.vehicle!r}"
        steps = route.steps
        if len(steps) < 2 or steps[0].type != "start" or steps[-1].type != "end":
            err("route", f"{where}: must begin with a start step and finish with an end step", route.vehicle)
            return False
        if steps[0].location != v.start:
            err("route", f"{where}: starts at location {steps[0].location}, vehicle starts at {v.start}", route.vehicle)
        if steps[-1].location != v.end:
            err("route", f"{where}: ends at location {steps[-1].location}, vehicle ends at {v.end}", route.vehicle)
        s0 = steps[0]
        self.depart = self.t = self.leg_start = s0.arrival + s0.waiting_time + s0.service
        if s0.arrival < v.shift.start:
            err(
                "shift_start", f"{where}: leaves at {s0.arrival}, before the shift start {v.shift.start}", route.vehicle
            )
        self.loc = v.start
        self.load = list(v.initial_load()) if len(v.initial_load()) == n_dims else [0] * n_dims
        self.collected = [0] * n_dims
        self.waiting_total = s0.waiting_time
        if s0.load != tuple(self.load) or s0.distance != 0:
            err(
                "inconsistent",
                f"{where}: start step must have the start load {tuple(self.load)} and zero distance",
                route.vehicle,
            )
        return True

    def _step(self, pos: int, step: Step) -> None:
        err, route = self.err, self.route
        sw = f"{self.where} step {pos} ({step.type} {step.id!r})"
        sv = step.id if step.type == "visit" else None  # the visit concerned, if any
        if step.waiting_time < 0:
            err("timing", f"{sw}: negative waiting time {step.waiting_time}", route.vehicle, sv)
        begin = step.arrival + step.waiting_time
        self.waiting_total += step.waiting_time
        if step.type == "break":
            self._break(step, sw, begin)
            return
        if step.type not in ("visit", "reload", "end"):
            err("route", f"{sw}: unexpected step type {step.type!r}", route.vehicle, sv)
            return
        if step.type == "end" and pos != len(route.steps) - 1:
            err("route", f"{sw}: end step before the last step", route.vehicle, sv)
        nloc = step.location
        if nloc is None or not 0 <= nloc < self.problem.n_locations:
            err("route", f"{sw}: invalid location {nloc}", route.vehicle, sv)
            return
        self._travel(step, sw, sv, nloc)
        if step.type == "end":
            self._end(step, sw, begin)
        elif step.type == "reload":
            self._reload(step, sw, begin, nloc)
        else:
            self._visit(pos, step, sw, begin, nloc)

    def _break(self, step: Step, sw: str, begin: int) -> None:
        err, vid = self.err, self.route.vehicle
        b: Break | None = next((b for b in self.v.breaks if b.id == step.id), None)
        if b is None:
            err("break", f"{sw}: vehicle has no break {step.id!r}", vid)
            return
        self.breaks_taken[b.id] = self.breaks_taken.get(b.id, 0) + 1
        if step.arrival < self.t and b.duration > 0:  # a zero-length break is an instant
            err("break", f"{sw}: break starts at {step.arrival}, before the previous step ends at {self.t}", vid)
        if not b.window.contains(begin):
            err("break", f"{sw}: break starts at {begin}, outside its window [{b.window.start}, {b.window.end}]", vid)
        if step.service != b.duration:
            err("break", f"{sw}: break lasts {step.service}, must last {b.duration}", vid)
        if step.location is not None:
            err("break", f"{sw}: a break step has no location", vid)
        if step.distance != self.prev_distance:
            err("inconsistent", f"{sw}: distance {step.distance} should be {self.prev_distance}", vid)
        if step.load != tuple(self.load):
            err("inconsistent", f"{sw}: load {step.load} should be {tuple(self.load)}", vid)
        self.t = max(self.t, begin + b.duration)
        self.break_in_leg += b.duration

    def _travel(self, step: Step, sw: str, sv: str | None, nloc: int) -> None:
        """Arrival after the travel (and breaks) from the last stop; distance and arc cost."""
        err, vid, loc = self.err, self.route.vehicle, self.loc
        travel = self.problem.durations[loc][nloc]
        if step.arrival < self.t:
            err("timing", f"{sw}: arrives at {step.arrival}, before the previous step/break ends at {self.t}", vid, sv)
        earliest = self.leg_start + self.break_in_leg + travel
        if step.arrival < earliest:
            err(
                "timing",
                f"{sw}: arrives at {step.arrival}, but leaving at {self.leg_start} with {self.break_in_leg} s of "
                f"breaks and {travel} s of travel it cannot arrive before {earliest}",
                vid,
                sv,
            )
        self.distance += self.problem.distances[loc][nloc]
        self.arc_cost += _arc_cost(self.problem, self.v, loc, nloc)
        if step.distance != self.distance:
            err("inconsistent", f"{sw}: cumulative distance {step.distance}, recomputed {self.distance}", vid, sv)

    def _leave(self, nloc: int, free_at: int) -> None:
        """The van leaves the stop at ``nloc`` at ``free_at``: a new leg starts."""
        self.loc, self.t, self.leg_start, self.break_in_leg = nloc, free_at, free_at, 0
        self.prev_distance = self.distance

    def _end(self, step: Step, sw: str, begin: int) -> None:
        err, v, where, vid = self.err, self.v, self.where, self.route.vehicle
        worked = begin - self.depart
        if begin > v.shift.end:
            err("shift_end", f"{sw}: back at {begin}, after the shift end {v.shift.end}", vid)
        if v.max_work_time is not None and worked > v.max_work_time:
            err("max_work_time", f"{where}: works {worked} s, more than max_work_time {v.max_work_time}", vid)
        if self.route.duration != worked:
            err("inconsistent", f"{where}: duration {self.route.duration}, recomputed {worked}", vid)
        if step.load != tuple(self.load):
            err("inconsistent", f"{sw}: load {step.load} should be {tuple(self.load)}", vid)
        self.loc = step.location if step.location is not None else self.loc

    def _reload(self, step: Step, sw: str, begin: int, nloc: int) -> None:
        err, v, vid = self.err, self.v, self.route.vehicle
        self.n_reloads += 1
        if v.reload_location is None:
            err("reload", f"{sw}: vehicle {v.id!r} has no reloading (reload_location is None)", vid)
        elif nloc != v.reload_location:
            err("reload", f"{sw}: reload at location {nloc}, the vehicle unloads at {v.reload_location}", vid)
        if step.service != v.reload_service:
            err("reload", f"{sw}: reload lasts {step.service}, must last {v.reload_service}", vid)
        self.service_total += step.service
        self.load = [0] * self.problem.n_dims
        if step.load != tuple(self.load):
            err("inconsistent", f"{sw}: load {step.load} should be {tuple(self.load)} (the van is emptied)", vid)
        self._leave(nloc, begin + step.service)

    def _visit(self, pos: int, step: Step, sw: str, begin: int, nloc: int) -> None:
        err, v, vid, sv = self.err, self.v, self.route.vehicle, step.id
        self.n_visits += 1
        visit = self.visits.get(step.id) if step.id is not None else None
        if visit is None:
            err("unknown", f"{sw}: unknown visit", vid, sv)
            self._leave(nloc, begin + step.service)
            return
        if visit.id in self.served:
            err(
                "duplicate",
                f"visit {visit.id!r} is served twice (by {self.served[visit.id]!r} and {vid!r})",
                vid,
                visit.id,
            )
        self.served[visit.id] = vid
        self.position[visit.id] = pos
        if nloc != visit.location:
            err("inconsistent", f"{sw}: at location {nloc}, the visit is at {visit.location}", vid, sv)
        if step.service != visit.service:
            err("inconsistent", f"{sw}: service {step.service}, the visit needs {visit.service}", vid, sv)
        if visit.windows and not any(w.contains(begin) for w in visit.windows):
            wins = ", ".join(f"[{w.start}, {w.end}]" for w in visit.windows)
            err("time_window", f"{sw}: service starts at {begin}, outside every window {wins}", vid, sv)
        if not visit.skills <= v.skills:
            err("skill", f"{sw}: needs skills {sorted(visit.skills)}, vehicle has {sorted(v.skills)}", vid, sv)
        if visit.vehicle is not None and visit.vehicle != v.id:
            err("vehicle_lock", f"{sw}: locked to vehicle {visit.vehicle!r}", vid, sv)
        self.load = [a + b for a, b in zip(self.load, visit.demand)]
        self.collected = [a + b for a, b in zip(self.collected, visit.demand)]
        if any(a > c for a, c in zip(self.load, v.capacity)):
            err("capacity", f"{sw}: load {tuple(self.load)} exceeds capacity {v.capacity}", vid, sv)
        if step.load != tuple(self.load):
            err("inconsistent", f"{sw}: load {step.load} should be {tuple(self.load)}", vid, sv)
        self.service_total += visit.service
        self._leave(nloc, begin + step.service)

    def _totals(self) -> None:
        """Breaks and unloading trips over the day; the route's recorded totals."""
        err, v, route, where, vid = self.err, self.v, self.route, self.where, self.route.vehicle
        if v.reload_location is not None and self.n_reloads > v.max_reloads:
            err("reload", f"{where}: {self.n_reloads} reloads, more than max_reloads {v.max_reloads}", vid)
        if self.n_visits:
            for b in v.breaks:
                c = self.breaks_taken.get(b.id, 0)
                if c == 0:
                    err("break", f"{where}: break {b.id!r} is not taken", vid)
                elif c > 1:
                    err("break", f"{where}: break {b.id!r} taken {c} times", vid)
        if route.distance != self.distance:
            err("inconsistent", f"{where}: distance {route.distance}, recomputed {self.distance}", vid)
        if route.service != self.service_total:
            err("inconsistent", f"{where}: service {route.service}, recomputed {self.service_total}", vid)
        if route.waiting_time != self.waiting_total:
            err("inconsistent", f"{where}: waiting time {route.waiting_time}, recomputed {self.waiting_total}", vid)
        if route.load != tuple(self.collected):
            err("inconsistent", f"{where}: load {route.load}, recomputed total collected {tuple(self.collected)}", vid)
        cost = self.arc_cost + v.fixed_cost
        if route.cost != cost:
            err("inconsistent", f"{where}: cost {route.cost}, recomputed {cost}", vid)


def _check_sequences(problem: Problem, served: dict[str, str], position: dict[str, int], err: Err) -> None:
    """Locked sequences: served by their vehicle, in their order."""
    for vehicle_id, seq in problem.locked_sequences:
        last = None
        for vid in seq:
            if vid not in served:
                continue
            if served[vid] != vehicle_id:
                detail = f"locked sequence of {vehicle_id!r}: visit {vid!r} is served by {served[vid]!r}"
                err("precedence", detail, vehicle_id, vid)
                continue
            if last is not None and position[vid] <= position[last]:
                err(
                    "precedence",
                    f"locked sequence of {vehicle_id!r}: visit {vid!r} comes before {last!r}",
                    vehicle_id,
                    vid,
                )
            last = vid


def _check_bookkeeping(problem: Problem, solution: Solution, served: dict[str, str], err: Err) -> None:
    """Every visit served or listed unassigned, once; the status agrees with the mandatory visits."""
    visit_ids = {v.id for v in problem.visits}
    reported: set[str] = set()
    for u in solution.unassigned:
        if u.id not in visit_ids:
            err("unknown", f"unassigned: unknown visit {u.id!r}", visit=u.id)
        if u.id in reported:
            err("duplicate", f"unassigned: visit {u.id!r} listed twice", visit=u.id)
        reported.add(u.id)
        if u.id in served:
            detail = f"visit {u.id!r} is both served (by {served[u.id]!r}) and listed unassigned"
            err("duplicate", detail, served[u.id], u.id)
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


def _check_summary(problem: Problem, solution: Solution, err: Err) -> None:
    """The summary adds up the routes (cost recomputed, fair-work term included)."""
    sm, n_dims = solution.summary, problem.n_dims
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
