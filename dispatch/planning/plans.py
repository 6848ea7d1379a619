"""The day's stored plans: a solved day stored as a draft, drafts replaced, plans read and published.

:func:`store_plan` writes a solution as a new draft (rounds, stops, the visits left out and why, each
relay point's horizon decision); :func:`clear_drafts` marks the day's earlier drafts ``replaced`` (kept
as history) and :func:`note_replaced` logs which plan replaced them; :func:`publish_plan` freezes a draft
as the day's plan the crews receive (one per day). Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import Conflict, NotFound
from dispatch.fleet import pickup_lifecycle
from dispatch.models import PickupRequest, PickupStatus, Plan, PlanStatus, Round, Stop, StopKind, UnassignedVisit
from dispatch.planning import problem as builder
from dispatch.planning import unassigned as unassigned_params
from dispatch.planning.day_problem import DayProblem
from dispatch.planning.problem import LITRES_PER_M3, Candidate
from dispatch.planning.versions import record_change


def store_plan(dp: DayProblem, solution: builder.Solution, limit: float, *, session: Session) -> Plan:
    """Store ``solution`` of the day's problem as a new draft plan: its rounds and their stops (home
    pickups placed in a round are scheduled), the visits the solver or the day's rules left out, with why."""
    plan = _new_plan(dp, solution, limit)
    session.add(plan)
    for route in solution.routes:
        _store_round(dp, plan, route, session=session)
    largest = max((info.van.capacity_m3 for info in dp.vehicles.values()), default=0.0)
    for un in solution.unassigned:
        cand = dp.candidates[un.id]
        plan.unassigned.append(
            UnassignedVisit(
                kind=cand.kind,
                relay_point_id=cand.record_id if cand.kind is StopKind.RELAY_POINT else None,
                pickup_request_id=cand.record_id if cand.kind is StopKind.PICKUP else None,
                mandatory=cand.mandatory, reason=un.reason.value, detail=_plain_detail(cand, un),
                params=unassigned_params.solver_params(un.reason.value, cand, largest),
            )
        )
    for ex in dp.excluded:
        plan.unassigned.append(
            UnassignedVisit(
                kind=ex.kind,
                relay_point_id=ex.record_id if ex.kind is StopKind.RELAY_POINT else None,
                pickup_request_id=ex.record_id if ex.kind is StopKind.PICKUP else None,
                mandatory=ex.mandatory, reason=ex.reason, detail=ex.detail,
                params=unassigned_params.excluded_params(ex.reason, ex.detail, dp.day,
                                                         dp.decision_notes.get(ex.candidate_key)),
            )
        )
    session.flush()
    return plan


def _new_plan(dp: DayProblem, solution: builder.Solution, limit: float) -> Plan:
    """The draft plan's row: the solve's figures, status and explanation, each relay point's decision."""
    return Plan(
        date=dp.day, status=PlanStatus.DRAFT, time_limit_s=limit, solve_seconds=solution.summary.solve_seconds,
        matrix_seconds=dp.matrix_seconds, cost=solution.summary.cost, distance_m=solution.summary.distance,
        load_m3=solution.summary.load[0] / LITRES_PER_M3 if solution.summary.load else 0.0,
        solver_status=solution.status.value, explanation=_explanation(solution),
        relay_point_decisions=_decisions_record(dp, solution),
        vans_out=dp.vans_out, balanced=dp.balanced,
    )


def _store_round(dp: DayProblem, plan: Plan, route: builder.Route, *, session: Session) -> None:
    """One route as a round of ``plan``: its stops in order; each home pickup in it scheduled (and recorded)."""
    day = dp.day
    info = dp.vehicles[route.vehicle]
    steps = route.steps
    rnd = Round(
        plan=plan, van=info.van, crew=info.crew,
        start_at=_at(day, steps[0].arrival), end_at=_at(day, steps[-1].arrival),
        distance_m=route.distance, duration_s=route.duration,
        load_m3=route.load[0] / LITRES_PER_M3,
    )
    session.add(rnd)
    position = 0
    for step in steps:
        if step.type not in ("break", "reload", "visit"):
            continue
        position += 1
        stop = _step_stop(dp, step, position)
        rnd.stops.append(stop)
        if stop.pickup_request_id is not None:
            pu = session.get(PickupRequest, stop.pickup_request_id)
            pu.status = PickupStatus.SCHEDULED
            pickup_lifecycle.record_pickup_event(pu, session=session, dedupe=True,
                                                 detail=f"planned in a round (plan of {day.isoformat()})")


