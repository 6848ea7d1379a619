"""The coordinator's work on a plan after the solve: versions, edits, re-optimisation, mid-day re-plan.

* **Versions.** ``Plan.version`` starts at 1 and grows by one on every change (edit, re-optimise,
  publish, re-plan); each change is written to ``plan_change`` (who, when, what). An edit names the
  version its author saw: a stale one raises :class:`StaleVersion` carrying the changes made since.
* **Edits on a draft**: lock / unlock a stop, move it, drop it, insert a visit (at a position or at the
  cheapest feasible one). The affected rounds are re-timed by the solver's plan mode
  (``solver.plan_route``, through ``planning/problem.py``) over the road matrix of the sites involved,
  which names the rules broken;
  an edit that breaks a hard rule is refused naming the stop and the rule, unless forced, in which
  case the violations are kept on the round (``Round.warnings``).
* **Re-optimise** a draft keeping locked stops in their round and order, dropped visits out.
  It and the re-plan come in three steps (read at a version, solve with no transaction open, write
  only if the plan is still at that version) so that the API runs them as jobs (dispatch/jobs/runner.py).
* **Round status** (planned -> in_progress -> done) follows the crews' updates.
* **Mid-day re-plan** of a published plan from each van's position, time and load.

Every visit is in exactly one place: a round or the plan's unassigned list. Services flush, never commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from dispatch.planning import unassigned as unassigned_params
from dispatch.errors import Conflict, Infeasible, InvalidInput, NotFound
from dispatch.models import (
    CREW_DEFAULTS,
    Crew,
    PickupRequest,
    PickupStatus,
    Plan,
    PlanChange,
    PlanStatus,
    RelayPoint,
    Round,
    Stop,
    StopEvent,
    StopEventKind,
    StopKind,
    UnassignedVisit,
    utcnow,
)
from dispatch.planning import problem as builder
from dispatch.planning.problem import LITRES_PER_M3, Candidate
from dispatch.roads import RoadNetwork, SiteTooFar, SiteUnreachable
from dispatch.settings import Settings

VISIT_KINDS = (StopKind.RELAY_POINT, StopKind.PICKUP)
# Reasons given before solving: the visit could not be modelled at all (not retried by re-optimisation).
EXCLUDED_REASONS = ("closed", "site_too_far")
_NOT_TOGETHER = "it could be served on its own"
MAX_REOPTIMISE_S = 300.0  # re-optimisation and re-plan run as jobs (dispatch/jobs/runner.py)
_MANDATORY_PENALTY = 10**9  # a mandatory visit's price when the search must be allowed to leave it out
ROUND_PLANNED, ROUND_IN_PROGRESS, ROUND_DONE = "planned", "in_progress", "done"


# ------------------------------------------------------------------ versions and the change log


class StaleVersion(Conflict):
    """The client edited an old version of the plan (HTTP 409 with the changes made since)."""

    def __init__(self, plan: Plan, given: int, changes: list[PlanChange]) -> None:
        super().__init__(
            f"plan {plan.id} is at version {plan.version}, you sent version {given}: "
            f"{len(changes)} change(s) since; reload the plan and redo your edit on version {plan.version}",
            field="version",
        )
        self.current_version = plan.version
        self.changes = [change_dict(c) for c in changes]


class VersionRequired(InvalidInput):
    """No version was given with an edit (HTTP 428)."""


def change_dict(c: PlanChange) -> dict[str, Any]:
    return {"version": c.version, "at": c.at.isoformat(), "actor": c.actor, "op": c.op, "detail": c.detail or {}}


def changes_since(plan_id: int, since: int, *, session: Session) -> list[PlanChange]:
    if session.get(Plan, plan_id) is None:
        raise NotFound(f"plan {plan_id} does not exist", field="plan_id")
    return list(session.scalars(
        select(PlanChange).where(PlanChange.plan_id == plan_id, PlanChange.version > since)
        .order_by(PlanChange.version, PlanChange.id)
    ).all())


def open_plan(plan_id: int, version: int | None, *, session: Session, draft: bool | None = True,
              lock: bool = True) -> Plan:
    """The plan, locked for this transaction (unless ``lock=False``: a job reading it before its
    solve), checked to be at ``version``.

    ``draft=True``: only a draft may be edited; ``False``: only a published plan; None: either.
    """
    plan = session.get(Plan, plan_id, with_for_update=lock, populate_existing=True)
    if plan is None:
        raise NotFound(f"plan {plan_id} does not exist", field="plan_id")
    if plan.status is PlanStatus.REPLACED:
        raise Conflict(f"plan {plan_id} was replaced by a newer plan of {plan.date.isoformat()}; it is kept for "
                       "the history and no longer changed: edit the day's current plan", field="plan_id")
    if version is None:
        raise VersionRequired(
            f"say which version of plan {plan_id} you edit: an If-Match: \"{plan.version}\" header or "
            f"\"version\": {plan.version} in the body (the current version is {plan.version})",
            field="version",
        )
    if version != plan.version:
        raise StaleVersion(plan, version, changes_since(plan_id, version, session=session))
    if draft is True and plan.status is PlanStatus.PUBLISHED:
        raise Conflict(
            f"plan {plan_id} is published: publish freezes the plan; re-plan instead "
            f"(POST /api/v1/plans/{plan_id}/replan)",
            field="plan_id",
        )
    if draft is False and plan.status is not PlanStatus.PUBLISHED:
        raise Conflict(f"plan {plan_id} is a draft: edit or re-optimise it; only a published plan is re-planned",
                       field="plan_id")
    return plan


def record_change(plan: Plan, op: str, actor: str, detail: dict[str, Any] | None = None, *,
                  session: Session) -> PlanChange:
    """Bump the plan's version and log the change (in the caller's transaction).

    The bump is a compare-and-set on the stored version, so two writers can never both succeed from
    the same version, even where ``SELECT ... FOR UPDATE`` is not available.
    """
    expected = plan.version or 1
    session.flush()
    bumped = session.execute(
        update(Plan).where(Plan.id == plan.id, Plan.version == expected).values(version=expected + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if bumped != 1:
        session.refresh(plan, attribute_names=["version"])
        raise StaleVersion(plan, expected, changes_since(plan.id, expected, session=session))
    set_committed_value(plan, "version", expected + 1)
    change = PlanChange(plan_id=plan.id, version=plan.version, at=utcnow(), actor=actor or "unknown", op=op,
                        detail=detail or {})
    session.add(change)
    session.flush()
    return change


# ------------------------------------------------------------------ the plan as a solver problem


def stop_key(stop: Stop | UnassignedVisit) -> str:
    if stop.kind is StopKind.RELAY_POINT:
        return f"rp:{stop.relay_point_id}"
    return f"pu:{stop.pickup_request_id}"


def _mandatory(plan: Plan, key: str) -> bool:
    if key.startswith("pu:"):
        return True
    rp_id = int(key.split(":")[1])
    for d in plan.relay_point_decisions or ():
        if d.get("relay_point_id") == rp_id:
            return d.get("decision") == "mandatory"
    return False


def _stop_candidate(plan: Plan, stop: Stop, settings: Settings) -> Candidate:
    key = stop_key(stop)
    if stop.kind is StopKind.RELAY_POINT:
        return builder.relay_candidate(stop.relay_point, plan.date, settings, mandatory=_mandatory(plan, key),
                                       expected=stop.expected_m3, service=stop.service_s, require_open=True)
    return builder.pickup_candidate(stop.pickup_request, settings, service=stop.service_s)


@dataclass
class Context:
    """A plan's visits, vans and road matrix, as the solver sees them (location 0 is the depot)."""

    plan: Plan
    settings: Settings
    candidates: dict[str, Candidate]
    crews: dict[str, Crew]  # vehicle id ("crew:N") -> crew
    problem: builder.Problem
    location: dict[str, int]  # site key -> matrix index
    names: dict[str, str] = field(default_factory=dict)
    working: frozenset[str] = frozenset()  # vehicle ids of the crews working that day (calendars)

    def vehicle(self, vid: str) -> builder.Vehicle:
        return next(v for v in self.problem.vehicles if v.id == vid)

    def vehicle_index(self, vid: str) -> int:
        return next(k for k, v in enumerate(self.problem.vehicles) if v.id == vid)

    def visit_index(self, key: str) -> int:
        return next(i for i, v in enumerate(self.problem.visits) if v.id == key)


