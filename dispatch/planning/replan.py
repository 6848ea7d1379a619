"""Mid-day re-plan of a published plan, from each van's position, time and load.

:func:`prepare_replan` reads a published plan at a version as the solver problem of the rest of the
day: a stop the crew reported at (arrived, collected or missed) stays where it is, with what came
before it; a started van leaves from where it is (its given position, else the last stop it reported
from) carrying what it collected since its last unloading; a van not started leaves its depot at its
shift start (or now, if later). Relay points now reported full and accepted pickups of the day not yet
in a round are added; the visits the coordinator names are left out. :func:`check_replan` is what a
re-plan request can be refused for before its job starts; :func:`replan` runs the three steps in one
transaction. Services flush, never commit.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput, NotFound
from dispatch.models import Crew, PickupRequest, PickupStatus, Plan, RelayPoint, Round, Stop, StopEvent, StopKind
from dispatch.planning import problem as builder
from dispatch.planning.edit_context import VISIT_KINDS, Context, build_context, stop_key
from dispatch.planning.problem import LITRES_PER_M3, Candidate
from dispatch.planning.resolve import Prepared, edit_time_limit, locked_problem, solve_prepared
from dispatch.planning.resolve_write import store_prepared
from dispatch.planning.round_status import arrived_stops, stop_outcomes
from dispatch.planning.round_writing import seconds_of
from dispatch.planning.versions import open_plan
from dispatch.roads import RoadNetwork, SiteTooFar, SiteUnreachable
from dispatch.settings import Settings
from dispatch.workdays import local_now


@dataclass(frozen=True)
class VanPosition:
    """Where the van of a round is, as the coordinator gives it."""

    round_id: int
    lat: float
    lon: float


def now_seconds(settings: Settings) -> int:
    """Seconds after midnight now, in the settings' time zone."""
    now = local_now(settings.timezone)
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


@dataclass
class _Progress:
    """How far the rounds got when the re-plan is read."""

    # round id -> stops kept as they are (done visits, and what came before)
    done: dict[int, list[Stop]] = field(default_factory=dict)
    # "start:<round id>" -> where a started van is now
    sites: dict[str, tuple[float, float]] = field(default_factory=dict)
    loads: dict[int, int] = field(default_factory=dict)  # round id -> litres on board
    remaining: set[str] = field(default_factory=set)  # the visits still to do (keys)
    outcome_ids: set[int] = field(default_factory=set)  # the stops collected or missed

    def on_the_road(self, rounds: list[Round]) -> list[Crew]:
        """The crews of the rounds that have started."""
        return [r.crew for r in rounds if self.done[r.id] or f"start:{r.id}" in self.sites]


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
    given = _given_positions(plan, rounds, positions)
    progress = _Progress()
    for rnd in rounds:
        _read_round(rnd, progress, given, drop, session=session)
    extra = _new_visits(plan, settings, progress, drop, at_s, session=session)
    try:
        ctx = build_context(plan, settings, network, session=session, extra=extra, only=progress.remaining,
                            extra_sites=progress.sites, on_the_road=progress.on_the_road(rounds))
    except (SiteTooFar, SiteUnreachable) as exc:
        raise InvalidInput(f"a van position is off the road network: {exc.message}", field="positions") from None
    ctx.problem = dataclasses.replace(ctx.problem, vehicles=tuple(_vehicles_from_now(ctx, rounds, progress, at_s)))
    ctx.problem = locked_problem(ctx, plan, rounds, skip={s.id for ks in progress.done.values() for s in ks})
    loads = progress.loads
    detail = {
        "at": f"{at_s // 3600:02d}:{at_s % 3600 // 60:02d}",
        "positions": [dataclasses.asdict(p) for p in positions],
        "start_loads_m3": {str(r.id): loads[r.id] / LITRES_PER_M3 for r in rounds if loads[r.id]},
        "new_visits": [c.key for c in extra],
        "dropped": sorted(drop),
    }
    return Prepared(
        "replan", plan.id, plan.version, ctx, limit, seed, detail=detail,
        kept={rid: [s.id for s in ks] for rid, ks in progress.done.items()},
        offsets={rid: max((s.distance_from_start_m for s in ks), default=0) for rid, ks in progress.done.items()},
        outcomes=frozenset(progress.outcome_ids),
    )


def _given_positions(plan: Plan, rounds: list[Round], positions: list[VanPosition]) -> dict[int, tuple[float, float]]:
    """Round id -> the van's position the coordinator gave (a round not of the plan: 404 naming it)."""
    by_round = {r.id: r for r in rounds}
    given: dict[int, tuple[float, float]] = {}
    for i, p in enumerate(positions):
        if p.round_id not in by_round:
            raise NotFound(f"round {p.round_id} is not a round of plan {plan.id}", field=f"positions.{i}.round_id")
        given[p.round_id] = (p.lat, p.lon)
    return given


