"""What every part of ``scripts/simulate.py`` shares: the run's settings, the demo world, a seed's truth and
a run's outcome.

* :class:`Config` -- one run's settings: days, solver limits, horizon, the operational hazards and noises, the
  world (``scripts/sim_worlds.py``);
* :func:`world` (:class:`World`) -- the demo relay points, pickup sites and fleet (``sim_planner.demo_network``)
  and the Trilib' fill rates the scenarios draw from; built once per process and shared, never modified;
* :func:`scenario` (:class:`Scenario`) -- a seed's true donation rates (weekly mean and per weekday, shaped by
  the world) and starting stock: the same for every policy of a seed;
* :func:`frac_open` -- the share of a day's opening time elapsed at a moment (donations arrive uniformly
  while a relay point is open);
* :class:`Outcome` -- what one run of a policy recorded, and :meth:`Outcome.metrics`, the figures the JSON
  and the reports give (their keys are the JSON's).

:data:`START` is the first simulated day (a Monday). This module imports neither ``sim_run`` nor ``sim_report``;
they import it. Like its companions it is imported as a plain module (``scripts/`` on ``sys.path``, the
repository first: ``simulate.py`` puts them there).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sim_planner
import sim_worlds

from dispatch.demo import load_demo
from dispatch.planning.forecast import DEFAULT_PROFILE, masked_profile, open_weekdays

REPO = Path(__file__).resolve().parent.parent
START = dt.date(2026, 1, 5)  # a Monday
TRILIB_CSV = REPO / "dispatch" / "data" / "places" / "trilib_stations_2018.csv"
RATE_SCALE, RATE_MIN, RATE_MAX = 0.75, 0.05, 0.40  # as scripts/build_demo_data.py


@dataclass
class Config:
    days: int = 60
    time_limit: float = 5.0
    solution_limit: int | None = 200
    horizon_days: int = 5
    p_van_absent: float = 0.04  # van broken or crew absent for the whole day
    p_breakdown: float = 0.02  # breakdown during the round: the rest of it is lost
    p_full_report: float = 0.85  # a full relay point calls that day (else tries again the next)
    p_level_report: float = 0.15  # an open relay point reports its fill level that day
    level_noise: float = 0.10  # sd of a level report, share of capacity (then rounded to 10 %)
    travel_noise: float = 0.15  # sd of the log travel-time factor per leg
    pickups_per_day: float = 2.5
    dispersion_m3: float = 0.06  # daily donation variance per m³ of mean
    world: str = "default"  # scripts/sim_worlds.py


# ---------------------------------------------------------------- static world (network, fleet)

@dataclass
class World:
    relays: list[dict]
    pickups_sites: list[dict]
    trilib_rates: list[float]
    open_days: list[frozenset[int]]
    sim: sim_planner.SimNetwork  # the same relay points and the fleet, as the problem builder reads them


_WORLD: World | None = None


def world() -> World:
    """The demo network and fleet (``sim_planner.demo_network``: the road network ``dispatch plan`` loads) and
    the Trilib' fill rates the scenarios draw from; each day's sites are snapped and measured when planned."""
    global _WORLD
    if _WORLD is not None:
        return _WORLD
    data = load_demo()
    relays = data["relay_points"]
    with TRILIB_CSV.open(encoding="utf-8", newline="") as fh:
        rates = sorted(float(r["avgFillingRatePerDay"]) for r in csv.DictReader(fh, delimiter=";"))
    _WORLD = World(relays, data["pickups"], rates, [open_weekdays(r["opening_hours"]) for r in relays],
                   sim_planner.demo_network(sim_planner.sim_settings()))
    return _WORLD


# ---------------------------------------------------------------- scenario (seeded truth)

@dataclass
class Scenario:
    rate: np.ndarray  # m³ per calendar day, weekly mean
    lam: np.ndarray  # (n_relays, 7) m³ on each weekday
    stock0: np.ndarray


def scenario(seed: int, w: World, world_name: str = "default") -> Scenario:
    """The truth of ``seed`` in ``world_name``: each relay point's rates and starting stock (from the seed only)."""
    rng = np.random.default_rng([seed, 0])
    rng_world = np.random.default_rng([seed, 98])
    n = len(w.relays)
    caps = np.array([r["capacity_m3"] for r in w.relays])
    q = rng.uniform(0.05, 0.95, n)
    p = np.quantile(np.array(w.trilib_rates), q)  # Trilib' % of a container per day
    rate = np.clip(caps * p / 100.0 * RATE_SCALE, RATE_MIN, RATE_MAX)
    lam = np.zeros((n, 7))
    for i in range(n):
        prof = np.array(DEFAULT_PROFILE) * rng.lognormal(0.0, 0.2, 7)
        lam[i] = rate[i] * sim_worlds.profile(world_name, rng_world, masked_profile(prof, w.open_days[i]),
                                              w.open_days[i])
    stock0 = caps * rng.uniform(0.0, 0.7, n)
    return Scenario(rate, lam, stock0)


