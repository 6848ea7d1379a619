"""Plan mode (as VROOM's ``-c``): time a given route for one vehicle and say which rules it breaks.

``plan_route(problem, vehicle_id, stops)`` takes the vehicle's stops in order (visit ids; ``None``
for an unloading stop at its ``reload_location``) and returns a :class:`PlannedRoute`: the timed
``Route`` and the :class:`~solver.check.Violation` list of that route against the problem (empty
when it is feasible). Timing: the tightest schedule (``schedule.py``: earliest service starts,
departure put off as long as the first service start does not move); each break of the vehicle
is placed, one after the other, in the leg (between two stops) that brings the van back earliest.
When no schedule respects windows, shift, capacity, breaks and ``max_work_time``, the route is
timed with those relaxed (windows never close: the van waits for the opening and may be late;
no shift end, capacity or work-time limit) and the violations name what it breaks. Only the
given vehicle and visits are checked (other visits are not "missing"; locked sequences and fair
work do not apply). Pure Python, no OR-Tools; the problem is assumed valid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .check import Violation, check
from .problem import Problem, ProblemError, TimeWindow, Vehicle
from .result import Route, Solution, Status, Summary
from .schedule import (
    RELOAD,
    TimedStop,
    build_route,
    earliest_end_with_breaks,
    stops_of,
    tight_times,
    tight_times_with_breaks,
)

# "Never closes" for the relaxed timing: ten days, in seconds.
_OPEN = 10 * 24 * 3600


@dataclass(frozen=True, slots=True)
class PlannedRoute:
    """A timed route and what it breaks (nothing when ``feasible``)."""

    route: Route
    violations: tuple[Violation, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations


def plan_route(problem: Problem, vehicle_id: str, stops: Sequence[str | None]) -> PlannedRoute:
    """Time ``stops`` (visit ids in order, ``None`` = unload) for vehicle ``vehicle_id``; see the module.

    Raises ``ProblemError`` for an unknown vehicle or visit id, or an unloading stop for a
    vehicle without ``reload_location``."""
    k = next((k for k, v in enumerate(problem.vehicles) if v.id == vehicle_id), None)
    if k is None:
        raise ProblemError(f"plan_route: unknown vehicle {vehicle_id!r}")
    v = problem.vehicles[k]
    index = {vis.id: i for i, vis in enumerate(problem.visits)}
    indices: list[int] = []
    seen: set[str] = set()
    for stop in stops:
        if stop is None:
            if v.reload_location is None:
                raise ProblemError(f"plan_route: vehicle {vehicle_id!r} has no reload_location to unload at")
            indices.append(RELOAD)
        elif stop not in index:
            raise ProblemError(f"plan_route: unknown visit {stop!r}")
        else:  # (a visit given twice is reported as a "duplicate" violation)
            seen.add(stop)
            indices.append(index[stop])
    route = _timed(problem, k, indices)
    if route is None:
        route = _timed(_relaxed(problem, k), k, indices)
        assert route is not None  # nothing can fail once windows, shift, capacity and breaks are relaxed
    return PlannedRoute(route, tuple(_violations(problem, k, route, seen)))


def _timed(problem: Problem, k: int, indices: list[int]) -> Route | None:
    """The tightest schedule of ``indices`` for vehicle ``k``, breaks placed greedily (None: none fits)."""
    v = problem.vehicles[k]
    stops = stops_of(problem, v, indices)
    n = len(stops)
    if not v.breaks or n == 0:
        res = tight_times(problem, v, stops, v.shift.start)
        if res is None:
            return None
        depart, starts, end = res
        return build_route(problem, k, indices, depart, starts, end, [])
    # Leg j ends at stop j (leg n at the end depot); with service starts 10 (j + 1), a break
    # starting at 10 j + 5 lies in leg j (``schedule._assign_breaks``).
    fake_starts = [10 * (j + 1) for j in range(n)]
    placed: list[tuple[int, int]] = []
    best: tuple[int, list[int], int, list[tuple[int, int]]] | None = None
    for bi in range(len(v.breaks)):
        best, best_leg = None, 0
        # The leg ending the day earliest: legs ranked by their earliest schedule's end (cheap), then
        # the first whose tight schedule also fits the shift is it (same end, same tie-break by leg).
        for _, leg in _legs_by_end(problem, v, stops, fake_starts, placed, bi):
            timed = tight_times_with_breaks(
                problem, v, stops, v.shift.start, fake_starts, placed + [(bi, 10 * leg + 5)]
            )
            if timed is not None:
                best, best_leg = timed, leg
                break
        if best is None:
            return None
        placed.append((bi, 10 * best_leg + 5))
    assert best is not None
    depart, starts, end, brk = best
    return build_route(problem, k, indices, depart, starts, end, brk)


def _legs_by_end(
    problem: Problem,
    v: Vehicle,
    stops: list[TimedStop],
    fake_starts: list[int],
    placed: list[tuple[int, int]],
    bi: int,
) -> list[tuple[int, int]]:
    """(end arrival, leg) of every leg where break ``bi`` can be taken, leaving at the shift start,
    earliest end first (``schedule.earliest_end_with_breaks``)."""
    out = []
    for leg in range(len(stops) + 1):
        end = earliest_end_with_breaks(problem, v, stops, fake_starts, placed + [(bi, 10 * leg + 5)])
        if end is not None:
            out.append((end, leg))
    return sorted(out)


def _relaxed(problem: Problem, k: int) -> Problem:
    """Windows that never close (the van waits for the opening, may be late), no shift end, any
    load, breaks that may start late, no ``max_work_time`` (for vehicle ``k``)."""
    v = problem.vehicles[k]
    rv = dataclasses.replace(
        v,
        shift=TimeWindow(v.shift.start, _OPEN),
        capacity=tuple(10**9 for _ in v.capacity),
        breaks=tuple(dataclasses.replace(b, window=TimeWindow(b.window.start, _OPEN)) for b in v.breaks),
        max_work_time=None,
    )
    visits = tuple(
        dataclasses.replace(vis, windows=(TimeWindow(vis.windows[0].start, _OPEN),)) if vis.windows else vis
        for vis in problem.visits
    )
    vehicles = problem.vehicles[:k] + (rv,) + problem.vehicles[k + 1 :]
    return dataclasses.replace(problem, vehicles=vehicles, visits=visits)


def _violations(problem: Problem, k: int, route: Route, ids: set[str]) -> list[Violation]:
    """``check`` of the route alone: vehicle ``k`` and the visits it serves, as a one-route plan."""
    sub = dataclasses.replace(
        problem,
        vehicles=(problem.vehicles[k],),
        visits=tuple(vis for vis in problem.visits if vis.id in ids),
        locked_sequences=(),
        balance=None,
    )
    summary = Summary(
        cost=route.cost,
        routes=1,
        unassigned=0,
        distance=route.distance,
        duration=route.duration,
        service=route.service,
        waiting_time=route.waiting_time,
        load=route.load,
        solve_seconds=0.0,
    )
    return check(sub, Solution(Status.SOLVED, summary, (route,), ()))
