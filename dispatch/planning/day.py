"""Planning a day: database state -> solver Problem -> stored rounds.

``build_day`` reads what is to be collected on a date; ``plan_day`` solves it
and replaces the previous draft for that date. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.planning import unassigned as unassigned_params
from dispatch.planning import regions as regions_mod
from dispatch.fleet import availability
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import (
    Crew,
    Depot,
    PickupRequest,
    PickupStatus,
    Plan,
    PlanStatus,
    RelayPoint,
    Round,
    Stop,
    StopKind,
    UnassignedVisit,
    Van,
    utcnow,
)
from dispatch.planning import problem as builder
from dispatch.planning import week
from dispatch.planning.forecast import FillForecast
from dispatch.planning.horizon import MANDATORY, OPTIONAL, HorizonDecision, HorizonInput, decide
from dispatch.planning.problem import LITRES_PER_M3, Candidate
from dispatch.relay_points.points import forecast_relay_points
from dispatch.roads import RoadNetwork, SiteTooFar, SiteUnreachable
from dispatch.settings import Settings
from dispatch.workdays import why_not_collection_day

__all__ = ["LITRES_PER_M3", "Candidate", "DayProblem", "Excluded", "VehicleInfo", "build_day", "plan_day",
           "publish_plan", "get_plan", "latest_plan"]


@dataclass(frozen=True)
class Excluded:
    """A visit left out before solving (closed that day, off the road network...)."""

    candidate_key: str
    kind: StopKind
    record_id: int
    mandatory: bool
    reason: str
    detail: str


@dataclass(frozen=True)
class VehicleInfo:
    van: Van
    crew: Crew


@dataclass
class DayProblem:
    day: dt.date
    depot: Depot
    problem: builder.Problem
    candidates: dict[str, Candidate]
    vehicles: dict[str, VehicleInfo]
    excluded: list[Excluded] = field(default_factory=list)
    matrix_seconds: float = 0.0
    travel_factor: float = 1.0
    sites: list = field(default_factory=list)
    decisions: dict[str, HorizonDecision] = field(default_factory=dict)
    # availability: vans not used today and why; French text and code of the availability decisions.
    vans_out: list[dict] = field(default_factory=list)
    decision_notes: dict[str, dict] = field(default_factory=dict)
    balanced: bool = False  # the crews' working time is balanced (settings.balance_work_time)


def _relay_candidates(
    day: dt.date, settings: Settings, *, session: Session, keep: Callable[[RelayPoint], bool] | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[Candidate], list[Excluded], dict[str, FillForecast], dict[str, RelayPoint]]:
    """Every active relay point open on ``day`` (those ``keep`` accepts), with its forecast stock; the
    horizon rule decides later."""
    candidates: list[Candidate] = []
    excluded: list[Excluded] = []
    rps = list(session.scalars(select(RelayPoint).where(RelayPoint.active.is_(True)).order_by(RelayPoint.id)).all())
    if keep is not None:  # one region of many: only its relay points are forecast
        rps = [rp for rp in rps if keep(rp)]
    by_id = {rp.id: rp for rp in rps}
    forecasts = forecast_relay_points(rps, now=now or utcnow())
    # Emptied on an earlier day of the week by a plan not carried out yet: counted as emptied then.
    for rp_id, date in week.planned_visits_before(day, session=session).items():
        if rp_id in forecasts and not by_id[rp_id].full:
            forecasts[rp_id] = week.forecast_after_visit(forecasts[rp_id], date)
    by_key = {f"rp:{rp.id}": rp for rp in rps}
    for rp in rps:
        cand = builder.relay_candidate(rp, day, settings, mandatory=rp.full, forecast=forecasts[rp.id])
        if not cand.windows:
            excluded.append(
                Excluded(cand.key, StopKind.RELAY_POINT, rp.id, rp.full, "closed",
                         f"{rp.name} is closed on {day.strftime('%A')} {day.isoformat()}")
            )
            continue
        candidates.append(cand)
    return candidates, excluded, {f"rp:{i}": f for i, f in forecasts.items()}, by_key


def _horizon(
    day: dt.date, settings: Settings, kept: list[Candidate], distances, forecasts: dict[str, FillForecast],
    relay_points: dict[str, RelayPoint],
) -> tuple[list[Candidate], dict[str, HorizonDecision]]:
    """Apply the rolling-horizon rule: which relay points are mandatory, optional (with what penalty) or
    not needed today. ``distances`` is the road matrix of the depot (index 0) and ``kept`` (1..n); the rule
    works out each relay point's detour from the depot, the day's home pickups and the relay points that
    must be visited anyway."""
    anchors = [0] + [i + 1 for i, c in enumerate(kept) if c.kind is StopKind.PICKUP]
    points = []
    for i, cand in enumerate(kept):
        if cand.kind is not StopKind.RELAY_POINT:
            continue
        rp = relay_points[cand.key]
        points.append(HorizonInput(
            key=cand.key, forecast=forecasts[cand.key], open_weekdays=availability.visit_weekdays(rp),
            reported_full=rp.full, name=rp.name, site=i + 1,
            closed_dates=availability.closed_dates(rp, day),  # closures and no-visit weekdays ahead
        ))
    decisions = decide(day, points, **settings.horizon_rule(), distances=distances, anchor_sites=anchors)
    out = []
    for cand in kept:
        d = decisions.get(cand.key)
        if d is None:
            out.append(cand)
        elif d.decision == MANDATORY:
            out.append(replace(cand, mandatory=True, penalty=None))
        elif d.decision == OPTIONAL:
            out.append(replace(cand, mandatory=False, penalty=d.penalty))
    return out, decisions


def _pickup_candidates(day: dt.date, settings: Settings, *, session: Session) -> list[Candidate]:
    pickups = session.scalars(
        select(PickupRequest)
        .where(PickupRequest.date == day)
        .where(PickupRequest.status.in_([PickupStatus.ACCEPTED, PickupStatus.SCHEDULED]))
        .order_by(PickupRequest.id)
    ).all()
    return [builder.pickup_candidate(pu, settings) for pu in pickups]


def build_day(
    day: dt.date, settings: Settings, network: RoadNetwork, *, session: Session,
    regions: Collection[str] | None = None, now: dt.datetime | None = None,
) -> DayProblem:
    """Turn the database state for ``day`` into a solver problem (through the one problem builder,
    ``planning/problem.py``).

    Every van starts and ends at its own depot. With ``regions``, only those regions' depots, their
    vans and crews, and the visits nearest to their depots (see ``dispatch/planning/regions.py``). ``now``
    (default: the clock) is when the relay points' stock is forecast from: a fixed one makes the
    same database give the same problem whenever it is built (``scripts/bench_days.py``)."""
    not_a_day = why_not_collection_day(day)
    if not_a_day:
        raise InvalidInput(not_a_day, field="date")
    if session.scalars(select(Depot.id)).first() is None:
        raise NotFound("no depot is configured: run `dispatch seed-demo` or create one", field="depot")
    crews, vans_out = builder.fleet_of_day(day, session=session)
    depots_all = regions_mod.all_depots(session=session)
    if regions is not None:
        crews = [c for c in crews if regions_mod.region_of_depot(c.van.depot) in regions]
        if not crews:
            raise NotFound(f"no active crew with an active van in region(s) {', '.join(sorted(regions))}: "
                           "give one of its depots a van and a crew, or plan the other regions only", field="regions")
    keep = None if regions is None else (lambda lat, lon: regions_mod.in_regions(lat, lon, depots_all, regions))
    candidates, excluded, forecasts, relay_points, blocks, blocked = _day_candidates(
        day, settings, session=session, keep=keep)

    started = time.perf_counter()
    # Matrix index 0 is the first depot with vans today; the visits come next, the other depots last.
    depot = session.get(Depot, min(c.van.depot_id for c in crews))
    others = sorted({c.van.depot for c in crews if c.van.depot_id != depot.id}, key=lambda d: d.id)
    sites = builder.Sites(network, settings)
    sites.add(builder.depot_key(depot.id), depot.lat, depot.lon)
    kept = _snap_visits(sites, candidates, excluded)
    for d in others:
        sites.add(builder.depot_key(d.id), d.lat, d.lon)
    sites.measure()
    matrix_seconds = time.perf_counter() - started
    # Which relay points today: the forecast over the horizon decides, with the detour each would cost.
    chosen, decisions = _horizon(day, settings, kept, sites.distances, forecasts, relay_points)
    decisions.update(blocked)  # relay points not visitable today, with why
    sites = sites.subset([builder.depot_key(depot.id)] + [c.key for c in chosen]
                         + [builder.depot_key(d.id) for d in others])
    factor = builder.travel_factor(network, crews)
    vehicles = {f"crew:{c.id}": VehicleInfo(van=c.van, crew=c) for c in crews}
    problem = builder.assemble(sites, factor, chosen, [builder.vehicle_for(c, settings, sites.location, day=day) for c in crews],
                               settings)
    return DayProblem(
        day=day, depot=depot, problem=problem, candidates={c.key: c for c in chosen},
        vehicles=vehicles, excluded=excluded, matrix_seconds=matrix_seconds, travel_factor=factor,
        sites=sites.snapped, decisions=decisions,
        vans_out=vans_out, decision_notes={k: {"reason_code": b.code, "reason_fr": b.fr} for k, b in blocks.items()},
        balanced=problem.balance is not None,
    )


def _day_candidates(day: dt.date, settings: Settings, *, session: Session,
                    keep: Callable[[float, float], bool] | None):
    """The day's visits before the horizon rule: open relay points not blocked by their calendars, and
    the accepted home pickups (those ``keep`` accepts); with what was left out and why."""
    relay, excluded, forecasts, relay_points = _relay_candidates(
        day, settings, session=session, keep=None if keep is None else (lambda rp: keep(rp.lat, rp.lon)))
    # Paused, closed, the host's no-visit weekday or weekly maximum: not visited.
    blocks = {f"rp:{i}": b for i, b in availability.relay_point_blocks(
        day, [relay_points[c.key] for c in relay], session=session).items()}
    excluded += [Excluded(c.key, c.kind, c.record_id, c.mandatory, blocks[c.key].code, blocks[c.key].en)
                 for c in relay if c.key in blocks]
    relay = [c for c in relay if c.key not in blocks]
    blocked = availability.blocked_decisions(day, blocks, relay_points, forecasts, horizon_days=settings.horizon_days)
    candidates = relay + _pickup_candidates(day, settings, session=session)
    if keep is not None:  # a visit belongs to the region of its nearest depot
        candidates = [c for c in candidates if keep(c.lat, c.lon)]
        excluded = [e for e in excluded if e.candidate_key not in relay_points or keep(
            relay_points[e.candidate_key].lat, relay_points[e.candidate_key].lon)]
    return candidates, excluded, forecasts, relay_points, blocks, blocked


def _snap_visits(sites: builder.Sites, candidates: list[Candidate], excluded: list[Excluded]) -> list[Candidate]:
    """Snap each visit to the road network; one that cannot be reached is left out with why."""
    kept: list[Candidate] = []
    for cand in candidates:
        try:
            sites.add(cand.key, cand.lat, cand.lon)
        except SiteTooFar as exc:
            excluded.append(Excluded(cand.key, cand.kind, cand.record_id, cand.mandatory, "site_too_far",
                                     _off_network_detail(cand, exc)))
            continue
        except SiteUnreachable as exc:
            excluded.append(Excluded(cand.key, cand.kind, cand.record_id, cand.mandatory, "unreachable",
                                     _off_network_detail(cand, exc)))
            continue
        kept.append(cand)
    return kept


def solve_options(settings: Settings, time_limit_s: float, seed: int | None = None) -> builder.SolveOptions:
    """The solver options a day's plan is made with (``plan_day``, and ``scripts/bench_days.py``,
    which measures the product's own path)."""
    return builder.SolveOptions(time_limit_s=time_limit_s, seed=settings.solve_seed if seed is None else seed,
                               solution_limit=settings.solve_solution_limit, workers=solve_workers(settings))


