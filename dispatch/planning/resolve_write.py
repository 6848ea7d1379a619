"""The write step of a re-optimisation or re-plan: a solution written into its plan's rounds.

:func:`store_prepared` writes a solved :class:`~dispatch.planning.resolve.Prepared` in the caller's
transaction, only if the plan is still at the version it was read at (else
:class:`~dispatch.planning.versions.StaleVersion`: nothing is written), and, for a re-plan, only if no
crew reported a stop meanwhile. Rounds are rewritten in place (:func:`store_solution`: stop ids kept by
visit); a re-plan keeps the stops already done as they are. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.orm import Session

from dispatch.errors import Conflict
from dispatch.models import PickupRequest, PickupStatus, Plan, Round, Stop, StopKind, UnassignedVisit
from dispatch.planning import problem as builder
from dispatch.planning import unassigned as unassigned_params
from dispatch.planning.edit_context import VISIT_KINDS, Context, stop_key
from dispatch.planning.resolve import NOT_TOGETHER, Prepared, rebind
from dispatch.planning.round_status import stop_outcomes, update_round_status
from dispatch.planning.round_writing import datetime_at, empty_round, park, sync_plan, write_round
from dispatch.planning.versions import open_plan, record_change


def store_solution(ctx: Context, solution: builder.Solution, rounds_by_vid: dict[str, Round], *,
                   session: Session, keep: dict[str, list[Stop]] | None = None,
                   offsets: dict[str, int] | None = None) -> None:
    """Write a solution into the plan's rounds in place (stop ids kept by visit), and the unassigned."""
    plan = ctx.plan
    keep = keep or {}
    pool = {stop_key(s): s for r in plan.rounds for s in r.stops
            if s.kind in VISIT_KINDS and s not in keep.get(f"crew:{r.crew_id}", ())}
    park(list(pool.values()), session=session)
    used = set()
    for route in solution.routes:
        rnd = rounds_by_vid.get(route.vehicle)
        if rnd is None:
            crew = ctx.crews[route.vehicle]
            rnd = Round(plan=plan, van=crew.van, crew=crew, start_at=datetime_at(plan.date, route.steps[0].arrival),
                        end_at=datetime_at(plan.date, route.steps[-1].arrival), distance_m=0, duration_s=0,
                        load_m3=0.0)
            session.add(rnd)
            session.flush()
            rounds_by_vid[route.vehicle] = rnd
        used.add(route.vehicle)
        write_round(ctx, rnd, route, pool, session=session, keep=keep.get(route.vehicle, []),
                    distance_offset=(offsets or {}).get(route.vehicle, 0))
    for stop in pool.values():  # visits no longer in any round
        if stop.round is not None and stop in stop.round.stops:
            stop.round.stops.remove(stop)
        session.delete(stop)
    session.flush()
    for vid, rnd in rounds_by_vid.items():
        if vid not in used and not keep.get(vid):
            empty_round(ctx, rnd, session=session)
    served = {k for r in solution.routes for k in r.visit_ids}
    for un in list(plan.unassigned):
        if stop_key(un) in served or stop_key(un) in {u.id for u in solution.unassigned}:
            plan.unassigned.remove(un)
            session.delete(un)
    for un in solution.unassigned:
        cand = ctx.candidates[un.id]
        plan.unassigned.append(UnassignedVisit(
            kind=cand.kind, relay_point_id=cand.record_id if cand.kind is StopKind.RELAY_POINT else None,
            pickup_request_id=cand.record_id if cand.kind is StopKind.PICKUP else None,
            mandatory=cand.mandatory, reason=un.reason.value, detail=un.detail,
            params=unassigned_params.solver_params(un.reason.value, cand, builder.largest_m3(ctx.problem))
            | ({"not_together": True} if un.detail.startswith(NOT_TOGETHER) else {})))
        if cand.kind is StopKind.PICKUP:
            pu = session.get(PickupRequest, cand.record_id)
            if pu.status is PickupStatus.SCHEDULED:
                pu.status = PickupStatus.ACCEPTED
    plan.cost = solution.summary.cost
    plan.solve_seconds = solution.summary.solve_seconds
    if solution.status is builder.Status.INFEASIBLE:
        plan.solver_status, plan.explanation = "infeasible", solution.explanation
    session.flush()

def store_prepared(prep: Prepared, solution: builder.Solution, *, session: Session, actor: str) -> Plan:
    """Write a solved re-optimisation or re-plan into the plan, in the caller's transaction, only if
    the plan is still at the version it was read at (else :class:`StaleVersion`: nothing is written)."""
    draft = prep.op == "reoptimise"
    plan = open_plan(prep.plan_id, prep.version, session=session, draft=draft)
    ctx = rebind(prep, plan, session=session)
    rounds = [r for r in plan.rounds if r.crew_id is not None]
    if draft:
        _store_reoptimised(prep, ctx, rounds, solution, session=session, actor=actor)
    else:
        _store_replanned(prep, ctx, rounds, solution, session=session, actor=actor)
    return plan