def _step_stop(dp: DayProblem, step: builder.Step, position: int) -> Stop:
    """The stop of a break, unloading or visit step; a visit's window is the one its service starts in."""
    day = dp.day
    kind = StopKind.BREAK if step.type == "break" else StopKind.UNLOAD
    rp_id, pu_id, expected, window, needs = None, None, 0.0, (None, None), None
    if step.type == "visit":
        cand = dp.candidates[step.id]
        needs = {"needs": sorted(cand.skills), "why": list(cand.why)} if cand.skills else None
        kind = cand.kind
        rp_id = cand.record_id if kind is StopKind.RELAY_POINT else None
        pu_id = cand.record_id if kind is StopKind.PICKUP else None
        expected = cand.expected_m3
        shown = cand.shown_windows or cand.windows
        chosen = next(
            (shown[i] for i, (a, b) in enumerate(cand.windows) if a <= step.arrival + step.waiting_time <= b),
            shown[0],
        )
        window = (_at(day, chosen[0]), _at(day, chosen[1]))
    return Stop(
        position=position, kind=kind, relay_point_id=rp_id, pickup_request_id=pu_id,
        # The planned time is when service starts (arrival plus any wait for the window).
        planned_arrival=_at(day, step.arrival + step.waiting_time), service_s=step.service,
        waiting_s=step.waiting_time,
        window_start=window[0], window_end=window[1], expected_m3=expected,
        load_after_m3=step.load[0] / LITRES_PER_M3 if step.load else 0.0,
        distance_from_start_m=step.distance, requirements=needs,
    )


def _at(day: dt.date, seconds: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)


def _decisions_record(dp: DayProblem, solution: builder.Solution) -> list[dict]:
    """For each relay point, why it is or is not visited today (the coordinator's explanation)."""
    visited = {step.id for route in solution.routes for step in route.steps if step.type == "visit"}
    out = []
    for key, d in sorted(dp.decisions.items(), key=lambda kv: int(kv[0].split(":")[1])):
        out.append({
            "relay_point_id": int(key.split(":")[1]),
            "decision": d.decision,
            "visited": key in visited,
            "reason": d.reason,
            "fill_ratio": round(d.fill_ratio, 3),
            "p_full_before_next_visit": round(d.p_full_before_next_visit, 3),
            "p_full_within_horizon": round(d.p_full_within_horizon, 3),
            "next_visit_day": d.next_visit_day.isoformat() if d.next_visit_day else None,
            "expected_full_date": d.expected_full_date.isoformat() if d.expected_full_date else None,
            **dp.decision_notes.get(key, {}),  # reason_code and reason_fr of availability decisions
        })
    return out

def _plain_detail(cand: Candidate, un: builder.Unassigned) -> str:
    """Say in a coordinator's words why an optional relay point was left for another day."""
    if un.reason is builder.Reason.COST and not cand.mandatory and cand.penalty is not None:
        return (
            f"left for another day: about {cand.expected_m3:.1f} m³ to collect; the vans' day is full or the "
            f"detour costs more than the visit is worth today (up to {cand.penalty / 1000:.0f} km of driving)"
        )
    return un.detail


def _explanation(solution: builder.Solution) -> str | None:
    """The solver's explanation, and whether the search ran on fewer parallel searches than asked."""
    parts = [solution.explanation] if solution.explanation else []
    failures = solution.summary.worker_failures
    if failures:
        asked = solution.summary.workers + len(failures)
        parts.append(f"the search ran on {solution.summary.workers} of {asked} parallel searches: "
                     + "; ".join(failures))
    return " ".join(parts) or None


def ensure_not_published(day: dt.date, *, session: Session) -> None:
    """A published day is not planned again (re-plan it instead); 409 naming the plan."""
    published = session.scalars(
        select(Plan.id).where(Plan.date == day, Plan.status == PlanStatus.PUBLISHED)
    ).first()
    if published is not None:
        raise Conflict(f"the plan for {day.isoformat()} is already published (plan {published}); it cannot be replaced")