def solve_workers(settings: Settings) -> int:
    """``Settings.solve_workers``, 0 (auto) resolved: both cores of a two-core machine, one search with a
    solution limit (reproducible plans) or on a single core."""
    if settings.solve_workers:
        return settings.solve_workers
    if settings.solve_solution_limit is not None:
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def _at(day: dt.date, seconds: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)


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


def plan_day(
    day: dt.date,
    settings: Settings,
    network: RoadNetwork,
    *,
    session: Session,
    time_limit_s: float | None = None,
    seed: int | None = None,
    balance: bool | None = None,
) -> Plan:
    """Plan ``day`` and store it as the draft plan for that date (replacing any previous draft).
    ``balance`` turns the balancing of the crews' working time on or off for this plan (None: the
    ``balance_work_time`` setting).

    Reads first, solves, and only then writes: no write lock is held during the solve (with SQLite,
    fill reports and driver updates keep flowing while a day is planned).
    """
    ensure_not_published(day, session=session)
    if balance is not None:
        settings = settings.model_copy(update={"balance_work_time": balance})
    day_problem = build_day(day, settings, network, session=session)
    limit = time_limit_s if time_limit_s is not None else settings.solve_time_limit_s
    solution = builder.solve(day_problem.problem, solve_options(settings, limit, seed))
    replaced = clear_drafts(day, session=session)
    plan = store_plan(day_problem, solution, limit, session=session)
    note_replaced(replaced, plan, session=session)
    return plan