def _round_crews(plan: Plan) -> list[Crew]:
    """The crews of the plan's rounds: an edit re-times a round whoever drives it."""
    return [r.crew for r in plan.rounds if r.crew is not None]


def build_context(
    plan: Plan, settings: Settings, network: RoadNetwork, *, session: Session,
    extra: list[Candidate] = (), extra_sites: dict[str, tuple[float, float]] | None = None,
    only: set[str] | None = None, mandatory_all: bool = False, on_the_road: Iterable[Crew] = (),
) -> Context:
    """The solver problem of ``plan``'s visits (those in rounds, or ``only`` these keys) plus ``extra``,
    built by the one problem builder (``planning/problem.py``).

    The vehicles are the crews working on the plan's day (absent crews and vans in maintenance left out),
    plus ``on_the_road`` (crews of started rounds); each from its own depot at its shift start. A caller
    may replace them (a mid-day start) with :func:`builder.vehicle_for` over this context's ``location``,
    which also has the ``extra_sites`` (a van's position, by key).
    """
    cands: dict[str, Candidate] = {}
    for rnd in plan.rounds:
        for stop in rnd.stops:
            if stop.kind in VISIT_KINDS:
                cand = _stop_candidate(plan, stop, settings)
                if only is None or cand.key in only:
                    cands[cand.key] = cand
    for cand in extra:
        cands[cand.key] = cand
    working, _ = builder.fleet_of_day(plan.date, session=session)
    crews, _ = builder.fleet_of_day(plan.date, session=session, also=on_the_road)
    sites = builder.Sites(network, settings)
    sites.add_depots(crews)
    for key, (lat, lon) in (extra_sites or {}).items():
        sites.add(key, lat, lon)
    for key, cand in cands.items():
        try:
            sites.add(key, cand.lat, cand.lon)
        except (SiteTooFar, SiteUnreachable) as exc:
            raise InvalidInput(f"{cand.name}: {exc.message}", field="relay_point_id") from None
    sites.measure()
    location = sites.location
    vehicles = [builder.vehicle_for(c, settings, location, day=plan.date) for c in crews]
    problem = builder.assemble(sites, builder.travel_factor(network, crews), cands.values(), vehicles, settings,
                               mandatory_all=mandatory_all)
    return Context(plan=plan, settings=settings, candidates=cands, crews={f"crew:{c.id}": c for c in crews},
                   problem=problem, location=location, names={k: c.name for k, c in cands.items()},
                   working=frozenset(f"crew:{c.id}" for c in working))


# ------------------------------------------------------------------ timing a round


@dataclass
class Timed:
    route: builder.Route
    violations: list[dict[str, Any]]
    order: list[str | None]  # visit keys, None = unloading at the depot


# Violation causes (``solver.CAUSES``) as the rules a round breaks; any other cause is "schedule".
_RULES = {"time_window": "time_window", "shift_end": "shift_end", "max_work_time": "shift_end",
          "capacity": "capacity", "skill": "skill", "break": "break"}


def _normalise(ctx: Context, v: builder.Vehicle, order: list[str | None]) -> list[str | None]:
    """Unloading stops kept consistent: none first, last or twice in a row; one added before a visit
    that would overflow the van (within the day's unloading trips)."""
    demand = {vis.id: vis.demand[0] for vis in ctx.problem.visits}
    out: list[str | None] = []
    load = v.initial_load()[0]
    reloads = 0
    for item in order:
        if item is None:
            if out and out[-1] is not None and v.reload_location is not None:
                out.append(None)
                load, reloads = 0, reloads + 1
            continue
        if (load + demand[item] > v.capacity[0] and v.reload_location is not None and reloads < v.max_reloads
                and (out and out[-1] is not None or load > 0)):
            out.append(None)
            load, reloads = 0, reloads + 1
        out.append(item)
        load += demand[item]
    while out and out[-1] is None:
        out.pop()
    while out and out[0] is None and not any(v.start_load):
        out.pop(0)
    return out