def _read_round(rnd: Round, progress: _Progress, given: dict[int, tuple[float, float]], drop: frozenset[str], *,
                session: Session) -> None:
    """What ``rnd`` has done (kept as it is), what it still has to do, what its van carries and where it is."""
    visits = [s for s in rnd.stops if s.kind in VISIT_KINDS]
    outcomes = stop_outcomes([s.id for s in visits], session=session)
    progress.outcome_ids.update(outcomes)
    there = set(outcomes) | arrived_stops([s.id for s in visits], session=session)  # the van is (or was) there
    done_visits = [s for s in visits if s.id in there]
    last = max((s.position for s in done_visits), default=0)
    kept = [s for s in rnd.stops if s.position <= last and (s.kind not in VISIT_KINDS or s.id in there)]
    progress.done[rnd.id] = kept
    progress.remaining.update(stop_key(s) for s in visits if s.id not in there and stop_key(s) not in drop)
    last_unload = max((s.position for s in kept if s.kind is StopKind.UNLOAD), default=0)
    carried = sum((outcomes[s.id].collected_m3 or 0.0) for s in done_visits
                  if s.position > last_unload and s.id in outcomes)
    progress.loads[rnd.id] = round(carried * LITRES_PER_M3)
    reported = session.scalars(select(StopEvent.stop_id).where(
        StopEvent.stop_id.in_([s.id for s in visits] or [-1])).order_by(StopEvent.recorded_at.desc(),
                                                                          StopEvent.id.desc())).first()
    if rnd.id in given:
        progress.sites[f"start:{rnd.id}"] = given[rnd.id]
    elif reported is not None:  # the van is at the last stop it reported from
        stop = next(s for s in visits if s.id == reported)
        site = stop.relay_point or stop.pickup_request
        progress.sites[f"start:{rnd.id}"] = (site.lat, site.lon)


def _new_visits(plan: Plan, settings: Settings, progress: _Progress, drop: frozenset[str], at_s: int, *,
                session: Session) -> list[Candidate]:
    """New mandatory visits: relay points now reported full (open after ``at_s``), accepted pickups of the
    day not in a round (neither kept, nor remaining, nor dropped)."""
    kept_keys = {stop_key(s) for ks in progress.done.values() for s in ks if s.kind in VISIT_KINDS}
    dropped = {stop_key(u) for u in plan.unassigned if u.reason == "dropped"} | set(drop)
    taken = kept_keys | progress.remaining | dropped
    extra: list[Candidate] = []
    for rp in session.scalars(select(RelayPoint).where(RelayPoint.full.is_(True), RelayPoint.active.is_(True))
                              .order_by(RelayPoint.id)).all():
        if f"rp:{rp.id}" not in taken:
            cand = builder.relay_candidate(rp, plan.date, settings, mandatory=True, require_open=True)
            if cand.windows and cand.windows[-1][1] >= at_s:
                extra.append(cand)
    for pu in session.scalars(select(PickupRequest).where(PickupRequest.date == plan.date,
                                                          PickupRequest.status == PickupStatus.ACCEPTED)
                              .order_by(PickupRequest.id)).all():
        if f"pu:{pu.id}" not in taken:
            extra.append(builder.pickup_candidate(pu, settings))
    return extra


def _vehicles_from_now(ctx: Context, rounds: list[Round], progress: _Progress, at_s: int) -> list[builder.Vehicle]:
    """Each working crew's vehicle for the rest of the day: a started one from where it is, now, with what
    it carries (no break left if it took it); one not started from its depot at its shift start (or now)."""
    settings, day = ctx.settings, ctx.plan.date
    vehicles = []
    for rnd in rounds:
        crew = rnd.crew
        if f"crew:{crew.id}" not in ctx.crews:
            continue  # absent or its van in maintenance, and not on the road: its visits go to the others
        if f"start:{rnd.id}" in progress.sites:  # started: from where it is, now, with what it carries
            took_break = any(s.kind is StopKind.BREAK and seconds_of(s.planned_arrival) + s.service_s <= at_s
                             for s in rnd.stops)
            v = builder.vehicle_for(crew, settings, ctx.location, start=ctx.location[f"start:{rnd.id}"],
                                    shift_start_s=at_s, start_load=progress.loads[rnd.id], break_from_s=at_s,
                                    day=day)
            if took_break:
                v = dataclasses.replace(v, breaks=())
        else:  # not started: from its depot at its shift start (or now, if later)
            v = builder.vehicle_for(crew, settings, ctx.location,
                                    shift_start_s=max(crew.shift_start_min * 60, at_s), break_from_s=at_s, day=day)
        vehicles.append(v)
    return vehicles


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
