"""The one problem builder: the only module of ``dispatch`` that turns the database into a
``solver.Problem``, and the only one that imports ``solver`` (the rest of ``dispatch`` uses the
solver through the names re-exported here).

Every path to the solver goes through it — planning a day (``planning/day.py``), editing,
re-optimising and re-planning a plan (``planning/edit_context.py``, ``planning/round_timing.py``,
``planning/resolve.py``), the regions of a large day (``planning/scale.py``) — so they all see the same day:

* **visits** (:func:`relay_candidate`, :func:`pickup_candidate`): a relay point with its expected stock,
  opening windows (service must end by closing time) and service time; a home pickup with its slot;
* **the fleet of the day** (:func:`fleet_of_day`): the crews working that day (their calendars), each
  with its own van (active, not in maintenance), and the vans left out with why;
* **sites** (:class:`Sites`): the vans' depots, the visits and any extra position (a van on the road),
  snapped to the road network, with their travel matrices;
* **vehicles** (:func:`vehicle_for`): each van leaves from, unloads at and returns to its own depot, with
  its crew's shift and lunch break; a mid-day start (position, time, load on board) when given;
* :func:`assemble`: the problem itself, travel times scaled by the time-of-day factor over the shifts;
* :func:`pin_sequences`: a coordinator's locked and hand-placed visits kept in their van, in their order,
  and served (re-optimising an edited draft, planning a day again over one, re-planning a published one).

Reads only; never writes, never commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session


import solver
from solver import (  # noqa: F401  (re-exported: dispatch's only door to the solver)
    Break,
    PlannedRoute,
    Problem,
    Reason,
    Route,
    Solution,
    SolveOptions,
    Status,
    Step,
    Summary,
    TimeWindow,
    Unassigned,
    Vehicle,
    Violation,
    Visit,
)
from dispatch.errors import NotFound
from dispatch.fleet import calendars
from dispatch.fleet import depot_window
from dispatch.models import Crew, PickupRequest, RelayPoint, StopKind, utcnow
from dispatch.pickups import requirements
from dispatch.pickups import SLOT_WINDOWS_S, rules_config
from dispatch.planning.forecast import FillForecast
from dispatch.relay_points import forecast_relay_points, opening_windows
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings

LITRES_PER_M3 = 1000


@dataclass(frozen=True)
class Candidate:
    """One visit the day may contain, before solving."""

    key: str  # "rp:12" or "pu:3"
    kind: StopKind
    record_id: int
    name: str
    lat: float
    lon: float
    expected_m3: float
    service_s: int
    windows: tuple[tuple[int, int], ...]  # when service may start (a relay point: closing time minus service)
    mandatory: bool
    penalty: int | None
    # What crews see: the opening hours (or the pickup slot) each service window belongs to.
    shown_windows: tuple[tuple[int, int], ...] = ()
    # What the crew needs (two_people, tail_lift...: dispatch/pickups/requirements.py) and why.
    skills: frozenset[str] = frozenset()
    why: tuple[dict, ...] = field(default=(), hash=False, compare=False)  # dicts: not part of the hash
    # How stored texts name the visit (an unassigned visit's detail): a home pickup by its reference only,
    # never its donor's name or position (they outlive retention and reach anonymous callers otherwise).
    label: str = ""


# ------------------------------------------------------------------ visits


def expected_stock(rp: RelayPoint, day: dt.date, forecast: FillForecast | None = None) -> float:
    """What a crew should find at ``rp`` on ``day``: all of it when reported full, else the forecast."""
    if rp.full:
        return rp.capacity_m3
    if forecast is None:
        forecast = forecast_relay_points([rp], now=utcnow())[rp.id]
    return min(rp.capacity_m3, forecast.expected_stock(day))


def relay_candidate(rp: RelayPoint, day: dt.date, settings: Settings, *, mandatory: bool,
                    expected: float | None = None, service: int | None = None,
                    forecast: FillForecast | None = None, require_open: bool = False) -> Candidate:
    """``rp`` as a visit of ``day``: no window at all when it is closed that day (or, with
    ``require_open``, inactive or paused)."""
    if expected is None:
        expected = expected_stock(rp, day, forecast)
    if service is None:
        service = settings.relay_service_s(expected)
    is_open = not require_open or (rp.active and not getattr(rp, "paused", False))
    usable = [w for w in opening_windows(rp, day) if w.close_s - service >= w.open_s] if is_open else []
    by_hand = frozenset(str(r) for r in getattr(rp, "requirements", None) or ())
    return Candidate(
        key=f"rp:{rp.id}", kind=StopKind.RELAY_POINT, record_id=rp.id, name=rp.name, lat=rp.lat, lon=rp.lon,
        expected_m3=expected, service_s=service, windows=tuple((w.open_s, w.close_s - service) for w in usable),
        mandatory=mandatory, penalty=None, shown_windows=tuple((w.open_s, w.close_s) for w in usable), label=rp.name,
        skills=by_hand | ({"two_people"} if "three_people" in by_hand else set()),
        why=({"code": "by_hand"},) if by_hand else (),
    )


def pickup_service_s(pu: PickupRequest, settings: Settings) -> int:
    """A home pickup's service time: the base (volume) plus the site (floors, lift, categories) by the rules file."""
    config = rules_config(settings)
    return settings.pickup_service_s(pu.volume_m3) + requirements.site_service_s(pu, config.service_time)


