"""Planning a day: database state -> solver Problem -> stored draft.

``build_day`` reads what is to be collected on a date (relay points open that day with their forecast
stock, decided by the rolling-horizon rule; the accepted home pickups; the crews working) into a
:class:`~dispatch.planning.day_problem.DayProblem`; ``plan_day`` solves it and stores it as the day's
draft (``planning/plans.py``), replacing the previous draft for that date. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Collection
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.planning import regions as regions_mod
from dispatch.fleet import relay_point_blocks
from dispatch.errors import InvalidInput, NotFound
from dispatch.models import Depot, PickupRequest, PickupStatus, Plan, RelayPoint, StopKind, utcnow
from dispatch.planning import problem as builder
from dispatch.planning import week
from dispatch.planning.day_problem import DayProblem, Excluded, VehicleInfo
from dispatch.planning.forecast import FillForecast
from dispatch.planning.horizon import MANDATORY, OPTIONAL, HorizonDecision, HorizonInput, decide
from dispatch.planning.plans import clear_drafts, ensure_not_published, note_replaced, store_plan
from dispatch.planning.problem import Candidate
from dispatch.relay_points import forecast_relay_points
from dispatch.roads import RoadNetwork, SiteTooFar, SiteUnreachable
from dispatch.settings import Settings
from dispatch.workdays import why_not_collection_day

__all__ = ["build_day", "plan_day", "solve_options", "solve_workers"]


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
            key=cand.key, forecast=forecasts[cand.key], open_weekdays=relay_point_blocks.visit_weekdays(rp),
            reported_full=rp.full, name=rp.name, site=i + 1,
            closed_dates=relay_point_blocks.closed_dates(rp, day),  # closures and no-visit weekdays ahead
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
    blocks = {f"rp:{i}": b for i, b in relay_point_blocks.relay_point_blocks(
        day, [relay_points[c.key] for c in relay], session=session).items()}
    excluded += [Excluded(c.key, c.kind, c.record_id, c.mandatory, blocks[c.key].code, blocks[c.key].en)
                 for c in relay if c.key in blocks]
    relay = [c for c in relay if c.key not in blocks]
    blocked = relay_point_blocks.blocked_decisions(day, blocks, relay_points, forecasts, rule=settings.horizon_rule())
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


def _off_network_detail(cand: Candidate, exc: Exception) -> str:
    """Why a visit is off the road network; a home pickup's text names neither its donor nor its position."""
    if cand.kind is not StopKind.PICKUP:
        return f"{cand.name}: {getattr(exc, 'message', exc)}"
    if isinstance(exc, SiteTooFar):
        return (f"{cand.label}: its address is further from a drivable street than DISPATCH_MAX_SNAP_DISTANCE_M "
                "allows, or outside the road network's area; check the address and its position")
    return f"{cand.label}: its address cannot be reached by road from the depot; check the address and its position"
