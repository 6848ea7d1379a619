"""The coordinator's edits of a draft plan, and a home pickup withdrawn from a plan.

* **Edits on a draft**: lock / unlock a stop, move it, drop it, insert a visit (at a position or at the
  cheapest feasible one). Each names the plan version its author saw (``planning/versions.py``). The
  affected rounds are re-timed by the solver's plan mode (``planning/round_timing.py``, through
  ``planning/problem.py``) over the road matrix of the sites involved, which names the rules broken;
  an edit that breaks a hard rule is refused naming the stop and the rule (:class:`RuleBroken`), unless
  forced, in which case the violations are kept on the round (``Round.warnings``).
* **A withdrawn pickup** (cancelled or moved to another day) leaves a draft's or a published plan.

Re-optimising a draft is ``planning/reoptimise.py``, the mid-day re-plan ``planning/replan.py``. Every
visit is in exactly one place: a round or the plan's unassigned list. Services flush, never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import (
    PickupRequest,
    PickupStatus,
    Plan,
    PlanChange,
    PlanStatus,
    RelayPoint,
    Round,
    Stop,
    StopEvent,
    UnassignedVisit,
)
from dispatch.planning import problem as builder
from dispatch.planning.edit_context import VISIT_KINDS, build_context, is_mandatory, round_crews, stop_key
from dispatch.planning.problem import Candidate
from dispatch.planning.round_status import update_round_status
from dispatch.planning.round_timing import describe, schedule
from dispatch.planning.round_writing import break_leg, empty_round, order_of, retime, sync_plan, write_round
from dispatch.planning.versions import open_plan, record_change
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings


def _stop_of(plan: Plan, stop_id: int) -> Stop:
    for rnd in plan.rounds:
        for s in rnd.stops:
            if s.id == stop_id:
                if s.kind not in VISIT_KINDS:
                    raise InvalidInput(f"stop {stop_id} is a {s.kind.value} stop: only visits are edited "
                                       "(breaks and unloading are placed automatically)", field="stop_id")
                return s
    raise NotFound(f"stop {stop_id} is not a stop of plan {plan.id}", field="stop_id")


def _round_of(plan: Plan, round_id: int) -> Round:
    rnd = next((r for r in plan.rounds if r.id == round_id), None)
    if rnd is None:
        raise NotFound(f"round {round_id} is not a round of plan {plan.id}", field="round_id")
    if rnd.crew_id is None:
        raise InvalidInput(f"round {round_id} has no crew", field="round_id")
    return rnd


class RuleBroken(InvalidInput):
    """An edit that breaks a hard rule (HTTP 422, field ``force``); ``violations`` in names and clock times."""

    def __init__(self, message: str, violations: list[dict[str, Any]]) -> None:
        super().__init__(message, field="force")
        self.violations = [{k: w.get(k) for k in ("stop", "rule", "crew", "at", "hours", "end", "shift_end",
                                                  "capacity_m3")} for w in violations]


def _refuse(violations: list[dict[str, Any]], what: str) -> None:
    raise RuleBroken(f"{what} breaks a hard rule: {describe(violations)}; send force=true to apply it anyway "
                     "(the round then carries these warnings)", violations)


def set_locked(plan_id: int, stop_id: int, locked: bool, *, session: Session, version: int | None,
               actor: str) -> Plan:
    plan = open_plan(plan_id, version, session=session)
    stop = _stop_of(plan, stop_id)
    stop.locked = locked
    record_change(plan, "lock" if locked else "unlock", actor,
                  {"stop_id": stop.id, "visit": stop_key(stop), "round_id": stop.round_id}, session=session)
    return plan


def _visit_position(order: list[str | None], position: int | None) -> int:
    """Index in ``order`` (with unloads) before the ``position``-th visit (1-based); None: at the end."""
    visits = [i for i, k in enumerate(order) if k is not None]
    if position is None or position > len(visits):
        return len(order)
    if position < 1:
        raise InvalidInput("position starts at 1 (the first visit of the round)", field="position")
    return visits[position - 1]


def move_stop(plan_id: int, stop_id: int, round_id: int, position: int | None, settings: Settings,
              network: RoadNetwork, *, session: Session, version: int | None, actor: str,
              force: bool = False) -> Plan:
    """Move a visit to round ``round_id`` at ``position`` (1-based among its visits; None: last)."""
    plan = open_plan(plan_id, version, session=session)
    stop = _stop_of(plan, stop_id)
    src = stop.round
    dst = _round_of(plan, round_id)
    key = stop_key(stop)
    ctx = build_context(plan, settings, network, session=session, on_the_road=round_crews(plan))
    src_order = [k for k in order_of(src) if k != key]
    dst_order = src_order if dst is src else order_of(dst)
    at = _visit_position(dst_order, position)
    dst_order = dst_order[:at] + [key] + dst_order[at:]
    t_dst = schedule(ctx, f"crew:{dst.crew_id}", dst_order, break_leg=break_leg(dst))
    t_src = None
    if dst is not src and any(k is not None for k in src_order):
        t_src = schedule(ctx, f"crew:{src.crew_id}", src_order, break_leg=break_leg(src))
    violations = t_dst.violations + (t_src.violations if t_src else [])
    if violations and not force:
        _refuse(violations, f"moving {ctx.names[key]} to the round of {dst.crew.name if dst.crew else dst.van.name}")
    pool = {key: stop}
    write_round(ctx, dst, t_dst.route, pool, session=session, warnings=t_dst.violations)
    if dst is not src:
        if t_src is None:
            empty_round(ctx, src, session=session)
        else:
            write_round(ctx, src, t_src.route, {}, session=session, warnings=t_src.violations)
    sync_plan(plan, session=session)
    record_change(plan, "move", actor, {
        "stop_id": stop.id, "visit": key, "from_round_id": src.id, "to_round_id": dst.id,
        "position": position, "forced": bool(force and violations), "warnings": violations,
    }, session=session)
    return plan


def drop_stop(plan_id: int, stop_id: int, settings: Settings, network: RoadNetwork, *, session: Session,
              version: int | None, actor: str, force: bool = False) -> Plan:
    """Take a visit out of its round: it goes to the unassigned list (reason ``dropped``)."""
    plan = open_plan(plan_id, version, session=session)
    stop = _stop_of(plan, stop_id)
    key = stop_key(stop)
    mandatory = is_mandatory(plan, key)
    if mandatory and not force:
        raise InvalidInput(
            f"stop {stop_id} is a mandatory visit ({'an accepted home pickup' if key.startswith('pu:') else 'a relay point that must be emptied today'}); "
            "send force=true to drop it anyway (it is recorded)",
            field="force",
        )
    src = stop.round
    ctx = build_context(plan, settings, network, session=session, on_the_road=round_crews(plan))
    order = [k for k in order_of(src) if k != key]
    src.stops.remove(stop)
    session.delete(stop)
    session.flush()
    timed = retime(ctx, src, order, {}, session=session, leg=break_leg(src))
    if key.startswith("pu:"):
        pu = session.get(PickupRequest, int(key.split(":")[1]))
        pu.status, pu.status_reason = PickupStatus.ACCEPTED, None
    plan.unassigned.append(UnassignedVisit(
        kind=stop.kind, relay_point_id=stop.relay_point_id, pickup_request_id=stop.pickup_request_id,
        mandatory=mandatory, reason="dropped",
        detail=f"dropped by {actor}" + (" (mandatory visit, forced)" if mandatory else ""), params={"by": actor},
    ))
    sync_plan(plan, session=session)
    record_change(plan, "drop", actor, {"stop_id": stop_id, "visit": key, "round_id": src.id,
                                        "mandatory": mandatory, "forced": bool(force and mandatory),
                                        "warnings": timed.violations if timed else []}, session=session)
    return plan


def _new_candidate(plan: Plan, settings: Settings, *, session: Session, relay_point_id: int | None,
                   pickup_request_id: int | None) -> Candidate:
    if (relay_point_id is None) == (pickup_request_id is None):
        raise InvalidInput("give exactly one of relay_point_id or pickup_request_id", field="relay_point_id")
    if relay_point_id is not None:
        rp = session.get(RelayPoint, relay_point_id)
        if rp is None:
            raise NotFound(f"relay point {relay_point_id} does not exist", field="relay_point_id")
        return builder.relay_candidate(rp, plan.date, settings, mandatory=is_mandatory(plan, f"rp:{rp.id}") or rp.full,
                                       require_open=True)
    pu = session.get(PickupRequest, pickup_request_id)
    if pu is None:
        raise NotFound(f"pickup request {pickup_request_id} does not exist", field="pickup_request_id")
    if pu.date != plan.date:
        raise InvalidInput(f"pickup {pu.ref} is for {pu.date.isoformat()}, this plan is for {plan.date.isoformat()}",
                           field="pickup_request_id")
    if pu.status not in (PickupStatus.ACCEPTED, PickupStatus.SCHEDULED):
        raise InvalidInput(f"pickup {pu.ref} is {pu.status.value}: only an accepted home pickup is inserted",
                           field="pickup_request_id")
    return builder.pickup_candidate(pu, settings)


def insert_visit(plan_id: int, settings: Settings, network: RoadNetwork, *, session: Session,
                 version: int | None, actor: str, relay_point_id: int | None = None,
                 pickup_request_id: int | None = None, round_id: int | None = None, position: int | None = None,
                 force: bool = False) -> Plan:
    """Insert a visit into a round at ``position``, or where it costs least among feasible places."""
    plan = open_plan(plan_id, version, session=session)
    cand = _new_candidate(plan, settings, session=session, relay_point_id=relay_point_id,
                          pickup_request_id=pickup_request_id)
    key = cand.key
    for rnd in plan.rounds:
        for s in rnd.stops:
            if s.kind in VISIT_KINDS and stop_key(s) == key:
                raise Conflict(f"{cand.name} is already in round {rnd.id} (stop {s.id}): move it instead",
                               field="relay_point_id" if relay_point_id else "pickup_request_id")
    ctx = build_context(plan, settings, network, session=session, extra=[cand], on_the_road=round_crews(plan))
    rounds = [r for r in plan.rounds if r.crew_id is not None and f"crew:{r.crew_id}" in ctx.working]
    if round_id is not None:
        rounds = [_round_of(plan, round_id)]
    if not rounds:
        raise InvalidInput("this plan has no round whose crew works that day to insert into", field="round_id")
    best: tuple | None = None  # (n violations, extra cost, round, order, timed)
    for rnd in rounds:
        base = order_of(rnd)
        vid = f"crew:{rnd.crew_id}"
        old_cost = schedule(ctx, vid, base, break_leg=break_leg(rnd)).route.cost if base else 0
        if position is not None:
            spots = [_visit_position(base, position)]
        else:
            spots = list(range(len(base) + 1))
        for at in spots:
            order = base[:at] + [key] + base[at:]
            timed = schedule(ctx, vid, order, break_leg=break_leg(rnd))
            score = (len(timed.violations), timed.route.cost - old_cost)
            if best is None or score < best[:2]:
                best = (*score, rnd, order, timed)
    assert best is not None
    _, _, rnd, order, timed = best
    if timed.violations and not force:
        where = f"the round of {rnd.crew.name if rnd.crew else rnd.van.name}" if round_id is not None else "any round"
        _refuse(timed.violations, f"inserting {cand.name} into {where}")
    write_round(ctx, rnd, timed.route, {}, session=session, warnings=timed.violations)
    for un in list(plan.unassigned):
        if stop_key(un) == key:
            plan.unassigned.remove(un)
            session.delete(un)
    sync_plan(plan, session=session)
    new_stop = next(s for s in rnd.stops if s.kind in VISIT_KINDS and stop_key(s) == key)
    record_change(plan, "insert", actor, {
        "visit": key, "stop_id": new_stop.id, "round_id": rnd.id, "position": position,
        "cheapest": position is None, "forced": bool(force and timed.violations), "warnings": timed.violations,
    }, session=session)
    return plan


# ------------------------------------------------------------------ a cancelled or re-dated home pickup


def withdraw_pickup(plan: Plan, pickup_id: int, settings: Settings, network: RoadNetwork, *, session: Session,
                    actor: str, op: str, detail: dict[str, Any]) -> PlanChange | None:
    """Take a home pickup out of ``plan`` (draft or published) because it was cancelled or moved to
    another day: out of its round and out of the unassigned list, logged as ``op`` in the plan's changes.

    A draft's round is re-timed without it. A published round keeps its other stops' times (the crew's
    sheet and the donors were told them): the stop leaves the crew's sheet, the round's load drops.
    A stop the crew already reported at is not withdrawn (Conflict). None when the plan did not hold it.
    """
    key = f"pu:{pickup_id}"
    stop = next((s for r in plan.rounds for s in r.stops if s.pickup_request_id == pickup_id), None)
    listed = [u for u in plan.unassigned if u.pickup_request_id == pickup_id]
    if stop is None and not listed:
        return None
    if stop is not None:
        if session.scalar(select(StopEvent.id).where(StopEvent.stop_id == stop.id).limit(1)) is not None:
            raise Conflict(f"the crew has already reported at this visit (stop {stop.id} of plan {plan.id}): "
                           "it can no longer be cancelled or moved", field="pickup_id")
        src = stop.round
        if plan.status is PlanStatus.PUBLISHED:
            src.stops.remove(stop)
            session.delete(stop)
            src.load_m3 = max(0.0, src.load_m3 - stop.expected_m3)
            session.flush()
            update_round_status(src, session=session)
        else:
            ctx = build_context(plan, settings, network, session=session)
            order = [k for k in order_of(src) if k != key]
            src.stops.remove(stop)
            session.delete(stop)
            session.flush()
            retime(ctx, src, order, {}, session=session, leg=break_leg(src))
        detail = {**detail, "stop_id": stop.id, "round_id": src.id}
    for un in listed:
        plan.unassigned.remove(un)
        session.delete(un)
    sync_plan(plan, session=session)
    return record_change(plan, op, actor, {"visit": key, **detail}, session=session)
