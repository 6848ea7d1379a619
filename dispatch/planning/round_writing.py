"""Rounds written back after an edit or a solve, and the plan's totals kept in step.

:func:`write_round` makes a round's stops those of a solver route (visit stops keep their ids, breaks
and unloading stops reuse the round's rows where they can); :func:`retime` re-times a round in a given
order (:func:`round_timing.schedule`) and writes it; :func:`empty_round` parks a round left without
visits at the depot; :func:`sync_plan` brings the plan's totals, relay-point decisions and status in
line after a change. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dispatch.models import CREW_DEFAULTS, PickupRequest, PickupStatus, Plan, Round, Stop, StopKind
from dispatch.planning import problem as builder
from dispatch.planning.edit_context import EXCLUDED_REASONS, VISIT_KINDS, Context, stop_key
from dispatch.planning.problem import LITRES_PER_M3
from dispatch.planning.round_timing import Timed, describe, schedule


def datetime_at(day: dt.date, seconds: int) -> dt.datetime:
    """``seconds`` after midnight of ``day``."""
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)


def seconds_of(t: dt.datetime) -> int:
    """Seconds after midnight of ``t``'s clock time."""
    return t.hour * 3600 + t.minute * 60 + t.second


def order_of(rnd: Round) -> list[str | None]:
    """The round's visit keys in order, None for an unloading stop (breaks left out)."""
    return [stop_key(s) if s.kind in VISIT_KINDS else None for s in rnd.stops if s.kind is not StopKind.BREAK]


def break_leg(rnd: Round) -> int | None:
    """The leg of the round its lunch break is in (None: no break)."""
    leg = 0
    for s in rnd.stops:
        if s.kind is StopKind.BREAK:
            return leg
        leg += 1
    return None


def park(stops: list[Stop], *, session: Session) -> None:
    """Move stops out of the way of the (round, position) uniqueness before renumbering."""
    for i, s in enumerate(stops):
        s.position = -1_000_000 - (s.id or i)
    session.flush()


def write_round(ctx: Context, rnd: Round, route: builder.Route, pool: dict[str, Stop], *, session: Session,
                keep: list[Stop] = (), distance_offset: int = 0, warnings: list[dict] | None = None) -> None:
    """Make ``rnd``'s stops those of ``route`` (after the ``keep`` stops, which are left as they are).

    Visit stops are taken from ``pool`` (key -> Stop, ids kept), others created; breaks and unloading
    stops reuse the round's rows where they can.
    """
    day = ctx.plan.date
    spare = [s for s in rnd.stops if s.kind not in VISIT_KINDS and s not in keep]
    own = {stop_key(s): s for s in rnd.stops if s.kind in VISIT_KINDS and s not in keep}
    position = max((s.position for s in keep), default=0)
    new_stops: list[Stop] = []
    for step in route.steps:
        if step.type in ("start", "end"):
            continue
        if step.type == "visit":
            stop = _visit_stop(ctx, step, pool, own, session=session)
        else:
            stop = _service_stop(step, spare)
        stop.planned_arrival = datetime_at(day, step.arrival + step.waiting_time)
        stop.service_s, stop.waiting_s = step.service, step.waiting_time
        stop.load_after_m3 = step.load[0] / LITRES_PER_M3 if step.load else 0.0
        stop.distance_from_start_m = distance_offset + step.distance
        new_stops.append(stop)
    _place(rnd, new_stops, spare, position, session=session)
    _round_totals(rnd, route, day, keep=keep, distance_offset=distance_offset, warnings=warnings)
    session.flush()


def _visit_stop(ctx: Context, step: builder.Step, pool: dict[str, Stop], own: dict[str, Stop], *,
                session: Session) -> Stop:
    """The stop of a visit step (from the pool, else the round's own, else new), its window and load set;
    a home pickup placed in a round is scheduled."""
    day = ctx.plan.date
    cand = ctx.candidates[step.id]
    stop = pool.pop(step.id, None) or own.pop(step.id, None)
    if stop is None:
        stop = Stop(kind=cand.kind, relay_point_id=cand.record_id if cand.kind is StopKind.RELAY_POINT else None,
                    pickup_request_id=cand.record_id if cand.kind is StopKind.PICKUP else None)
    shown = cand.shown_windows or cand.windows
    begin = step.arrival + step.waiting_time
    chosen = next((shown[i] for i, (a, b) in enumerate(cand.windows) if a <= begin <= b),
                  shown[0] if shown else None)
    stop.window_start = datetime_at(day, chosen[0]) if chosen else None
    stop.window_end = datetime_at(day, chosen[1]) if chosen else None
    stop.expected_m3 = cand.expected_m3
    stop.requirements = {"needs": sorted(cand.skills), "why": list(cand.why)} if cand.skills else None
    if cand.kind is StopKind.PICKUP:
        pu = session.get(PickupRequest, cand.record_id)
        pu.status, pu.status_reason = PickupStatus.SCHEDULED, None
    return stop