def pickup_candidate(pu: PickupRequest, settings: Settings, *, service: int | None = None) -> Candidate:
    """A home pickup as a mandatory visit within its slot, with what its site needs of the crew."""
    if service is None:
        service = pickup_service_s(pu, settings)
    needs, why = requirements.requirements(pu, rules_config(settings).requirements)
    return Candidate(
        key=f"pu:{pu.id}", kind=StopKind.PICKUP, record_id=pu.id, name=f"{pu.ref} {pu.donor_name}",
        lat=pu.lat, lon=pu.lon, expected_m3=pu.volume_m3, service_s=service,
        windows=(SLOT_WINDOWS_S[pu.slot],), mandatory=True, penalty=None, label=f"home pickup {pu.ref}",
        skills=needs, why=why,
    )


# ------------------------------------------------------------------ fleet


def fleet_of_day(day: dt.date, *, session: Session, also: Iterable[Crew] = ()) -> tuple[list[Crew], list[dict]]:
    """The crews working on ``day`` with their own van (calendars, maintenance and inactive ones left
    out: see ``fleet.calendars.fleet_for_day``), plus ``also`` (crews already on the road: a
    started round keeps its crew); and the vans left out, with why. NotFound when nobody works."""
    crews, vans_out = calendars.fleet_for_day(day, session=session)
    for crew in also:
        if crew not in crews and crew.van is not None:
            crews.append(crew)
    if not crews:
        raise NotFound("no active crew with an active, available van on " + day.isoformat() + ": nothing can be "
                       "planned (" + "; ".join(v["detail"] for v in vans_out) + ")", field="crews")
    return crews, vans_out


def travel_factor(network: RoadNetwork, crews: Sequence[Crew]) -> float:
    """One matrix for the whole day: the mean time-of-day factor over the crews' shifts."""
    return network.time_of_day.mean_factor(
        min(c.shift_start_min for c in crews) * 60, max(c.shift_end_min for c in crews) * 60
    )


# ------------------------------------------------------------------ sites and matrices


def depot_key(depot_id: int) -> str:
    return f"depot:{depot_id}"


