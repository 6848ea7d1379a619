"""Turn a visit order into a timed ``Route`` (pure Python, no OR-Tools).

Step semantics (shared with ``check.py``, documented in ``solver/__init__.py``):

* ``arrival`` is when the van is at the step's location, ready; service (or the break) starts
  at ``arrival + waiting_time`` and lasts ``service``; it leaves at ``arrival + waiting_time + service``.
* For the start step ``arrival`` is the departure time (waiting and service 0).
* A break step (location None) is taken in place, wherever the van is, between the previous and
  the next step. Driving may be interrupted by it: between leaving one stop and arriving at the
  next, the time not spent on breaks must cover the travel time.
* The time window applies to the service start ``arrival + waiting_time``.
"""

from __future__ import annotations

from .problem import Problem, Vehicle, Visit
from .result import Route, Step


def arc_cost(problem: Problem, v: Vehicle, a: int, b: int) -> int:
    return problem.distances[a][b] * v.cost_per_km // 1000 + problem.durations[a][b] * v.cost_per_hour // 3600


def _window_start(visit: Visit, t: int) -> int | None:
    if not visit.windows:
        return t
    for w in visit.windows:
        if t <= w.end:
            return max(t, w.start)
    return None


def earliest_times(problem: Problem, v: Vehicle, visits: list[Visit], depart: int) -> tuple[list[int], int] | None:
    """Earliest service starts for ``visits`` in order leaving at ``depart``; None if a window is missed."""
    dur = problem.durations
    t, loc = depart, v.start
    starts: list[int] = []
    for visit in visits:
        s = _window_start(visit, t + dur[loc][visit.location])
        if s is None:
            return None
        starts.append(s)
        t, loc = s + visit.service, visit.location
    return starts, t + dur[loc][v.end]


def _fits(v: Vehicle, depart: int, end: int) -> bool:
    return end <= v.shift.end and (v.max_work_time is None or end - depart <= v.max_work_time)


def tight_times(
    problem: Problem, v: Vehicle, visits: list[Visit], depart_hint: int
) -> tuple[int, list[int], int] | None:
    """Departure, service starts, end arrival: earliest schedule, departing as late as the first
    stop allows (no waiting there). Only for vehicles without breaks. None if not found."""
    dur = problem.durations
    for depart in (v.shift.start, depart_hint):
        res = earliest_times(problem, v, visits, depart)
        if res is None:
            continue
        starts, end = res
        if visits:
            # leave later so as not to wait at the first stop
            depart = max(depart, starts[0] - dur[v.start][visits[0].location])
        if _fits(v, depart, end):
            return depart, starts, end
    return None


def build_route(
    problem: Problem,
    vehicle_index: int,
    visit_indices: list[int],
    depart: int,
    service_starts: list[int],
    end_time: int,
    breaks: list[tuple[int, int]],
) -> Route:
    """Build the Route from an order plus times (service starts, break starts, departure).

    If the vehicle has no breaks the times are recomputed (tight); otherwise the given ones
    (from OR-Tools) are kept and arrivals are derived from them.
    """
    v = problem.vehicles[vehicle_index]
    visits = [problem.visits[i] for i in visit_indices]
    if not v.breaks:
        tight = tight_times(problem, v, visits, depart)
        if tight is not None:
            depart, service_starts, end_time = tight
    dur, dist = problem.durations, problem.distances

    brk = sorted((start, v.breaks[bi]) for bi, start in breaks)
    bpos = 0
    steps: list[Step] = []
    load = [0] * len(v.capacity)
    distance = 0
    cost = v.fixed_cost
    waiting_total = 0
    service_total = 0
    steps.append(Step("start", None, v.start, depart, 0, 0, tuple(load), 0))
    t, loc = depart, v.start
    targets = [(visit, s) for visit, s in zip(visits, service_starts)] + [(None, end_time)]
    for visit, s in targets:
        nloc = v.end if visit is None else visit.location
        break_time = 0
        last_break_end = t
        while bpos < len(brk) and (
            visit is None or brk[bpos][0] < s or (brk[bpos][0] == s and brk[bpos][1].duration == 0)
        ):
            bstart, b = brk[bpos]
            steps.append(Step("break", b.id, None, bstart, b.duration, 0, tuple(load), distance))
            break_time += b.duration
            last_break_end = max(last_break_end, bstart + b.duration)
            bpos += 1
        arrival = max(t + dur[loc][nloc] + break_time, last_break_end)
        distance += dist[loc][nloc]
        cost += arc_cost(problem, v, loc, nloc)
        if visit is None:
            steps.append(Step("end", None, nloc, arrival, 0, 0, tuple(load), distance))
            end_arrival = arrival
            break
        load = [a + b for a, b in zip(load, visit.demand)]
        wait = s - arrival
        waiting_total += wait
        service_total += visit.service
        steps.append(Step("visit", visit.id, nloc, arrival, visit.service, wait, tuple(load), distance))
        t, loc = s + visit.service, nloc
    return Route(
        vehicle=v.id,
        steps=tuple(steps),
        cost=cost,
        distance=distance,
        duration=end_arrival - depart,
        service=service_total,
        waiting_time=waiting_total,
        load=tuple(load),
    )
