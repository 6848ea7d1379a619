"""Why a visit cannot be served: real, per-visit checks (no OR-Tools here).

The checks run in a fixed order and the first one that fails gives the reason:

1. SKILL       - no vehicle has the visit's skills (or the vehicle it is locked to lacks them,
                 or its lock and its locked sequence name different vehicles);
2. CAPACITY    - its demand exceeds, in some dimension, the capacity of every eligible vehicle;
3. UNREACHABLE - for every remaining vehicle the matrix has no path start -> visit or visit -> end;
4. TIME_WINDOW - no remaining vehicle can arrive (leaving at shift start) before a window closes;
5. SHIFT       - the round trip start -> visit (waiting for its window) -> end does not fit in the
                 shift or in ``max_work_time`` of any remaining vehicle.

A visit that passes all of them alone but is still not served gets ``Reason.COST``.
Breaks are not taken into account by these single-visit checks (they are necessary conditions).
Reloading (``Vehicle.reload_location``): one visit alone never needs an unloading trip except to
empty a van that starts loaded, so CAPACITY means its demand exceeds every eligible capacity (less
the ``start_load`` already on board, for vans that cannot unload); a visit left out because the
day's total does not fit even with reloads gets COST.
"""

from __future__ import annotations

from dataclasses import dataclass

from .problem import Problem, Vehicle, Visit, is_unreachable
from .result import Reason


@dataclass(frozen=True, slots=True)
class Failure:
    reason: Reason
    detail: str


def sequence_vehicle(problem: Problem) -> dict[str, str]:
    """visit id -> vehicle id for visits listed in ``locked_sequences``."""
    out: dict[str, str] = {}
    for vehicle_id, seq in problem.locked_sequences:
        for vid in seq:
            out[vid] = vehicle_id
    return out


def allowed_vehicles(problem: Problem, visit: Visit, seq_vehicle: dict[str, str] | None = None) -> list[int]:
    """Indices of vehicles that may serve ``visit`` (skills, lock, locked sequence)."""
    if seq_vehicle is None:
        seq_vehicle = sequence_vehicle(problem)
    locked = {visit.vehicle, seq_vehicle.get(visit.id)} - {None}
    return [k for k, v in enumerate(problem.vehicles) if visit.skills <= v.skills and (not locked or locked == {v.id})]


def fits_capacity(visit: Visit, v: Vehicle) -> bool:
    """Could ``v`` take ``visit`` alone, given what it already carries (``start_load``)? A van
    that can unload (``reload_location``) may empty itself first."""
    room = v.capacity if v.reload_location is not None else tuple(c - x for c, x in zip(v.capacity, v.initial_load()))
    return all(d <= r for d, r in zip(visit.demand, room))


def _fmt_skills(skills: frozenset[str]) -> str:
    return ", ".join(sorted(skills)) or "none"


def _skill_failure(problem: Problem, visit: Visit, seq_vehicle: dict[str, str]) -> str:
    seq = seq_vehicle.get(visit.id)
    if visit.vehicle is not None and seq is not None and visit.vehicle != seq:
        return f"locked to vehicle {visit.vehicle!r} but its locked sequence belongs to vehicle {seq!r}"
    locked = visit.vehicle or seq
    if locked is not None:
        v = next(v for v in problem.vehicles if v.id == locked)
        missing = visit.skills - v.skills
        return f"locked to vehicle {locked!r}, which lacks the skills it needs: {_fmt_skills(frozenset(missing))}"
    return f"needs skills {_fmt_skills(visit.skills)}; no vehicle has all of them"


def earliest_service_start(visit: Visit, arrival: int) -> int | None:
    """Earliest time >= arrival at which service may start, or None if every window has closed."""
    if not visit.windows:
        return arrival
    for w in visit.windows:
        if arrival <= w.end:
            return max(arrival, w.start)
    return None


def check_visit(problem: Problem, visit: Visit, seq_vehicle: dict[str, str] | None = None) -> Failure | None:
    """Run the single-visit checks; return the first failure, or None if it could be served alone."""
    if seq_vehicle is None:
        seq_vehicle = sequence_vehicle(problem)
    vehicles = problem.vehicles
    eligible = allowed_vehicles(problem, visit, seq_vehicle)
    if not eligible:
        return Failure(Reason.SKILL, _skill_failure(problem, visit, seq_vehicle))

    fits = [k for k in eligible if fits_capacity(visit, vehicles[k])]
    if not fits:
        return _capacity_failure(problem, visit, eligible)

    def reachable(v: Vehicle) -> bool:
        loc = visit.location
        return not any(
            is_unreachable(m[a][b])
            for m in (problem.durations, problem.distances)
            for a, b in ((v.start, loc), (loc, v.end))
        )

    reach = [k for k in fits if reachable(vehicles[k])]
    if not reach:
        return Failure(
            Reason.UNREACHABLE,
            f"the matrix has no path between location {visit.location} and the start/end of any eligible vehicle",
        )

    return _time_failure(problem, visit, reach)


