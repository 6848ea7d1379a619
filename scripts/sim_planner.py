"""A simulated day planned the way ``dispatch plan`` plans one: ``scripts/simulate.py``'s planner.

The simulator has no database. This module gives the product's one problem builder
(``dispatch/planning/problem.py``) what :func:`dispatch.planning.day.build_day` gives it from the database,
as transient ORM objects (built here, never added to a session), and solves with the options
:func:`dispatch.planning.day.plan_day` uses:

* :func:`sim_settings` -- the product ``Settings`` the simulated fleet runs with: the product's service
  times, penalties, horizon rule and unloading trips (at most :data:`MAX_UNLOADS` a day), one search per solve;
* :func:`demo_network` (:class:`SimNetwork`) -- the demo depot, its relay points with their opening hours,
  and the demo fleet (``dispatch.demo.FLEET``: four vans, each with its crew working the product's
  default day, ``CREW_DEFAULTS``), on the road network ``dispatch plan`` loads (``dispatch.roads.cache``).
  A relay point's and a crew's id is its index in the simulator's lists; a home pickup's, its index in the day;
* :func:`home_pickup` -- a home pickup promised for the day, as a ``PickupRequest``;
* :func:`day_sites` -- the depot (matrix index 0), every relay point (1 + its index) and the day's home
  pickups (after them), snapped and measured by ``builder.Sites``: the road matrix the horizon rule reads
  (as ``build_day`` measures its sites before applying the rule);
* :func:`plan_day` -- the relay points a policy chose (:class:`Choice`: mandatory, or optional with the
  horizon's penalty, and the m³ expected there) and the home pickups (always mandatory) as the builder's
  candidates (``relay_candidate``, ``pickup_candidate``); the crews given, one vehicle each (``vehicle_for``);
  assembled over those sites with the day's ``travel_factor``; solved with ``day.solve_options``.

What it does not do: choose the relay points (the policies, in ``sim_run.py``), leave crews out (an absent
crew is simply not given) or execute the plan (travel noise, breakdowns: ``sim_run.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dispatch.demo import FLEET, load_demo
from dispatch.models import Crew, Depot, PickupRequest, PickupStatus, RelayPoint, RelayPointKind, Slot, Van
from dispatch.models.fleet import CREW_DEFAULTS
from dispatch.planning import problem as builder
from dispatch.planning.day import solve_options
from dispatch.planning.problem import Candidate
from dispatch.roads import RoadNetwork
from dispatch.roads.cache import get_network
from dispatch.settings import Settings

DEPOT_ID = 1
MAX_UNLOADS = 2  # unloading trips a van makes at most in a day (the product's default allows 3)


def sim_settings(*, horizon_days: int = 5, solution_limit: int | None = 200, **fields: Any) -> Settings:
    """The product settings of the simulated fleet; ``fields`` replace any (a test, a variant). No ``.env``
    file is read; the fields the simulation depends on are given here, not taken from the environment."""
    values: dict[str, Any] = dict(
        graph_path=None, van_speed_factor=0.85, max_snap_distance_m=300.0, rules_file=None,
        unload_service_s=1200, max_unloads=MAX_UNLOADS, balance_work_time=False,
        horizon_days=horizon_days, solve_solution_limit=solution_limit, solve_seed=0,
        solve_workers=1,  # one search per solve: simulate.py runs its jobs side by side itself (--workers)
    )
    return Settings(_env_file=None, **(values | fields))


@dataclass(frozen=True)
class SimNetwork:
    """The simulated organisation: one depot, its relay points and its crews (each with its van)."""

    network: RoadNetwork
    depot: Depot
    relay_points: list[RelayPoint]
    crews: list[Crew]


def demo_network(settings: Settings) -> SimNetwork:
    """The demo network (``dispatch/data/demo/paris_demo.json``) and fleet, as transient ORM objects."""
    data = load_demo()
    d = data["depot"]
    depot = Depot(id=DEPOT_ID, name=d["name"], address=d["address"], lat=d["lat"], lon=d["lon"], opening_hours=[])
    relay_points = [
        RelayPoint(id=i, code=r["code"], name=r["name"], kind=RelayPointKind(r["kind"]), lat=r["lat"], lon=r["lon"],
                   capacity_m3=r["capacity_m3"], opening_hours=r["opening_hours"], active=True, full=False,
                   paused=False, requirements=[])
        for i, r in enumerate(data["relay_points"])
    ]
    crews = []
    for v, (van_name, _plate, capacity, skills, crew_name, members) in enumerate(FLEET):
        van = Van(id=v, name=van_name, capacity_m3=capacity, depot=depot, depot_id=depot.id, skills=skills,
                  active=True)
        crews.append(Crew(id=v, name=crew_name, members=members, van=van, van_id=v, active=True, skills=[],
                          **CREW_DEFAULTS))
    return SimNetwork(get_network(settings), depot, relay_points, crews)


def home_pickup(index: int, site: Mapping[str, Any], volume_m3: float, slot: str, day: dt.date) -> PickupRequest:
    """A home pickup promised for ``day`` at a demo pickup ``site`` (its position only: the simulated donor
    has no floor, lift or categories, so the rules file adds no service time and no requirement)."""
    return PickupRequest(id=index, ref=f"SIM-{index}", donor_name="", lat=site["lat"], lon=site["lon"],
                         volume_m3=volume_m3, categories=[], date=day, slot=Slot(slot), floor=None, has_lift=None,
                         status=PickupStatus.ACCEPTED, requirements=[])


def day_sites(sim: SimNetwork, settings: Settings, pickups: Sequence[PickupRequest]) -> builder.Sites:
    """The depot (0), every relay point (1 + index), then the day's home pickups: snapped and measured."""
    sites = builder.Sites(sim.network, settings)
    sites.add(builder.depot_key(sim.depot.id), sim.depot.lat, sim.depot.lon)
    for rp in sim.relay_points:
        sites.add(f"rp:{rp.id}", rp.lat, rp.lon)
    for pu in pickups:
        sites.add(f"pu:{pu.id}", pu.lat, pu.lon)
    sites.measure()
    return sites