def schedule(ctx: Context, vid: str, order: list[str | None], *, break_leg: int | None = None) -> Timed:
    """Time the round of vehicle ``vid`` visiting ``order`` (keys; None = unload) and check it.

    Unloading stops are made consistent (:func:`_normalise`); the lunch break is placed in the leg
    that ends the day earliest (``break_leg``, where it was, is kept for reference only). A feasible
    schedule has no violations; otherwise the schedule is built with windows, shift and capacity
    relaxed and ``builder.plan_route`` names every rule it breaks.
    """
    problem = ctx.problem
    k = ctx.vehicle_index(vid)
    v = problem.vehicles[k]
    order = _normalise(ctx, v, order)
    planned = builder.plan_route(problem, vid, order)
    return Timed(planned.route, _violations(ctx, planned.violations, order, k, planned.route), order)


def _violations(ctx: Context, errors: tuple[builder.Violation, ...], order: list[str | None], k: int,
                route: builder.Route) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in order:
        if key is not None and not ctx.candidates[key].windows:
            out.append({"visit": key, "stop": ctx.names.get(key, key), "rule": "closed",
                        "detail": f"{ctx.names.get(key, key)} is closed on {ctx.plan.date.isoformat()}"})
    for error in errors:
        if error.cause == "summary":
            continue
        visit, rule = error.visit, _RULES.get(error.cause, "schedule")
        if rule == "time_window" and visit and not ctx.candidates[visit].windows:
            continue  # already said: closed that day
        out.append({"visit": visit, "stop": ctx.names.get(visit, "lunch break" if rule == "break" else "round"),
                    "rule": rule, "detail": error.detail, **_clock(ctx, k, route, visit, rule)})
    return out


def _hhmm(seconds: int | None) -> str | None:
    return None if seconds is None else f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _clock(ctx: Context, k: int, route: builder.Route, visit: str | None, rule: str) -> dict[str, Any]:
    """A violation in clock times and names (never seconds since midnight or solver ids): when the van
    would get there, the visit's hours, the round's end and the crew's shift end, the van's capacity."""
    v = ctx.problem.vehicles[k]
    crew = ctx.crews.get(v.id)
    out: dict[str, Any] = {"crew": crew.name if crew else None}
    step = next((st for st in route.steps if st.type == "visit" and st.id == visit), None) if visit else None
    if step is not None:
        out["at"] = _hhmm(step.arrival + step.waiting_time)
    if rule == "time_window" and visit in ctx.candidates:
        cand = ctx.candidates[visit]
        shown = cand.shown_windows or cand.windows
        out["hours"] = ", ".join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in shown)
    if rule == "shift_end":
        out["end"], out["shift_end"] = _hhmm(route.steps[-1].arrival), _hhmm(v.shift.end)
    if rule == "capacity":
        out["capacity_m3"] = v.capacity[0] / LITRES_PER_M3 if v.capacity else None
    return out


def plain(w: dict[str, Any]) -> str:
    """One violation in a coordinator's words (English; the day page says it in French from the same fields)."""
    if w["rule"] == "time_window" and w.get("at"):
        return f"{w['stop']} would be reached at {w['at']}, outside its hours ({w.get('hours') or '—'})"
    if w["rule"] == "closed":
        return w["detail"]
    if w["rule"] == "shift_end" and w.get("end"):
        return f"the round of {w.get('crew') or 'the crew'} would end at {w['end']}, after its shift ends at " \
               f"{w['shift_end']}"
    if w["rule"] == "capacity":
        return f"the van of {w.get('crew') or 'the crew'} would be over its {w.get('capacity_m3') or 0:g} m³"
    if w["rule"] == "break":
        return f"the lunch break of {w.get('crew') or 'the crew'} would not fit in its window"
    return f"{w['stop']}: {w['rule']}"


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(plain(w) for w in violations)


# ------------------------------------------------------------------ writing rounds back


def _at(day: dt.date, seconds: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)


def _secs(t: dt.datetime) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _order_of(rnd: Round) -> list[str | None]:
    return [stop_key(s) if s.kind in VISIT_KINDS else None for s in rnd.stops if s.kind is not StopKind.BREAK]


def _break_leg(rnd: Round) -> int | None:
    leg = 0
    for s in rnd.stops:
        if s.kind is StopKind.BREAK:
            return leg
        leg += 1
    return None


def _park(stops: list[Stop], *, session: Session) -> None:
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
            cand = ctx.candidates[step.id]
            stop = pool.pop(step.id, None) or own.pop(step.id, None)
            if stop is None:
                stop = Stop(kind=cand.kind, relay_point_id=cand.record_id if cand.kind is StopKind.RELAY_POINT else None,
                            pickup_request_id=cand.record_id if cand.kind is StopKind.PICKUP else None)
            shown = cand.shown_windows or cand.windows
            begin = step.arrival + step.waiting_time
            chosen = next((shown[i] for i, (a, b) in enumerate(cand.windows) if a <= begin <= b),
                          shown[0] if shown else None)
            stop.window_start = _at(day, chosen[0]) if chosen else None
            stop.window_end = _at(day, chosen[1]) if chosen else None
            stop.expected_m3 = cand.expected_m3
            stop.requirements = {"needs": sorted(cand.skills), "why": list(cand.why)} if cand.skills else None
            if cand.kind is StopKind.PICKUP:
                pu = session.get(PickupRequest, cand.record_id)
                pu.status, pu.status_reason = PickupStatus.SCHEDULED, None
        else:
            kind = StopKind.BREAK if step.type == "break" else StopKind.UNLOAD
            stop = next((s for s in spare if s.kind is kind), None)
            if stop is not None:
                spare.remove(stop)
            else:
                stop = Stop(kind=kind)
            stop.window_start = stop.window_end = None
            stop.expected_m3 = 0.0
        stop.planned_arrival = _at(day, step.arrival + step.waiting_time)
        stop.service_s, stop.waiting_s = step.service, step.waiting_time
        stop.load_after_m3 = step.load[0] / LITRES_PER_M3 if step.load else 0.0
        stop.distance_from_start_m = distance_offset + step.distance
        new_stops.append(stop)
    for s in spare:
        if s in rnd.stops:
            rnd.stops.remove(s)
        session.delete(s)
    _park([s for s in new_stops if s.id is not None], session=session)
    for stop in new_stops:
        position += 1
        stop.position = position
        if stop.round is not rnd:
            rnd.stops.append(stop)  # moved here from another round (the backref takes it out of there)
    rnd.stops.sort(key=lambda s: s.position)
    steps = route.steps
    if not keep:
        rnd.start_at = _at(day, steps[0].arrival)
    rnd.end_at = _at(day, steps[-1].arrival)
    rnd.distance_m = distance_offset + route.distance
    rnd.duration_s = int((rnd.end_at - rnd.start_at).total_seconds())
    rnd.load_m3 = sum(s.expected_m3 for s in keep if s.kind in VISIT_KINDS) + route.load[0] / LITRES_PER_M3
    rnd.warnings = list(warnings) if warnings else None
    session.flush()