def clear_drafts(day: dt.date, *, session: Session) -> list[Plan]:
    """The day's drafts become ``replaced`` (kept, readable in the plan's history; no longer edited or
    published); their scheduled pickups are accepted again until the new plan schedules them."""
    ensure_not_published(day, session=session)  # again: it may have been published during the solve
    drafts = list(session.scalars(select(Plan).where(Plan.date == day, Plan.status == PlanStatus.DRAFT)).all())
    for plan in drafts:
        plan.status = PlanStatus.REPLACED
    session.flush()
    for pu in session.scalars(
        select(PickupRequest).where(PickupRequest.date == day, PickupRequest.status == PickupStatus.SCHEDULED)
    ).all():
        pu.status = PickupStatus.ACCEPTED
        pu.status_reason = None
    return drafts

def note_replaced(replaced: list[Plan], plan: Plan, *, session: Session, actor: str = "unknown") -> None:
    """Each replaced draft's change log says which plan replaced it (its history stays readable)."""
    for old in replaced:
        record_change(old, "replaced", actor, {"by_plan_id": plan.id}, session=session)


def get_plan(plan_id: int, *, session: Session) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} does not exist", field="plan_id")
    return plan


def latest_plan(day: dt.date, *, session: Session) -> Plan | None:
    """The day's current plan: its published one, else its latest draft (replaced drafts are history)."""
    return session.scalars(select(Plan).where(Plan.date == day, Plan.status != PlanStatus.REPLACED)
                           .order_by(Plan.id.desc())).first()


def plan_history(day: dt.date, *, session: Session) -> list[Plan]:
    """Every plan of the day, newest first, replaced drafts included."""
    return list(session.scalars(select(Plan).where(Plan.date == day).order_by(Plan.id.desc())).all())


def _check_publishable(plan: Plan, *, session: Session) -> None:
    """One published plan per day, and only the day's newest draft (the unique index
    uq_plan_published_day also refuses a second publication committed at the same moment)."""
    others = session.execute(select(Plan.id, Plan.status).where(
        Plan.date == plan.date, Plan.id != plan.id, Plan.status.in_([PlanStatus.PUBLISHED, PlanStatus.DRAFT]))).all()
    published = [pid for pid, st in others if st is PlanStatus.PUBLISHED]
    if published:
        raise Conflict(f"the plan for {plan.date.isoformat()} is already published (plan {published[0]}); "
                       f"plan {plan.id} cannot be published too", field="plan_id")
    newer = [pid for pid, st in others if st is PlanStatus.DRAFT and pid > plan.id]
    if newer:
        raise Conflict(f"plan {plan.id} is not the newest draft of {plan.date.isoformat()} (plan {max(newer)} "
                       "is): publish that one", field="plan_id")


def publish_plan(plan_id: int, *, session: Session, accept_unassigned: bool = False,
                 actor: str = "unknown") -> Plan:
    """Freeze a draft: it becomes the day's plan that crews receive. A published plan is not re-planned.

    A plan that leaves mandatory visits out is published only with ``accept_unassigned`` (the
    coordinator then tells those donors or hosts), never by accident.
    """
    plan = get_plan(plan_id, session=session)
    if plan.status is PlanStatus.PUBLISHED:
        raise Conflict(f"plan {plan_id} is already published")
    if plan.status is PlanStatus.REPLACED:
        raise Conflict(f"plan {plan_id} was replaced by a newer plan of {plan.date.isoformat()}: "
                       "publish the day's current draft instead", field="plan_id")
    _check_publishable(plan, session=session)
    if plan.solver_status != "solved" and not accept_unassigned:
        raise Conflict(
            f"plan {plan_id} leaves mandatory visits out ({plan.explanation or plan.solver_status}); "
            "re-plan with more vans or crews, or publish with accept_unassigned=true"
        )
    plan.status = PlanStatus.PUBLISHED
    # Plan editing: publishing is a change of the plan: new version, logged.
    record_change(plan, "publish", actor, {"accept_unassigned": accept_unassigned}, session=session)
    # Webhooks (outbox): queued in this same transaction, delivered after the commit.
    from dispatch.exchange import webhooks

    webhooks.plan_published(plan, session=session)
    return plan
