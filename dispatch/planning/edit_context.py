"""A stored plan as a solver problem: the editing context every edit, re-optimisation and re-plan works on.

:func:`build_context` turns a plan's visits (those in its rounds, or the keys named), plus extra
candidates, into a :class:`Context`: the candidates, the crews of the day, the problem built by the
one problem builder (``planning/problem.py``) and the road matrix's site index. A visit is named by
its key (:func:`stop_key`: ``rp:<id>`` or ``pu:<id>``) everywhere, in rounds and in the unassigned list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable

from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput
from dispatch.models import Crew, Plan, Stop, StopKind, UnassignedVisit
from dispatch.planning import problem as builder
from dispatch.planning.problem import Candidate
from dispatch.roads import RoadNetwork, SiteTooFar, SiteUnreachable
from dispatch.settings import Settings

VISIT_KINDS = (StopKind.RELAY_POINT, StopKind.PICKUP)
# Reasons given before solving: the visit could not be modelled at all (not retried by re-optimisation).
EXCLUDED_REASONS = ("closed", "site_too_far")


def stop_key(stop: Stop | UnassignedVisit) -> str:
    if stop.kind is StopKind.RELAY_POINT:
        return f"rp:{stop.relay_point_id}"
    return f"pu:{stop.pickup_request_id}"


def is_mandatory(plan: Plan, key: str) -> bool:
    """A home pickup always; a relay point when the plan's horizon rule made it mandatory."""
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
        return builder.relay_candidate(stop.relay_point, plan.date, settings, mandatory=is_mandatory(plan, key),
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


def round_crews(plan: Plan) -> list[Crew]:
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