def _empty_round(ctx: Context, rnd: Round, *, session: Session) -> None:
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


def _retime(ctx: Context, rnd: Round, order: list[str | None], pool: dict[str, Stop], *, session: Session,
            leg: int | None = None) -> Timed | None:
    vid = f"crew:{rnd.crew_id}"
    if not any(k is not None for k in order):
        _empty_round(ctx, rnd, session=session)
        return None
    timed = schedule(ctx, vid, order, break_leg=leg)
    write_round(ctx, rnd, timed.route, pool, session=session, warnings=timed.violations)
    return timed


def _sync(plan: Plan, *, session: Session) -> None:
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


# ------------------------------------------------------------------ edits on a draft


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
    ctx = build_context(plan, settings, network, session=session, on_the_road=_round_crews(plan))
    src_order = [k for k in _order_of(src) if k != key]
    dst_order = src_order if dst is src else _order_of(dst)
    at = _visit_position(dst_order, position)
    dst_order = dst_order[:at] + [key] + dst_order[at:]
    t_dst = schedule(ctx, f"crew:{dst.crew_id}", dst_order, break_leg=_break_leg(dst))
    t_src = None
    if dst is not src and any(k is not None for k in src_order):
        t_src = schedule(ctx, f"crew:{src.crew_id}", src_order, break_leg=_break_leg(src))
    violations = t_dst.violations + (t_src.violations if t_src else [])
    if violations and not force:
        _refuse(violations, f"moving {ctx.names[key]} to the round of {dst.crew.name if dst.crew else dst.van.name}")
    pool = {key: stop}
    write_round(ctx, dst, t_dst.route, pool, session=session, warnings=t_dst.violations)
    if dst is not src:
        if t_src is None:
            _empty_round(ctx, src, session=session)
        else:
            write_round(ctx, src, t_src.route, {}, session=session, warnings=t_src.violations)
    _sync(plan, session=session)
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
    mandatory = _mandatory(plan, key)
    if mandatory and not force:
        raise InvalidInput(
            f"stop {stop_id} is a mandatory visit ({'an accepted home pickup' if key.startswith('pu:') else 'a relay point that must be emptied today'}); "
            "send force=true to drop it anyway (it is recorded)",
            field="force",
        )
    src = stop.round
    ctx = build_context(plan, settings, network, session=session, on_the_road=_round_crews(plan))
    order = [k for k in _order_of(src) if k != key]
    src.stops.remove(stop)
    session.delete(stop)
    session.flush()
    timed = _retime(ctx, src, order, {}, session=session, leg=_break_leg(src))
    if key.startswith("pu:"):
        pu = session.get(PickupRequest, int(key.split(":")[1]))
        pu.status, pu.status_reason = PickupStatus.ACCEPTED, None
    plan.unassigned.append(UnassignedVisit(
        kind=stop.kind, relay_point_id=stop.relay_point_id, pickup_request_id=stop.pickup_request_id,
        mandatory=mandatory, reason="dropped",
        detail=f"dropped by {actor}" + (" (mandatory visit, forced)" if mandatory else ""), params={"by": actor},
    ))
    _sync(plan, session=session)
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
        return builder.relay_candidate(rp, plan.date, settings, mandatory=_mandatory(plan, f"rp:{rp.id}") or rp.full,
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
    ctx = build_context(plan, settings, network, session=session, extra=[cand], on_the_road=_round_crews(plan))
    rounds = [r for r in plan.rounds if r.crew_id is not None and f"crew:{r.crew_id}" in ctx.working]
    if round_id is not None:
        rounds = [_round_of(plan, round_id)]
    if not rounds:
        raise InvalidInput("this plan has no round whose crew works that day to insert into", field="round_id")
    best: tuple | None = None  # (n violations, extra cost, round, order, timed)
    for rnd in rounds:
        base = _order_of(rnd)
        vid = f"crew:{rnd.crew_id}"
        old_cost = schedule(ctx, vid, base, break_leg=_break_leg(rnd)).route.cost if base else 0
        if position is not None:
            spots = [_visit_position(base, position)]
        else:
            spots = list(range(len(base) + 1))
        for at in spots:
            order = base[:at] + [key] + base[at:]
            timed = schedule(ctx, vid, order, break_leg=_break_leg(rnd))
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
    _sync(plan, session=session)
    new_stop = next(s for s in rnd.stops if s.kind in VISIT_KINDS and stop_key(s) == key)
    record_change(plan, "insert", actor, {
        "visit": key, "stop_id": new_stop.id, "round_id": rnd.id, "position": position,
        "cheapest": position is None, "forced": bool(force and timed.violations), "warnings": timed.violations,
    }, session=session)
    return plan


# ------------------------------------------------------------------ re-optimise a draft


def _solve(problem: builder.Problem, settings: Settings, limit: float, seed: int | None, *,
           progress: Callable[[dict], object] | None = None,
           initial: tuple[tuple[str, tuple[str | None, ...]], ...] = ()) -> builder.Solution:
    """Solve (from the ``initial`` plan when given: see ``builder.SolveOptions.initial_routes``); a
    search that serves nothing (no solution found in time) changes nothing: 422."""
    options = builder.SolveOptions(time_limit_s=limit, seed=settings.solve_seed if seed is None else seed,
                                  solution_limit=settings.solve_solution_limit, progress=progress,
                                  initial_routes=initial)
    solution = builder.solve(problem, options)
    if problem.visits and not solution.routes:
        # Nothing found in time (an overloaded day): let the search leave mandatory visits out, at a
        # prohibitive price, so that it starts from a partial plan; those left out are reported as such.
        relaxed = dataclasses.replace(problem, visits=tuple(
            v if v.penalty is not None else dataclasses.replace(v, penalty=_MANDATORY_PENALTY) for v in problem.visits))
        partial = builder.solve(relaxed, options)
        if partial.routes:
            mandatory = {v.id for v in problem.visits if v.penalty is None}
            said = (_NOT_TOGETHER + ", but not together with the rest of the plan "
                    "(vehicles, capacity, time windows or shifts run out)")
            unassigned = tuple(dataclasses.replace(u, detail=said) if u.id in mandatory and u.reason is
                               builder.Reason.COST else u for u in partial.unassigned)
            missing = [u for u in unassigned if u.id in mandatory]
            solution = dataclasses.replace(
                partial, unassigned=unassigned, status=builder.Status.INFEASIBLE if missing else partial.status,
                explanation=(f"{len(missing)} mandatory visit(s) cannot be served: "
                             + "; ".join(f"{u.id!r} ({u.reason.value}: {u.detail})" for u in missing))
                if missing else partial.explanation)
    if problem.visits and not solution.routes:
        raise Infeasible(
            f"no round could be built within {limit:g} s ({solution.explanation or 'no solution found'}); "
            f"the plan is unchanged: retry with a longer time_limit_s (at most {MAX_REOPTIMISE_S:g} s)",
            field="time_limit_s",
        )
    return solution


def _store_solution(ctx: Context, solution: builder.Solution, rounds_by_vid: dict[str, Round], *,
                    session: Session, keep: dict[str, list[Stop]] | None = None,
                    offsets: dict[str, int] | None = None) -> None:
    """Write a solution into the plan's rounds in place (stop ids kept by visit), and the unassigned."""
    plan = ctx.plan
    keep = keep or {}
    pool = {stop_key(s): s for r in plan.rounds for s in r.stops
            if s.kind in VISIT_KINDS and s not in keep.get(f"crew:{r.crew_id}", ())}
    _park(list(pool.values()), session=session)
    used = set()
    for route in solution.routes:
        rnd = rounds_by_vid.get(route.vehicle)
        if rnd is None:
            crew = ctx.crews[route.vehicle]
            rnd = Round(plan=plan, van=crew.van, crew=crew, start_at=_at(plan.date, route.steps[0].arrival),
                        end_at=_at(plan.date, route.steps[-1].arrival), distance_m=0, duration_s=0, load_m3=0.0)
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
            _empty_round(ctx, rnd, session=session)
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
            params=unassigned_params.solver_params(un.reason.value, cand, ctx.problem)
            | ({"not_together": True} if un.detail.startswith(_NOT_TOGETHER) else {})))
        if cand.kind is StopKind.PICKUP:
            pu = session.get(PickupRequest, cand.record_id)
            if pu.status is PickupStatus.SCHEDULED:
                pu.status = PickupStatus.ACCEPTED
    plan.cost = solution.summary.cost
    plan.solve_seconds = solution.summary.solve_seconds
    if solution.status is builder.Status.INFEASIBLE:
        plan.solver_status, plan.explanation = "infeasible", solution.explanation
    session.flush()