@dataclass
class Sites:
    """Snapped sites by key, in matrix order, and (once :meth:`measure` ran) their raw road matrices."""

    network: RoadNetwork
    settings: Settings
    keys: list[str] = field(default_factory=list)
    snapped: list = field(default_factory=list)
    durations: list[list[float]] = field(default_factory=list)
    distances: list[list[float]] = field(default_factory=list)

    def add(self, key: str, lat: float, lon: float) -> int:
        """Snap a site (raises ``SiteTooFar`` / ``SiteUnreachable``); a key already there is kept."""
        if key in self.keys:
            return self.keys.index(key)
        self.snapped.append(self.network.snap(key, lat, lon, max_distance_m=self.settings.max_snap_distance_m))
        self.keys.append(key)
        return len(self.keys) - 1

    def add_depots(self, crews: Sequence[Crew]) -> None:
        for depot in sorted({c.van.depot for c in crews}, key=lambda d: d.id):
            self.add(depot_key(depot.id), depot.lat, depot.lon)

    @property
    def location(self) -> dict[str, int]:
        return {k: i for i, k in enumerate(self.keys)}

    def measure(self) -> None:
        m = self.network.matrices(self.snapped)
        self.durations, self.distances = m.durations, m.distances

    def subset(self, keys: Sequence[str]) -> Sites:
        """The same sites restricted to ``keys`` (in that order), matrices re-indexed, not recomputed."""
        index = [self.keys.index(k) for k in keys]
        return Sites(self.network, self.settings, list(keys), [self.snapped[i] for i in index],
                     [[self.durations[a][b] for b in index] for a in index],
                     [[self.distances[a][b] for b in index] for a in index])


# ------------------------------------------------------------------ vehicles and the problem


def vehicle_for(crew: Crew, settings: Settings, location: dict[str, int], *, start: int | None = None,
                shift_start_s: int | None = None, start_load: int = 0,
                break_from_s: int | None = None, day: dt.date | None = None) -> solver.Vehicle:
    """The solver vehicle of ``crew``'s van: from, to and unloading at its own depot, within the crew's
    shift, with its lunch break. A mid-day start: ``start`` (a location), ``shift_start_s`` (now),
    ``start_load`` (litres on board), ``break_from_s`` (a break not taken yet starts after now). With
    ``day``, the shift lies within the depot's opening hours that day (``fleet/depots.py``)."""
    van = crew.van
    assert van is not None
    depot = location[depot_key(van.depot_id)]
    start_s = crew.shift_start_min * 60 if shift_start_s is None else shift_start_s
    end_s = crew.shift_end_min * 60
    hours = depot_window(van.depot, day) if day is not None else None
    if hours is not None:
        start_s, end_s = max(start_s, hours[0]), min(end_s, hours[1])
    end_s = max(start_s, end_s)
    breaks: tuple[solver.Break, ...] = ()
    if crew.break_minutes:
        b0, b1 = crew.break_earliest_min * 60, crew.break_latest_min * 60
        if break_from_s is not None:
            b0 = max(b0, break_from_s)
        if b0 <= b1:
            breaks = (solver.Break("lunch", solver.TimeWindow(b0, b1), crew.break_minutes * 60),)
    capacity = round(van.capacity_m3 * LITRES_PER_M3)
    return solver.Vehicle(
        id=f"crew:{crew.id}", start=depot if start is None else start, end=depot, capacity=(capacity,),
        shift=solver.TimeWindow(start_s, end_s),
        reload_location=depot if settings.max_unloads else None, reload_service=settings.unload_service_s,
        max_reloads=settings.max_unloads, breaks=breaks,
        start_load=(min(capacity, start_load),) if start_load else (),
        skills=requirements.crew_features(van.skills or (), getattr(crew, "skills", None) or (), crew.members or ()),
    )


def visit_penalty(cand: Candidate, settings: Settings, *, mandatory_all: bool = False) -> int | None:
    """None (must be served) for a mandatory visit; an optional one costs its horizon penalty."""
    if cand.mandatory or mandatory_all:
        return None
    return cand.penalty or settings.relay_point_penalty_m