def frac_open(windows: list[tuple[int, int]], t: int) -> float:
    """Share of the day's opening time elapsed at t (donations arrive uniformly while open)."""
    total = sum(b - a for a, b in windows)
    if total <= 0:
        return 1.0
    done = sum(min(max(t, a), b) - a for a, b in windows)
    return done / total


# ---------------------------------------------------------------- a run's outcome

TURNED_AWAY_PARTS = ("turned_away_unseen_m3", "turned_away_call_pending_m3", "turned_away_call_seen_m3",
                     "turned_away_first_week_m3")
# The "unseen" m³ split again by the horizon rule's last decision on the relay point (its last collection day
# before the loss, when it was open): mandatory or optional and not visited that day, visited that day (it
# filled again since), skipped, or no decision (the reactive and fixed policies, or none since the start);
# and, of the optional ones, those the rule gave a low risk (p of being full before the next visit < 0.3).
UNSEEN_PARTS = ("unseen_after_mandatory_m3", "unseen_after_optional_m3", "unseen_after_optional_low_risk_m3",
                "unseen_after_visit_m3", "unseen_after_skip_m3", "unseen_no_decision_m3")


@dataclass
class Outcome:
    policy: str
    seed: int
    full_days: int = 0
    turned_away_m3: float = 0.0
    # The m³ turned away split by what the planner knew then: nothing (no full call made), a call made but
    # not seen yet (it reaches the planner a day or two later), a call seen (waiting for its van); and the
    # share of it in the first week (a change of rate the forecast has no data on yet).
    turned_away_unseen_m3: float = 0.0
    turned_away_call_pending_m3: float = 0.0
    turned_away_call_seen_m3: float = 0.0
    turned_away_first_week_m3: float = 0.0
    unseen: dict[str, float] = field(default_factory=lambda: dict.fromkeys(UNSEEN_PARTS, 0.0))
    km: float = 0.0
    van_hours: float = 0.0
    collected_m3: float = 0.0
    relay_collected_m3: float = 0.0
    pickups: int = 0
    pickups_missed: int = 0
    relay_visits: int = 0
    stops_missed: int = 0
    solve_seconds: float = 0.0
    stock_trace: list[list[float]] = field(default_factory=list)  # per day: end-of-day stock per relay
    visit_fill: list[float] = field(default_factory=list)  # fill ratio found at each relay visit
    visit_kind: list[str] = field(default_factory=list)  # why it was visited: mandatory / optional
    visit_expected: list[float] = field(default_factory=list)  # fill ratio the plan expected there

    @property
    def km_per_m3(self) -> float:
        return self.km / self.collected_m3 if self.collected_m3 else float("inf")

    def metrics(self) -> dict[str, float]:
        return {
            "turned_away_m3": round(float(self.turned_away_m3), 3), "full_days": self.full_days,
            **{k: round(float(getattr(self, k)), 3) for k in TURNED_AWAY_PARTS},
            **{k: round(float(v), 3) for k, v in self.unseen.items()},
            "km": round(float(self.km), 1), "km_per_m3": round(float(self.km_per_m3), 4),
            "pickups_missed": self.pickups_missed, "van_hours": round(self.van_hours, 2),
            "collected_m3": round(float(self.collected_m3), 2), "relay_visits": self.relay_visits,
            "stops_missed": self.stops_missed,
            "fill_at_visit": round(float(np.mean(self.visit_fill)), 3) if self.visit_fill else 0.0,
        }