def _locked(ctx: Context, plan: Plan, rounds: list[Round], skip: set[int] = frozenset()) -> builder.Problem:
    """Locked stops: same vehicle (``Visit.vehicle``) and relative order (``locked_sequences``)."""
    seqs = []
    lock: dict[str, str] = {}
    for rnd in rounds:
        vid = f"crew:{rnd.crew_id}"
        if vid not in ctx.crews:
            continue  # its crew or van is out today: its stops go to the vans that work
        keys = [stop_key(s) for s in rnd.stops if s.kind in VISIT_KINDS and s.locked and s.id not in skip
                and stop_key(s) in ctx.candidates]
        for k in keys:
            lock[k] = vid
        if keys:
            seqs.append((vid, tuple(keys)))
    visits = tuple(dataclasses.replace(v, vehicle=lock.get(v.id)) for v in ctx.problem.visits)
    return dataclasses.replace(ctx.problem, visits=visits, locked_sequences=tuple(seqs))


def _retry_candidates(plan: Plan, settings: Settings, *, session: Session, exclude: set[str]) -> list[Candidate]:
    """Mandatory visits the solver had left out (not dropped by hand, not closed or off the map)."""
    out = []
    for un in plan.unassigned:
        key = stop_key(un)
        if not un.mandatory or un.reason in EXCLUDED_REASONS or un.reason == "dropped" or key in exclude:
            continue
        if un.relay_point is not None:
            out.append(builder.relay_candidate(un.relay_point, plan.date, settings, mandatory=True,
                                                  require_open=True))
        elif un.pickup_request is not None and un.pickup_request.status in (PickupStatus.ACCEPTED,
                                                                            PickupStatus.SCHEDULED):
            out.append(builder.pickup_candidate(un.pickup_request, settings))
    return [c for c in out if c.windows]


@dataclass
class Prepared:
    """A re-optimisation or mid-day re-plan read from the plan at ``version``, ready to be solved
    without the database (``ctx`` holds the solver problem; its ORM objects are re-bound when stored).

    The three steps (:func:`prepare_reoptimise` / :func:`prepare_replan`, :func:`solve_prepared`,
    :func:`store_prepared`) let a job read, solve with no transaction open, then write in one
    transaction, only if the plan is still at ``version``."""

    op: str  # "reoptimise" | "replan"
    plan_id: int
    version: int
    ctx: Context
    limit: float
    seed: int | None
    # The re-plan only: round id -> ids of the stops kept as they are, the metres already driven,
    # the litres on board; the stops that had an outcome (collected / missed) when it was read.
    detail: dict[str, Any] = field(default_factory=dict)
    kept: dict[int, list[int]] = field(default_factory=dict)
    offsets: dict[int, int] = field(default_factory=dict)
    outcomes: frozenset[int] = frozenset()
    # The re-optimisation only: the draft's rounds as the solver's starting plan (vehicle id, visit
    # ids in order), so that re-optimising never ends with a plan the solver scores worse than the draft.
    initial: tuple[tuple[str, tuple[str | None, ...]], ...] = ()


def edit_time_limit(settings: Settings, time_limit_s: float | None) -> float:
    if time_limit_s is not None and not 0 < time_limit_s <= MAX_REOPTIMISE_S:
        raise InvalidInput(f"time_limit_s must be more than 0 and at most {MAX_REOPTIMISE_S:g} s",
                           field="time_limit_s")
    return min(MAX_REOPTIMISE_S, time_limit_s or min(settings.solve_time_limit_s, 10.0))