@dataclass(frozen=True)
class Choice:
    """A policy's decision for a relay point today: mandatory, or optional with the horizon's ``penalty``;
    ``expected_m3``: what the plan expects to find there (the van's load, the service time)."""

    mandatory: bool
    penalty: int | None
    expected_m3: float


@dataclass(frozen=True)
class DayPlan:
    """The day's problem and its solution (both None: no crew, or nothing to visit)."""

    candidates: dict[str, Candidate]  # by visit id
    crews: dict[str, Crew]  # by vehicle id
    problem: builder.Problem | None = None
    solution: builder.Solution | None = None

    @property
    def routes(self) -> tuple[builder.Route, ...]:
        return self.solution.routes if self.solution is not None else ()


def candidates(sim: SimNetwork, settings: Settings, day: dt.date, choices: Mapping[int, Choice],
               pickups: Sequence[PickupRequest]) -> list[Candidate]:
    """The chosen relay points open today (as ``build_day``'s horizon step marks them) and the home pickups."""
    out = []
    for i, choice in sorted(choices.items()):
        cand = builder.relay_candidate(sim.relay_points[i], day, settings, mandatory=choice.mandatory,
                                       expected=choice.expected_m3)
        if cand.windows:  # closed today (or its windows too short for the service): not a visit
            out.append(replace(cand, penalty=None if choice.mandatory else choice.penalty))
    return out + [builder.pickup_candidate(pu, settings) for pu in pickups]


def plan_day(sim: SimNetwork, settings: Settings, day: dt.date, sites: builder.Sites, choices: Mapping[int, Choice],
             pickups: Sequence[PickupRequest], crews: Sequence[Crew], time_limit_s: float) -> DayPlan:
    """Build the day's problem through the builder over ``sites`` (from :func:`day_sites`) and solve it."""
    cands = candidates(sim, settings, day, choices, pickups)
    plan = DayPlan({c.key: c for c in cands}, {f"crew:{c.id}": c for c in crews})
    if not cands or not crews:
        return plan
    sub = sites.subset([builder.depot_key(sim.depot.id)] + [c.key for c in cands])
    vehicles = [builder.vehicle_for(c, settings, sub.location, day=day) for c in crews]
    problem = builder.assemble(sub, builder.travel_factor(sim.network, crews), cands, vehicles, settings)
    return replace(plan, problem=problem, solution=builder.solve(problem, solve_options(settings, time_limit_s)))