def _service_stop(step: builder.Step, spare: list[Stop]) -> Stop:
    """The stop of a break or unloading step: one of the round's ``spare`` rows of that kind, else new."""
    kind = StopKind.BREAK if step.type == "break" else StopKind.UNLOAD
    stop = next((s for s in spare if s.kind is kind), None)
    if stop is not None:
        spare.remove(stop)
    else:
        stop = Stop(kind=kind)
    stop.window_start = stop.window_end = None
    stop.expected_m3 = 0.0
    return stop


def _place(rnd: Round, new_stops: list[Stop], spare: list[Stop], position: int, *, session: Session) -> None:
    """The unused ``spare`` rows deleted, ``new_stops`` numbered after ``position`` and put in ``rnd``."""
    for s in spare:
        if s in rnd.stops:
            rnd.stops.remove(s)
        session.delete(s)
    park([s for s in new_stops if s.id is not None], session=session)
    for stop in new_stops:
        position += 1
        stop.position = position
        if stop.round is not rnd:
            rnd.stops.append(stop)  # moved here from another round (the backref takes it out of there)
    rnd.stops.sort(key=lambda s: s.position)


def _round_totals(rnd: Round, route: builder.Route, day: dt.date, *, keep: list[Stop], distance_offset: int,
                  warnings: list[dict] | None) -> None:
    """The round's times, distance, load and warnings from ``route`` (after the ``keep`` stops)."""
    steps = route.steps
    if not keep:
        rnd.start_at = datetime_at(day, steps[0].arrival)
    rnd.end_at = datetime_at(day, steps[-1].arrival)
    rnd.distance_m = distance_offset + route.distance
    rnd.duration_s = int((rnd.end_at - rnd.start_at).total_seconds())
    rnd.load_m3 = sum(s.expected_m3 for s in keep if s.kind in VISIT_KINDS) + route.load[0] / LITRES_PER_M3
    rnd.warnings = list(warnings) if warnings else None

def empty_round(ctx: Context, rnd: Round, *, session: Session) -> None:
    """A round left without visits: no stops, parked at the depot."""
    for s in list(rnd.stops):
        rnd.stops.remove(s)
        session.delete(s)
    start = rnd.start_at.replace(hour=0, minute=0, second=0) + dt.timedelta(
        minutes=rnd.crew.shift_start_min if rnd.crew else CREW_DEFAULTS["shift_start_min"])
    rnd.start_at = rnd.end_at = start
    rnd.distance_m = rnd.duration_s = 0
    rnd.load_m3 = 0.0
    rnd.warnings = None
    session.flush()


def retime(ctx: Context, rnd: Round, order: list[str | None], pool: dict[str, Stop], *, session: Session,
           leg: int | None = None) -> Timed | None:
    """Re-time ``rnd`` visiting ``order`` and write it (an order without visits empties the round)."""
    vid = f"crew:{rnd.crew_id}"
    if not any(k is not None for k in order):
        empty_round(ctx, rnd, session=session)
        return None
    timed = schedule(ctx, vid, order, break_leg=leg)
    write_round(ctx, rnd, timed.route, pool, session=session, warnings=timed.violations)
    return timed


def sync_plan(plan: Plan, *, session: Session) -> None:
    """Totals, relay-point decisions' ``visited`` and the plan's status after a change."""
    session.flush()
    session.refresh(plan, attribute_names=["rounds", "unassigned"])
    in_rounds = {stop_key(s) for r in plan.rounds for s in r.stops if s.kind in VISIT_KINDS}
    plan.distance_m = sum(r.distance_m for r in plan.rounds)
    plan.load_m3 = sum(r.load_m3 for r in plan.rounds)
    if plan.relay_point_decisions:
        plan.relay_point_decisions = [
            {**d, "visited": f"rp:{d['relay_point_id']}" in in_rounds} for d in plan.relay_point_decisions
        ]
    missing = [u for u in plan.unassigned if u.mandatory and u.reason not in EXCLUDED_REASONS]
    warned = [r for r in plan.rounds if r.warnings]
    if missing:
        plan.solver_status = "infeasible"
        plan.explanation = f"{len(missing)} mandatory visit(s) are not in a round: " + "; ".join(
            f"{stop_key(u)} ({u.reason}: {u.detail})" for u in missing)
    elif plan.solver_status == "infeasible":
        plan.solver_status, plan.explanation = "solved", None
    if warned and plan.solver_status == "solved":
        plan.explanation = "rounds kept by force despite broken rules: " + "; ".join(
            f"round {r.id}: {describe(r.warnings)}" for r in warned)
    elif not warned and plan.solver_status == "solved":
        plan.explanation = None
    session.flush()