def prepare_reoptimise(plan_id: int, settings: Settings, network: RoadNetwork, *, session: Session,
                       version: int | None, time_limit_s: float | None = None, seed: int | None = None,
                       lock: bool = True) -> Prepared:
    """Read a draft at ``version`` as a solver problem: the visits of its rounds (locked ones in their
    round and order), mandatory ones the solver had left out; dropped visits stay out."""
    plan = open_plan(plan_id, version, session=session, lock=lock)
    limit = edit_time_limit(settings, time_limit_s)
    in_rounds = {stop_key(s) for r in plan.rounds for s in r.stops if s.kind in VISIT_KINDS}
    retry = _retry_candidates(plan, settings, session=session, exclude=in_rounds)
    ctx = build_context(plan, settings, network, session=session, extra=retry)
    rounds = [r for r in plan.rounds if r.crew_id is not None]
    ctx.problem = _locked(ctx, plan, rounds)
    before = {s.id: (s.round_id, s.position) for r in rounds for s in r.stops if s.kind in VISIT_KINDS}
    return Prepared("reoptimise", plan.id, plan.version, ctx, limit, seed,
                    detail={"before": before, "draft": True}, initial=_draft_routes(ctx, rounds))


def _draft_routes(ctx: Context, rounds: list[Round]) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
    """The rounds' visits in order (None: an unloading stop), per solver vehicle, as far as the
    problem has them."""
    vehicles = {v.id for v in ctx.problem.vehicles}
    visits = {v.id for v in ctx.problem.visits}
    seen: set[str] = set()
    out = []
    for rnd in rounds:
        vid = f"crew:{rnd.crew_id}"
        if vid not in vehicles:
            continue
        vehicles.discard(vid)  # one route per vehicle
        keys: list[str | None] = []
        for s in rnd.stops:
            if s.kind is StopKind.UNLOAD:
                keys.append(None)  # the van goes back to the depot to unload
                continue
            key = stop_key(s) if s.kind in VISIT_KINDS else None
            if key in visits and key not in seen:
                seen.add(key)
                keys.append(key)
        out.append((vid, tuple(keys)))
    return tuple(out)


def solve_prepared(prep: Prepared, settings: Settings, *,
                   progress: Callable[[dict], object] | None = None) -> builder.Solution:
    """Solve (no database needed). ``progress`` is the solver's callback (a truthy answer stops it)."""
    return _solve(prep.ctx.problem, settings, prep.limit, prep.seed, progress=progress, initial=prep.initial)


def rebind(prep: Prepared, plan: Plan, *, session: Session) -> Context:
    ctx = prep.ctx
    ctx.plan = plan
    ctx.crews = {vid: session.get(Crew, int(vid.split(":")[1])) for vid in ctx.crews}
    missing = [vid for vid, crew in ctx.crews.items() if crew is None or crew.van is None]
    if missing:
        raise Conflict(f"crew {missing[0].split(':')[1]} was removed while the {prep.op} ran; nothing was "
                       f"written: start it again", field="crews")
    return ctx


def store_prepared(prep: Prepared, solution: builder.Solution, *, session: Session, actor: str) -> Plan:
    """Write a solved re-optimisation or re-plan into the plan, in the caller's transaction, only if
    the plan is still at the version it was read at (else :class:`StaleVersion`: nothing is written)."""
    draft = prep.op == "reoptimise"
    plan = open_plan(prep.plan_id, prep.version, session=session, draft=draft)
    ctx = rebind(prep, plan, session=session)
    rounds = [r for r in plan.rounds if r.crew_id is not None]
    rounds_by_vid = {f"crew:{r.crew_id}": r for r in rounds}
    if draft:
        before = prep.detail["before"]
        _store_solution(ctx, solution, rounds_by_vid, session=session)
        plan.time_limit_s = prep.limit
        _sync(plan, session=session)
        moved = sum(1 for r in plan.rounds for s in r.stops
                    if s.id in before and before[s.id] != (s.round_id, s.position))
        record_change(plan, "reoptimise", actor, {
            "time_limit_s": prep.limit, "stops_moved": moved,
            "locked": sum(len(seq) for _, seq in ctx.problem.locked_sequences),
            "unassigned": [u.id for u in solution.unassigned], "solver_status": solution.status.value,
            "distance_m": plan.distance_m,
        }, session=session)
        return plan
    # A re-plan: crews may have reported stops while it was solved (that does not change the version).
    visit_ids = [s.id for r in rounds for s in r.stops if s.kind in VISIT_KINDS]
    now_done = frozenset(_outcomes(visit_ids, session=session))
    if now_done != prep.outcomes:
        news = sorted(now_done - prep.outcomes) or sorted(prep.outcomes - now_done)
        raise Conflict(
            f"crews reported {len(news)} stop(s) of plan {plan.id} (stop {news[0]}) while the re-plan was "
            f"computed; nothing was written: start the re-plan again", field="plan_id")
    stops = {s.id: s for r in rounds for s in r.stops}
    done = {r.id: [stops[i] for i in prep.kept.get(r.id, ()) if i in stops] for r in rounds}
    keep = {f"crew:{r.crew_id}": done[r.id] for r in rounds}
    offsets = {f"crew:{r.crew_id}": prep.offsets.get(r.id, 0) for r in rounds}
    _store_solution(ctx, solution, rounds_by_vid, session=session, keep=keep, offsets=offsets)
    _left_out_by_hand(plan, prep.detail.get("dropped") or (), actor, session=session)
    for rnd in rounds:
        if not any(route.vehicle == f"crew:{rnd.crew_id}" for route in solution.routes) and done[rnd.id]:
            _trim_to(rnd, done[rnd.id], session=session)
        update_round_status(rnd, session=session)
    _sync(plan, session=session)
    record_change(plan, "replan", actor, {
        **prep.detail, "unassigned": [u.id for u in solution.unassigned], "solver_status": solution.status.value,
    }, session=session)
    return plan


def reoptimise(plan_id: int, settings: Settings, network: RoadNetwork, *, session: Session, version: int | None,
               actor: str, time_limit_s: float | None = None, seed: int | None = None) -> Plan:
    """Re-solve a draft in this transaction (the API runs it as a job: dispatch/jobs/runner.py): the visits of
    its rounds stay in (locked ones in their round and order), dropped visits stay out, mandatory ones
    the solver had left out are tried again."""
    prep = prepare_reoptimise(plan_id, settings, network, session=session, version=version,
                              time_limit_s=time_limit_s, seed=seed)
    return store_prepared(prep, solve_prepared(prep, settings), session=session, actor=actor)


