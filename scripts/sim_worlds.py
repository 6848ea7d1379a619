"""Worlds for ``scripts/simulate.py``: how donations arrive, how hosts report and when relay points
close. Each world but ``default`` breaks one assumption of the forecaster (dispatch/planning/forecast.py:
a weekly profile close to its prior, a steady rate, Gamma noise, hosts who call "full" when full):

* ``default`` -- as before: the forecaster's weekday profile with log-normal noise, Gamma donations.
* ``weekdays`` -- each relay point's weekday profile drawn independently of the forecaster's prior
  (Dirichlet over its open days): busy Mondays, dead Saturdays, whatever.
* ``seasons`` -- trend and seasonality: January clear-outs (inflow x1.8 on the first day, decaying over
  about three weeks) on top of a slow upward trend (+0.5 % a day).
* ``holidays`` -- one relay point in four closes for 7 to 14 days (host away); it gets no donations and
  cannot be visited, and the planner knows the closure (as a coordinator enters it).
* ``bursts`` -- a neighbourhood clear-out: one relay point in three has a week with twice its inflow.
* ``hosts`` -- hosts who call "full" at 70 % (one in four) or never report at all (one in five).
* ``lumpy`` -- donations heavier-tailed than Gamma: most days little, some days a cupboard's worth
  (a compound of a Poisson count of log-normal lumps with the same mean).

Everything is drawn from the seed: a world is the same for every policy of a seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

WORLDS = ("default", "weekdays", "seasons", "holidays", "bursts", "hosts", "lumpy")


@dataclass
class Rules:
    name: str
    factor: np.ndarray  # (days, n): multiplier of each relay point's inflow on each simulated day
    closed: list[set[dt.date]] = field(default_factory=list)  # per relay point: dates closed
    call_at: np.ndarray | None = None  # (n,) fill share at which the host calls "full" (inf: never)
    reports: np.ndarray | None = None  # (n,) bool: the host reports its level at all
    lumpy: bool = False

    def donation(self, rng: np.random.Generator, mean: float, dispersion: float) -> float:
        """One day's donations at a relay point with this ``mean`` (m³)."""
        if mean <= 0:
            return 0.0
        if not self.lumpy:
            return float(rng.gamma(mean / dispersion, dispersion))
        lump = 0.35  # m³: a lump's mean (log-normal, sigma 1)
        count = rng.poisson(mean / lump)
        return float(rng.lognormal(np.log(lump) - 0.5, 1.0, count).sum()) if count else 0.0


def profile(name: str, rng: np.random.Generator, base: np.ndarray, open_days: frozenset[int]) -> np.ndarray:
    """A relay point's weekday profile (7 values, mean 1 over its open days)."""
    if name != "weekdays":
        return base
    shares = np.zeros(7)
    days = sorted(open_days)
    shares[days] = rng.dirichlet(np.full(len(days), 1.5))
    return shares * 7 / max(1e-9, shares.sum())


def rules(name: str, seed: int, n: int, days: int, start: dt.date) -> Rules:
    if name not in WORLDS:
        raise ValueError(f"unknown world {name!r}; choose among {', '.join(WORLDS)}")
    rng = np.random.default_rng([seed, 99, WORLDS.index(name)])
    factor = np.ones((days, n))
    out = Rules(name, factor, closed=[set() for _ in range(n)])
    if name == "seasons":
        k = np.arange(days)[:, None]
        out.factor = (1.0 + 0.8 * np.exp(-k / 10.0)) * (1.0 + 0.005 * k) * np.ones((1, n))
    elif name == "holidays":
        for i in np.flatnonzero(rng.random(n) < 0.25):
            first = int(rng.integers(0, max(1, days - 7)))
            length = int(rng.integers(7, 15))
            out.closed[i] = {start + dt.timedelta(days=d) for d in range(first, min(days, first + length))}
            out.factor[first:first + length, i] = 0.0
    elif name == "bursts":
        for i in np.flatnonzero(rng.random(n) < 1 / 3):
            first = int(rng.integers(0, max(1, days - 7)))
            out.factor[first:first + 7, i] = 2.0
    elif name == "hosts":
        u = rng.random(n)
        out.call_at = np.where(u < 0.25, 0.7, np.where(u < 0.45, np.inf, 1.0))
        out.reports = ~((u >= 0.25) & (u < 0.45))  # one in five never reports, not even its level
    elif name == "lumpy":
        out.lumpy = True
    return out