def _store_reoptimised(prep: Prepared, ctx: Context, rounds: list[Round], solution: builder.Solution, *,
                       session: Session, actor: str) -> None:
    """A re-optimised draft: its rounds rewritten, the stops moved counted in the change log."""
    plan = ctx.plan
    before = prep.detail["before"]
    store_solution(ctx, solution, {f"crew:{r.crew_id}": r for r in rounds}, session=session)
    plan.time_limit_s = prep.limit
    sync_plan(plan, session=session)
    moved = sum(1 for r in plan.rounds for s in r.stops
                if s.id in before and before[s.id] != (s.round_id, s.position))
    record_change(plan, "reoptimise", actor, {
        "time_limit_s": prep.limit, "stops_moved": moved,
        "locked": sum(len(seq) for _, seq in ctx.problem.locked_sequences),
        "unassigned": [u.id for u in solution.unassigned], "solver_status": solution.status.value,
        "distance_m": plan.distance_m,
    }, session=session)


def _store_replanned(prep: Prepared, ctx: Context, rounds: list[Round], solution: builder.Solution, *,
                     session: Session, actor: str) -> None:
    """A re-planned published plan: the stops done kept as they are, the rest of each round rewritten."""
    plan = ctx.plan
    _check_no_new_outcomes(prep, plan, rounds, session=session)
    stops = {s.id: s for r in rounds for s in r.stops}
    done = {r.id: [stops[i] for i in prep.kept.get(r.id, ()) if i in stops] for r in rounds}
    keep = {f"crew:{r.crew_id}": done[r.id] for r in rounds}
    offsets = {f"crew:{r.crew_id}": prep.offsets.get(r.id, 0) for r in rounds}
    store_solution(ctx, solution, {f"crew:{r.crew_id}": r for r in rounds}, session=session, keep=keep,
                   offsets=offsets)
    _left_out_by_hand(plan, prep.detail.get("dropped") or (), actor, session=session)
    for rnd in rounds:
        if not any(route.vehicle == f"crew:{rnd.crew_id}" for route in solution.routes) and done[rnd.id]:
            _trim_to(rnd, done[rnd.id], session=session)
        update_round_status(rnd, session=session)
    sync_plan(plan, session=session)
    record_change(plan, "replan", actor, {
        **prep.detail, "unassigned": [u.id for u in solution.unassigned], "solver_status": solution.status.value,
    }, session=session)


def _check_no_new_outcomes(prep: Prepared, plan: Plan, rounds: list[Round], *, session: Session) -> None:
    """Crews may have reported stops while the re-plan was solved (that does not change the version): 409."""
    visit_ids = [s.id for r in rounds for s in r.stops if s.kind in VISIT_KINDS]
    now_done = frozenset(stop_outcomes(visit_ids, session=session))
    if now_done != prep.outcomes:
        news = sorted(now_done - prep.outcomes) or sorted(prep.outcomes - now_done)
        raise Conflict(
            f"crews reported {len(news)} stop(s) of plan {plan.id} (stop {news[0]}) while the re-plan was "
            f"computed; nothing was written: start the re-plan again", field="plan_id")


def _left_out_by_hand(plan: Plan, keys: Iterable[str], actor: str, *, session: Session) -> None:
    """Visits the coordinator named to leave out of a re-plan: unassigned (reason ``dropped``), their
    pickups accepted again (to be booked on another day)."""
    for key in keys:
        kind, _, raw = key.partition(":")
        record_id = int(raw)
        is_pickup = kind == "pu"
        plan.unassigned.append(UnassignedVisit(
            kind=StopKind.PICKUP if is_pickup else StopKind.RELAY_POINT,
            relay_point_id=None if is_pickup else record_id, pickup_request_id=record_id if is_pickup else None,
            mandatory=is_pickup, reason="dropped", detail=f"left out of the re-plan by {actor}"))
        if is_pickup:
            pu = session.get(PickupRequest, record_id)
            if pu is not None and pu.status is PickupStatus.SCHEDULED:
                pu.status, pu.status_reason = PickupStatus.ACCEPTED, f"left out of the re-plan by {actor}"
    session.flush()


def _trim_to(rnd: Round, keep: list[Stop], *, session: Session) -> None:
    """A started round with nothing left to do: only its done stops remain."""
    for s in list(rnd.stops):
        if s not in keep:
            rnd.stops.remove(s)
            session.delete(s)
    last = max(keep, key=lambda s: s.position)
    rnd.end_at = last.planned_arrival + dt.timedelta(seconds=last.service_s)
    rnd.distance_m = last.distance_from_start_m
    rnd.duration_s = int((rnd.end_at - rnd.start_at).total_seconds())
    rnd.load_m3 = sum(s.expected_m3 for s in keep if s.kind in VISIT_KINDS)
    session.flush()