# ------------------------------------------------------------------ round status from the crews' updates


def _outcomes(stop_ids: list[int], *, session: Session) -> dict[int, StopEvent]:
    """Per stop, its last collected/missed event."""
    if not stop_ids:
        return {}
    events = session.scalars(
        select(StopEvent).where(StopEvent.stop_id.in_(stop_ids), StopEvent.kind != StopEventKind.ARRIVED)
        .order_by(StopEvent.recorded_at, StopEvent.id)
    ).all()
    return {ev.stop_id: ev for ev in events}


def _arrived(stop_ids: list[int], *, session: Session) -> set[int]:
    """The stops a crew said it arrived at."""
    if not stop_ids:
        return set()
    return set(session.scalars(select(StopEvent.stop_id).where(StopEvent.stop_id.in_(stop_ids),
                                                               StopEvent.kind == StopEventKind.ARRIVED)).all())


# Built once: this runs for most crew updates (building a statement costs more CPU than running it).
_ROUND_STOPS = select(Stop.id, Stop.kind).where(Stop.round_id == bindparam("round_id"))
_ANY_EVENT = select(StopEvent.id).where(StopEvent.stop_id.in_(bindparam("ids", expanding=True))).limit(1)
_OUTCOMES = select(StopEvent.stop_id).distinct().where(StopEvent.stop_id.in_(bindparam("ids", expanding=True)),
                                                       StopEvent.kind != StopEventKind.ARRIVED)


def update_round_status(rnd: Round, *, session: Session, has_event: bool = False) -> str:
    """planned (no update yet) -> in_progress (first update) -> done (every visit collected or missed).
    ``has_event``: the caller has just recorded an update of this round."""
    stops = session.execute(_ROUND_STOPS, {"round_id": rnd.id}).all()
    ids = [i for i, _ in stops]
    visits = [i for i, kind in stops if kind in VISIT_KINDS]
    any_event = has_event or (bool(ids) and session.execute(_ANY_EVENT, {"ids": ids}).scalar())
    # which visits have an outcome (ids only: a busy round has many "arrived" and repeated updates)
    outcomes = set(session.execute(_OUTCOMES, {"ids": visits}).scalars()) if visits else set()
    if visits and all(i in outcomes for i in visits):
        status = ROUND_DONE
    elif any_event:
        status = ROUND_IN_PROGRESS
    else:
        status = ROUND_PLANNED
    if rnd.status != status:
        rnd.status = status
        session.flush()
    return status


# ------------------------------------------------------------------ mid-day re-plan of a published plan


@dataclass(frozen=True)
class VanPosition:
    round_id: int
    lat: float
    lon: float