def assemble(sites: Sites, factor: float, candidates: Iterable[Candidate], vehicles: Sequence[solver.Vehicle],
             settings: Settings, *, mandatory_all: bool = False) -> solver.Problem:
    """The solver problem: one visit per candidate (at its site), the vehicles, the scaled matrices."""
    location = sites.location
    visits = tuple(
        solver.Visit(
            id=c.key, location=location[c.key], demand=(round(c.expected_m3 * LITRES_PER_M3),), service=c.service_s,
            windows=tuple(solver.TimeWindow(a, b) for a, b in c.windows), skills=c.skills,
            penalty=visit_penalty(c, settings, mandatory_all=mandatory_all),
        )
        for c in candidates
    )
    return solver.Problem(
        durations=tuple(tuple(round(x * factor) for x in row) for row in sites.durations),
        distances=tuple(tuple(int(x) for x in row) for row in sites.distances),
        vehicles=tuple(vehicles), visits=visits, balance=balance_for(settings),
    )


def pin_sequences(problem: solver.Problem, sequences: Sequence[tuple[str, Sequence[str]]]) -> solver.Problem:
    """``problem`` with a coordinator's hand-made sequences kept: per vehicle, the visits locked or placed
    by hand stay in its van (``Visit.vehicle``), in their order (``locked_sequences``), and must be served
    (penalty None): a search is never free to leave out, as not worth its detour, a stop a person chose.
    One that cannot be served (its van's day is full, its window has passed) is still reported unassigned
    with its reason. Visits a sequence names that ``problem`` lacks are skipped; empty sequences dropped."""
    ids = {v.id for v in problem.visits}
    seqs = tuple((vid, tuple(k for k in keys if k in ids)) for vid, keys in sequences)
    seqs = tuple((vid, keys) for vid, keys in seqs if keys)
    owner = {k: vid for vid, keys in seqs for k in keys}
    visits = tuple(dataclasses.replace(v, vehicle=owner[v.id], penalty=None) if v.id in owner
                   else dataclasses.replace(v, vehicle=None) for v in problem.visits)
    return dataclasses.replace(problem, visits=visits, locked_sequences=seqs)


def pinned_candidates(candidates: dict[str, Candidate], problem: solver.Problem) -> dict[str, Candidate]:
    """``candidates`` with the visits :func:`pin_sequences` pinned marked mandatory, so that one left out is
    reported as a visit that had to be served (and holds publication back), not as optional."""
    pinned = {k for _, keys in problem.locked_sequences for k in keys}
    return {k: dataclasses.replace(c, mandatory=True) if k in pinned and not c.mandatory else c
            for k, c in candidates.items()}


def largest_m3(problem: solver.Problem) -> float:
    """The largest van of ``problem``, in m³ (0 without vans)."""
    return max((v.capacity[0] for v in problem.vehicles), default=0) / LITRES_PER_M3


def balance_for(settings: Settings) -> solver.Balance | None:
    """Fair work when ``settings.balance_work_time``: the span of the crews' day costs
    ``balance_cost_per_s`` a second (the solver then shortens the longest round); None: off."""
    if not settings.balance_work_time:
        return None
    return solver.Balance(kind="span", coefficient=settings.balance_cost_per_s)


def solve(problem: solver.Problem, options: solver.SolveOptions) -> solver.Solution:
    """``solver.solve``, looked up at each call (so that a test or a profiler replacing it is heard)."""
    return solver.solve(problem, options)


def check(problem: solver.Problem, solution: solver.Solution) -> list[solver.Violation]:
    """``solver.check``: the independent checker's violations of ``solution``."""
    return solver.check(problem, solution)


def plan_route(problem: solver.Problem, vehicle_id: str, stops: Sequence[str | None]) -> solver.PlannedRoute:
    """``solver.plan_route``: the timed route of ``stops`` (visit ids, None = unload) and its violations."""
    return solver.plan_route(problem, vehicle_id, stops)


def solve_large(problem: solver.Problem, options: solver.SolveOptions, *,
                coordinates: Sequence[tuple[float, float]] | None = None) -> solver.Solution:
    """A large day solved by decomposition into sectors (``solver.decompose``), imported on use."""
    from solver.decompose import solve_large as decomposed

    return decomposed(problem, options, coordinates=coordinates)