def note_replaced(replaced: list[Plan], plan: Plan, *, session: Session, actor: str = "unknown") -> None:
    """Each replaced draft's change log says which plan replaced it (its history stays readable)."""
    from dispatch.planning.versions import record_change

    for old in replaced:
        record_change(old, "replaced", actor, {"by_plan_id": plan.id}, session=session)


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


def _off_network_detail(cand: Candidate, exc: Exception) -> str:
    """Why a visit is off the road network; a home pickup's text names neither its donor nor its position."""
    if cand.kind is not StopKind.PICKUP:
        return f"{cand.name}: {getattr(exc, 'message', exc)}"
    if isinstance(exc, SiteTooFar):
        return (f"{cand.label}: its address is further from a drivable street than DISPATCH_MAX_SNAP_DISTANCE_M "
                "allows, or outside the road network's area; check the address and its position")
    return f"{cand.label}: its address cannot be reached by road from the depot; check the address and its position"


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


def store_plan(dp: DayProblem, solution: builder.Solution, limit: float, *, session: Session) -> Plan:
    day = dp.day
    plan = Plan(
        date=day, status=PlanStatus.DRAFT, time_limit_s=limit, solve_seconds=solution.summary.solve_seconds,
        matrix_seconds=dp.matrix_seconds, cost=solution.summary.cost, distance_m=solution.summary.distance,
        load_m3=solution.summary.load[0] / LITRES_PER_M3 if solution.summary.load else 0.0,
        solver_status=solution.status.value, explanation=_explanation(solution),
        relay_point_decisions=_decisions_record(dp, solution),
        vans_out=dp.vans_out, balanced=dp.balanced,
    )
    session.add(plan)
    for route in solution.routes:
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
            if step.type == "break":
                kind, rp_id, pu_id, expected, window = StopKind.BREAK, None, None, 0.0, (None, None)
            elif step.type == "reload":
                kind, rp_id, pu_id, expected, window = StopKind.UNLOAD, None, None, 0.0, (None, None)
            elif step.type == "visit":
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
            else:
                continue
            position += 1
            rnd.stops.append(
                Stop(
                    position=position, kind=kind, relay_point_id=rp_id, pickup_request_id=pu_id,
                    # The planned time is when service starts (arrival plus any wait for the window).
                    planned_arrival=_at(day, step.arrival + step.waiting_time), service_s=step.service,
                    waiting_s=step.waiting_time,
                    window_start=window[0], window_end=window[1], expected_m3=expected,
                    load_after_m3=step.load[0] / LITRES_PER_M3 if step.load else 0.0,
                    distance_from_start_m=step.distance, requirements=needs if step.type == "visit" else None,
                )
            )
            if pu_id is not None:
                pu = session.get(PickupRequest, pu_id)
                pu.status = PickupStatus.SCHEDULED
                availability.record_pickup_event(pu, session=session, dedupe=True,
                                                 detail=f"planned in a round (plan of {day.isoformat()})")
    for un in solution.unassigned:
        cand = dp.candidates[un.id]
        plan.unassigned.append(
            UnassignedVisit(
                kind=cand.kind,
                relay_point_id=cand.record_id if cand.kind is StopKind.RELAY_POINT else None,
                pickup_request_id=cand.record_id if cand.kind is StopKind.PICKUP else None,
                mandatory=cand.mandatory, reason=un.reason.value, detail=_plain_detail(cand, un),
                params=unassigned_params.solver_params(un.reason.value, cand, dp.problem),
            )
        )
    for ex in dp.excluded:
        plan.unassigned.append(
            UnassignedVisit(
                kind=ex.kind,
                relay_point_id=ex.record_id if ex.kind is StopKind.RELAY_POINT else None,
                pickup_request_id=ex.record_id if ex.kind is StopKind.PICKUP else None,
                mandatory=ex.mandatory, reason=ex.reason, detail=ex.detail,
                params=unassigned_params.excluded_params(ex.reason, ex.detail, day,
                                                         dp.decision_notes.get(ex.candidate_key)),
            )
        )
    session.flush()
    return plan


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
    from dispatch.planning.versions import record_change

    record_change(plan, "publish", actor, {"accept_unassigned": accept_unassigned}, session=session)
    # Webhooks (outbox): queued in this same transaction, delivered after the commit.
    from dispatch.exchange import webhooks

    webhooks.plan_published(plan, session=session)
    return plan