def _capacity_failure(problem: Problem, visit: Visit, eligible: list[int]) -> Failure:
    """Why the visit fits no eligible vehicle: too big, or no room left by what they carry."""
    vehicles = problem.vehicles
    for dim, d in enumerate(visit.demand):
        largest = max(vehicles[k].capacity[dim] for k in eligible)
        if d > largest:
            where = f" (dimension {dim})" if len(visit.demand) > 1 else ""
            return Failure(Reason.CAPACITY, f"demand {d}{where} exceeds the largest eligible capacity {largest}")
    if any(any(vehicles[k].start_load) for k in eligible):

        def room(k: int) -> tuple[int, ...]:
            return tuple(c - x for c, x in zip(vehicles[k].capacity, vehicles[k].initial_load()))

        best = max(eligible, key=lambda k: (min(r - d for r, d in zip(room(k), visit.demand)), k))
        v = vehicles[best]
        return Failure(
            Reason.CAPACITY,
            f"demand {visit.demand} does not fit in the room left by the load already on board "
            f"(vehicle {v.id!r}, the roomiest: capacity {v.capacity}, already carrying "
            f"{v.initial_load()}, {room(best)} free"
            + (", and it cannot unload)" if v.reload_location is None else ")"),
        )
    return Failure(
        Reason.CAPACITY,
        f"demand {visit.demand} does not fit any eligible vehicle's capacity in every dimension",
    )


def _time_failure(problem: Problem, visit: Visit, reach: list[int]) -> Failure | None:
    """None if one of the vehicles ``reach`` can serve the visit alone in time, else why not."""
    vehicles = problem.vehicles
    dur = problem.durations
    timely: list[tuple[int, int]] = []  # (vehicle index, earliest service start)
    best_arrival = None
    for k in reach:
        v = vehicles[k]
        arrival = v.shift.start + dur[v.start][visit.location]
        best_arrival = arrival if best_arrival is None else min(best_arrival, arrival)
        start = earliest_service_start(visit, arrival)
        if start is not None:
            timely.append((k, start))
    if not timely:
        last_end = visit.windows[-1].end
        return Failure(
            Reason.TIME_WINDOW,
            f"earliest possible arrival {best_arrival} s (leaving at shift start) is after its last window end {last_end} s",
        )

    shift_fail: list[tuple[int, int]] = []  # (back at the end depot, shift end)
    work_fail: list[tuple[int, int]] = []  # (shortest work time, max work time)
    for k, start in timely:
        v = vehicles[k]
        d_in = dur[v.start][visit.location]
        d_out = dur[visit.location][v.end]
        back = start + visit.service + d_out
        span = d_in + visit.service + d_out  # leaving just in time to start service on arrival
        if back > v.shift.end:
            shift_fail.append((back, v.shift.end))
        elif v.max_work_time is not None and span > v.max_work_time:
            work_fail.append((span, v.max_work_time))
        else:
            return None
    if work_fail:
        span, limit = min(work_fail)
        return Failure(
            Reason.SHIFT, f"the quickest round trip to it takes {span} s, more than the max work time {limit} s"
        )
    back, end = min(shift_fail, key=lambda x: (x[0] - x[1], x))
    return Failure(
        Reason.SHIFT,
        f"the quickest round trip to it ends at {back} s, after the shift end {end} s of every eligible vehicle",
    )


def precheck(problem: Problem) -> dict[str, Failure]:
    """visit id -> failure, for every visit that cannot be served even alone."""
    seq_vehicle = sequence_vehicle(problem)
    out: dict[str, Failure] = {}
    for visit in problem.visits:
        f = check_visit(problem, visit, seq_vehicle)
        if f is not None:
            out[visit.id] = f
    return out


def cost_detail(visit: Visit) -> str:
    if visit.penalty is None:
        return (
            "it could be served on its own, but not together with the rest of the plan "
            "(vehicles, capacity, time windows or shifts run out)"
        )
    return (
        f"it could be served on its own, but serving it would cost more than its penalty {visit.penalty} "
        "or there is no room left in the plan"
    )