def now_seconds(settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    now = dt.datetime.now(ZoneInfo(settings.timezone))
    return now.hour * 3600 + now.minute * 60 + now.second


def check_positions(positions: list[VanPosition], rounds: set[int], plan_id: int, settings: Settings,
                    network: RoadNetwork) -> None:
    """Each position names a round of the plan and lies on the road network (else 404 / 422 naming it)."""
    for i, p in enumerate(positions):
        if p.round_id not in rounds:
            raise NotFound(f"round {p.round_id} is not a round of plan {plan_id}", field=f"positions.{i}.round_id")
        try:
            network.snap(f"start:{p.round_id}", p.lat, p.lon, max_distance_m=settings.max_snap_distance_m)
        except (SiteTooFar, SiteUnreachable, InvalidInput) as exc:
            raise InvalidInput(f"a van position is off the road network: {getattr(exc, 'message', exc)}",
                               field="positions") from None


def check_replan(plan_id: int, settings: Settings, network: RoadNetwork, *, session: Session,
                 version: int | None, at_s: int | None, positions: list[VanPosition] = (),
                 time_limit_s: float | None = None) -> Plan:
    """What a re-plan request can be refused for before it is started: the version (428 / 409), a draft,
    a bad time, a round or a position that is not right (the job then only fails on a conflict)."""
    plan = open_plan(plan_id, version, session=session, draft=False)
    if at_s is not None and not 0 <= at_s < 24 * 3600:
        raise InvalidInput("at must be a time of day", field="at")
    edit_time_limit(settings, time_limit_s)
    check_positions(list(positions), {r.id for r in plan.rounds if r.crew_id is not None}, plan.id, settings,
                    network)
    return plan


def prepare_replan(plan_id: int, settings: Settings, network: RoadNetwork, *, session: Session,
                   version: int | None, at_s: int | None = None, positions: list[VanPosition] = (),
                   time_limit_s: float | None = None, seed: int | None = None, lock: bool = True,
                   drop: frozenset[str] = frozenset()) -> Prepared:
    """Read a published plan at ``version`` as the solver problem of the rest of the day from ``at_s``
    (see :func:`replan`). A stop the crew reported at (arrived, collected or missed) stays where it is;
    the visits ``drop`` names (keys such as ``pu:12``, chosen by the coordinator) are left out."""
    plan = open_plan(plan_id, version, session=session, draft=False, lock=lock)
    at_s = now_seconds(settings) if at_s is None else at_s
    if not 0 <= at_s < 24 * 3600:
        raise InvalidInput("at must be a time of day", field="at")
    limit = edit_time_limit(settings, time_limit_s)
    rounds = [r for r in plan.rounds if r.crew_id is not None]
    by_round = {r.id: r for r in rounds}
    given: dict[int, tuple[float, float]] = {}
    for i, p in enumerate(positions):
        if p.round_id not in by_round:
            raise NotFound(f"round {p.round_id} is not a round of plan {plan.id}", field=f"positions.{i}.round_id")
        given[p.round_id] = (p.lat, p.lon)

    done: dict[int, list[Stop]] = {}  # round id -> stops kept as they are (done visits, and what came before)
    sites: dict[str, tuple[float, float]] = {}  # "start:<round id>" -> where a started van is now
    loads: dict[int, int] = {}
    remaining: set[str] = set()
    outcome_ids: set[int] = set()
    for rnd in rounds:
        visits = [s for s in rnd.stops if s.kind in VISIT_KINDS]
        outcomes = _outcomes([s.id for s in visits], session=session)
        outcome_ids.update(outcomes)
        there = set(outcomes) | _arrived([s.id for s in visits], session=session)  # the van is (or was) there
        done_visits = [s for s in visits if s.id in there]
        last = max((s.position for s in done_visits), default=0)
        kept = [s for s in rnd.stops if s.position <= last and (s.kind not in VISIT_KINDS or s.id in there)]
        done[rnd.id] = kept
        remaining.update(stop_key(s) for s in visits if s.id not in there and stop_key(s) not in drop)
        last_unload = max((s.position for s in kept if s.kind is StopKind.UNLOAD), default=0)
        carried = sum((outcomes[s.id].collected_m3 or 0.0) for s in done_visits
                      if s.position > last_unload and s.id in outcomes)
        loads[rnd.id] = round(carried * LITRES_PER_M3)
        reported = session.scalars(select(StopEvent.stop_id).where(
            StopEvent.stop_id.in_([s.id for s in visits] or [-1])).order_by(StopEvent.recorded_at.desc(),
                                                                              StopEvent.id.desc())).first()
        if rnd.id in given:
            sites[f"start:{rnd.id}"] = given[rnd.id]
        elif reported is not None:  # the van is at the last stop it reported from
            stop = next(s for s in visits if s.id == reported)
            site = stop.relay_point or stop.pickup_request
            sites[f"start:{rnd.id}"] = (site.lat, site.lon)
    # New mandatory visits: relay points now reported full, accepted pickups of the day not in a round.
    kept_keys = {stop_key(s) for ks in done.values() for s in ks if s.kind in VISIT_KINDS}
    dropped = {stop_key(u) for u in plan.unassigned if u.reason == "dropped"} | set(drop)
    extra: list[Candidate] = []
    for rp in session.scalars(select(RelayPoint).where(RelayPoint.full.is_(True), RelayPoint.active.is_(True))
                              .order_by(RelayPoint.id)).all():
        key = f"rp:{rp.id}"
        if key not in kept_keys and key not in remaining and key not in dropped:
            cand = builder.relay_candidate(rp, plan.date, settings, mandatory=True, require_open=True)
            if cand.windows and cand.windows[-1][1] >= at_s:
                extra.append(cand)
    for pu in session.scalars(select(PickupRequest).where(PickupRequest.date == plan.date,
                                                          PickupRequest.status == PickupStatus.ACCEPTED)
                              .order_by(PickupRequest.id)).all():
        key = f"pu:{pu.id}"
        if key not in kept_keys and key not in remaining and key not in dropped:
            extra.append(builder.pickup_candidate(pu, settings))
    try:
        ctx = build_context(plan, settings, network, session=session, extra=extra, only=remaining,
                            extra_sites=sites, on_the_road=[r.crew for r in rounds
                                                            if done[r.id] or f"start:{r.id}" in sites])
    except (SiteTooFar, SiteUnreachable) as exc:
        raise InvalidInput(f"a van position is off the road network: {exc.message}", field="positions") from None
    vehicles = []
    for rnd in rounds:
        crew = rnd.crew
        if f"crew:{crew.id}" not in ctx.crews:
            continue  # absent or its van in maintenance, and not on the road: its visits go to the others
        if f"start:{rnd.id}" in sites:  # started: from where it is, now, with what it carries
            took_break = any(s.kind is StopKind.BREAK and _secs(s.planned_arrival) + s.service_s <= at_s
                             for s in rnd.stops)
            v = builder.vehicle_for(crew, settings, ctx.location, start=ctx.location[f"start:{rnd.id}"],
                                    shift_start_s=at_s, start_load=loads[rnd.id], break_from_s=at_s, day=plan.date)
            if took_break:
                v = dataclasses.replace(v, breaks=())
        else:  # not started: from its depot at its shift start (or now, if later)
            v = builder.vehicle_for(crew, settings, ctx.location,
                                    shift_start_s=max(crew.shift_start_min * 60, at_s), break_from_s=at_s, day=plan.date)
        vehicles.append(v)
    ctx.problem = dataclasses.replace(ctx.problem, vehicles=tuple(vehicles))
    ctx.problem = _locked(ctx, plan, rounds, skip={s.id for ks in done.values() for s in ks})
    detail = {
        "at": f"{at_s // 3600:02d}:{at_s % 3600 // 60:02d}",
        "positions": [dataclasses.asdict(p) for p in positions],
        "start_loads_m3": {str(r.id): loads[r.id] / LITRES_PER_M3 for r in rounds if loads[r.id]},
        "new_visits": [c.key for c in extra],
        "dropped": sorted(drop),
    }
    return Prepared(
        "replan", plan.id, plan.version, ctx, limit, seed, detail=detail,
        kept={rid: [s.id for s in ks] for rid, ks in done.items()},
        offsets={rid: max((s.distance_from_start_m for s in ks), default=0) for rid, ks in done.items()},
        outcomes=frozenset(outcome_ids),
    )


def replan(plan_id: int, settings: Settings, network: RoadNetwork, *, session: Session, version: int | None,
           actor: str, at_s: int | None = None, positions: list[VanPosition] = (),
           time_limit_s: float | None = None, seed: int | None = None) -> Plan:
    """Re-plan the rest of a published day from ``at_s`` (seconds after midnight, default now), in this
    transaction (the API runs it as a job: dispatch/jobs/runner.py).

    Collected or missed stops stay as they are. A van that has started leaves from its given position
    (or its last done stop) at ``at_s`` carrying what it collected since its last unloading
    (``Vehicle.start_load``); a van whose crew has not started leaves the depot at its shift start
    (or ``at_s`` if later). Its remaining visits, relay points now reported full and accepted pickups
    of the day not yet in a round are re-optimised; stops kept keep their ids.
    """
    prep = prepare_replan(plan_id, settings, network, session=session, version=version, at_s=at_s,
                          positions=positions, time_limit_s=time_limit_s, seed=seed)
    return store_prepared(prep, solve_prepared(prep, settings), session=session, actor=actor)


def _left_out_by_hand(plan: Plan, keys, actor: str, *, session: Session) -> None:
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
            order = [k for k in _order_of(src) if k != key]
            src.stops.remove(stop)
            session.delete(stop)
            session.flush()
            _retime(ctx, src, order, {}, session=session, leg=_break_leg(src))
        detail = {**detail, "stop_id": stop.id, "round_id": src.id}
    for un in listed:
        plan.unassigned.remove(un)
        session.delete(un)
    _sync(plan, session=session)
    return record_change(plan, op, actor, {"visit": key, **detail}, session=session)
