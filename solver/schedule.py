"""Turn a visit order into a timed ``Route`` (pure Python, no OR-Tools).

Step semantics (shared with ``check.py``, documented in ``solver/__init__.py``):

* ``arrival`` is when the van is at the step's location, ready; service (or the break) starts
  at ``arrival + waiting_time`` and lasts ``service``; it leaves at ``arrival + waiting_time + service``.
* For the start step ``arrival`` is the departure time (waiting and service 0).
* A break step (location None) is taken in place, wherever the van is, between the previous and
  the next step. Driving may be interrupted by it: between leaving one stop and arriving at the
  next, the time not spent on breaks must cover the travel time. The break starts at
  ``arrival + waiting_time``; ``waiting_time`` > 0 only when the van has already reached the next
  stop and waits there for the break window to open (so idle time is never hidden).
* Vehicles with breaks are re-timed too (see :func:`tight_times_with_breaks`): each break stays
  in the leg (between two stops) OR-Tools chose for it and starts as early as its window allows.
* The time window applies to the service start ``arrival + waiting_time``.
* The start step's load is ``Vehicle.start_load`` (zeros by default): what is already on board.
* A reload step (``visit_indices`` entry ``RELOAD`` = -1) is a stop at the vehicle's
  ``reload_location`` with service ``reload_service`` and no window; the van is emptied there, so
  its load (and that of the following steps until the next visit) is all zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

from .problem import Problem, TimeWindow, Vehicle, Visit
from .result import Route, Step

RELOAD = -1  # same marker as ``model.RELOAD`` (kept here so this module needs no OR-Tools)


@dataclass(frozen=True, slots=True)
class _Reload:
    """A reload stop, shaped like a Visit for the timing code."""

    location: int
    service: int
    windows: tuple[TimeWindow, ...] = ()


# A stop as the timing code sees it: a visit, or an unloading stop shaped like one.
TimedStop = Visit | _Reload


def stops_of(problem: Problem, v: Vehicle, visit_indices: list[int]) -> list[Visit | _Reload]:
    """The stops of ``visit_indices`` (``RELOAD``: an unloading stop at the reload location)."""
    out: list[Visit | _Reload] = []
    for i in visit_indices:
        if i == RELOAD:
            if v.reload_location is None:
                raise ValueError(f"vehicle {v.id!r} has no reload location")
            out.append(_Reload(v.reload_location, v.reload_service))
        else:
            out.append(problem.visits[i])
    return out


def arc_cost(problem: Problem, v: Vehicle, a: int, b: int) -> int:
    return problem.distances[a][b] * v.cost_per_km // 1000 + problem.durations[a][b] * v.cost_per_hour // 3600


def _window_start(visit: Visit | _Reload, t: int) -> int | None:
    if not visit.windows:
        return t
    for w in visit.windows:
        if t <= w.end:
            return max(t, w.start)
    return None


def earliest_times(
    problem: Problem, v: Vehicle, visits: list[Visit | _Reload], depart: int
) -> tuple[list[int], int] | None:
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
    problem: Problem, v: Vehicle, visits: list[Visit | _Reload], depart_hint: int
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


def _assign_breaks(
    n_stops: int, service_starts: list[int], breaks: list[tuple[int, int]], v: Vehicle
) -> list[list[int]]:
    """Leg of each performed break, from OR-Tools' times: leg j ends at stop j (leg n_stops ends
    at the end depot). A break belongs to the first leg whose stop starts service after it (a
    zero-length break may coincide with that service start)."""
    legs: list[list[int]] = [[] for _ in range(n_stops + 1)]
    j = 0
    for start, bi in sorted((start, bi) for bi, start in breaks):
        while j < n_stops and not (
            start < service_starts[j] or (start == service_starts[j] and v.breaks[bi].duration == 0)
        ):
            j += 1
        legs[j].append(bi)
    return legs


def _earliest_with_breaks(
    problem: Problem, v: Vehicle, stops: list[Visit | _Reload], legs: list[list[int]], depart: int
) -> tuple[list[int], list[tuple[int, int]], int] | None:
    """Earliest service starts, break starts and end arrival leaving at ``depart``, with each break
    kept in its leg and started as early as its window allows; None if a window is missed."""
    dur = problem.durations
    t, loc = depart, v.start
    starts: list[int] = []
    brk: list[tuple[int, int]] = []
    for j in range(len(stops) + 1):
        nloc = v.end if j == len(stops) else stops[j].location
        free, pause = t, 0
        for bi in legs[j]:
            b = v.breaks[bi]
            bs = max(free, b.window.start)
            if bs > b.window.end:
                return None
            brk.append((bi, bs))
            free, pause = bs + b.duration, pause + b.duration
        arrival = max(t + dur[loc][nloc] + pause, free)
        if j == len(stops):
            return starts, brk, arrival
        s = _window_start(stops[j], arrival)
        if s is None:
            return None
        starts.append(s)
        t, loc = s + stops[j].service, nloc
    raise AssertionError("unreachable")


def earliest_end_with_breaks(
    problem: Problem,
    v: Vehicle,
    stops: list[Visit | _Reload],
    service_starts: list[int],
    breaks: list[tuple[int, int]],
) -> int | None:
    """The end arrival of the earliest schedule leaving at the shift start, each break kept in the leg
    ``service_starts`` and ``breaks`` put it in (as :func:`tight_times_with_breaks`), or None if a
    window is missed. Linear in the stops: a cheap way to rank where a break could go, since
    :func:`tight_times_with_breaks` only puts the departure off without moving any later time."""
    legs = _assign_breaks(len(stops), service_starts, breaks, v)
    res = _earliest_with_breaks(problem, v, stops, legs, v.shift.start)
    return None if res is None else res[2]


def tight_times_with_breaks(
    problem: Problem,
    v: Vehicle,
    stops: list[Visit | _Reload],
    depart_hint: int,
    service_starts: list[int],
    breaks: list[tuple[int, int]],
) -> tuple[int, list[int], int, list[tuple[int, int]]] | None:
    """Like :func:`tight_times` for a vehicle with breaks. Each break stays in the leg OR-Tools put it
    in (between two stops, possibly taken at the next stop while waiting for it to open) and starts
    at the earliest time its window allows. The schedule is the earliest one, then the departure is
    put off as long as the first service start does not move (no idle wait at the first stop).
    Returns (departure, service starts, end arrival, break starts), or None (keep OR-Tools' times)."""
    if not stops:
        return None
    legs = _assign_breaks(len(stops), service_starts, breaks, v)
    for first in (v.shift.start, depart_hint):
        res = _earliest_with_breaks(problem, v, stops, legs, first)
        if res is None:
            continue
        s0 = res[0][0]
        lo, hi = first, max(first, s0)  # the latest departure keeping s0: binary search
        while lo < hi:
            mid = (lo + hi + 1) // 2
            r = _earliest_with_breaks(problem, v, stops, legs, mid)
            if r is not None and r[0][0] == s0:
                lo = mid
            else:
                hi = mid - 1
        res = _earliest_with_breaks(problem, v, stops, legs, lo)
        if res is None:
            continue
        starts, brk, end = res
        if _fits(v, lo, end):
            return lo, starts, end, brk
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

    The times are recomputed (tight: earliest, leaving as late as the first stop allows; breaks
    as early as their windows allow); if that fails the given ones (from OR-Tools) are kept and
    arrivals are derived from them.
    """
    v = problem.vehicles[vehicle_index]
    visits = stops_of(problem, v, visit_indices)
    if not v.breaks:
        tight = tight_times(problem, v, visits, depart)
        if tight is not None:
            depart, service_starts, end_time = tight
    else:
        tight_b = tight_times_with_breaks(problem, v, visits, depart, service_starts, breaks)
        if tight_b is not None:
            depart, service_starts, end_time, breaks = tight_b
    walk = _Walk(problem, v, depart, breaks)
    for visit, s in zip(visits, service_starts):
        walk.stop(visit, s)
    return walk.end()  # (its arrival comes from the last leg, not from ``end_time``)


class _Walk:
    """The steps of one route, leg after leg, with its running totals: the start step first, then
    :meth:`stop` for each stop (with its service start) and :meth:`end`, which gives the Route."""

    def __init__(self, problem: Problem, v: Vehicle, depart: int, breaks: list[tuple[int, int]]) -> None:
        self.problem, self.v, self.depart = problem, v, depart
        self.brk = sorted((start, v.breaks[bi]) for bi, start in breaks)  # (start, break), in time order
        self.bpos = 0  # the next break to place
        self.load = list(v.initial_load())  # on board (a mid-day re-plan may start loaded)
        self.collected = [0] * len(v.capacity)  # over the day
        self.distance = 0
        self.cost = v.fixed_cost
        self.waiting_total = 0
        self.service_total = 0
        self.steps = [Step("start", None, v.start, depart, 0, 0, tuple(self.load), 0)]
        self.t, self.loc = depart, v.start  # when the van leaves its last stop, and where that is

    def _drive(self, nloc: int, until: int | None) -> int:
        """Drive to ``nloc``, taking on the way the breaks that start before ``until`` (the next service
        start; a zero-length break at that very time too; None: every break left); the arrival."""
        dur = self.problem.durations
        break_time = 0
        last_break_end = self.t
        brk = self.brk
        while self.bpos < len(brk) and (
            until is None
            or brk[self.bpos][0] < until
            or (brk[self.bpos][0] == until and brk[self.bpos][1].duration == 0)
        ):
            bstart, b = brk[self.bpos]
            # Idle time before the break (the van is already at the next stop and the break window
            # has not opened yet) is reported as the break step's waiting time.
            ready = max(self.t + dur[self.loc][nloc] + break_time, last_break_end)
            bwait = max(0, bstart - ready)
            self.waiting_total += bwait
            self.steps.append(
                Step("break", b.id, None, bstart - bwait, b.duration, bwait, tuple(self.load), self.distance)
            )
            break_time += b.duration
            last_break_end = max(last_break_end, bstart + b.duration)
            self.bpos += 1
        arrival = max(self.t + dur[self.loc][nloc] + break_time, last_break_end)
        self.distance += self.problem.distances[self.loc][nloc]
        self.cost += arc_cost(self.problem, self.v, self.loc, nloc)
        return arrival

    def stop(self, visit: Visit | _Reload, s: int) -> None:
        """The leg to ``visit`` (its breaks) and its step, service starting at ``s``."""
        nloc = visit.location
        arrival = self._drive(nloc, s)
        wait = s - arrival
        self.waiting_total += wait
        self.service_total += visit.service
        if isinstance(visit, _Reload):
            self.load = [0] * len(self.v.capacity)
            self.steps.append(Step("reload", None, nloc, arrival, visit.service, wait, tuple(self.load), self.distance))
        else:
            self.load = [a + b for a, b in zip(self.load, visit.demand)]
            self.collected = [a + b for a, b in zip(self.collected, visit.demand)]
            self.steps.append(
                Step("visit", visit.id, nloc, arrival, visit.service, wait, tuple(self.load), self.distance)
            )
        self.t, self.loc = s + visit.service, nloc

    def end(self) -> Route:
        """The last leg (with every break left), the end step, and the Route."""
        v = self.v
        arrival = self._drive(v.end, None)
        self.steps.append(Step("end", None, v.end, arrival, 0, 0, tuple(self.load), self.distance))
        return Route(
            vehicle=v.id,
            steps=tuple(self.steps),
            cost=self.cost,
            distance=self.distance,
            duration=arrival - self.depart,
            service=self.service_total,
            waiting_time=self.waiting_total,
            load=tuple(self.collected),
        )
