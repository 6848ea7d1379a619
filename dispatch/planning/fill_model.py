"""The fill model of a relay point: observations, priors and :class:`FillForecast` (the stock forecast
and p(full)), with the weekday exposure and profile helpers. Pure functions over plain data; the
estimation that turns reports into a forecast is :mod:`dispatch.planning.forecast` (which re-exports
these names)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.special import gammaincc

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Network-wide weekday profile (relative deposits per open day; more on Saturdays). Re-estimate it
# from the whole network with :func:`network_profile` once data exists.
DEFAULT_PROFILE: tuple[float, ...] = (0.85, 0.9, 1.0, 0.95, 1.05, 1.6, 0.65)
ALL_DAYS = frozenset(range(7))


@dataclass(frozen=True)
class Observation:
    """One thing known about a relay point's stock.

    ``stock_m3``: the stock seen at ``at`` (None if not seen). ``full``: the relay point said it is full
    (a censored reading: stock >= capacity; ``stock_m3`` is then ignored). ``reset_to_m3``: a collection
    happened right after this reading and left this much behind (usually 0). A collection where the
    driver loaded V m³ is ``Observation(at, stock_m3=V, reset_to_m3=0)`` (``full=True`` too if the relay
    point had been reported full: V is then a lower bound of what was brought).
    """

    at: dt.datetime
    stock_m3: float | None = None
    full: bool = False
    reset_to_m3: float | None = None


@dataclass(frozen=True)
class Prior:
    """What is believed before any data: from similar relay points (see :func:`prior_from_peers`)."""

    rate_m3_per_day: float
    rate_sd: float
    weekday_factors: tuple[float, ...] = DEFAULT_PROFILE
    factor_sd: float = 0.35  # relative sd of one weekday's deviation from the network profile


@dataclass(frozen=True)
class FillForecast:
    """A relay point's estimated fill rate and its stock forecast from ``as_of``."""

    capacity_m3: float
    rate_m3_per_day: float  # mean m³ per calendar day over the week
    weekday_factors: tuple[float, ...]  # 7 values, Monday first, mean 1; 0 on closed days
    sd: float  # posterior sd of rate_m3_per_day
    as_of: dt.datetime  # time of the last known state
    stock_m3: float  # stock at as_of (capacity if full)
    stock_sd: float
    full: bool  # reported full at as_of (and not collected since)
    dispersion_m3: float = 0.08
    n_intervals: int = 0  # how many observed increments the estimate rests on
    n_outliers: int = 0  # observations down-weighted as outliers
    cold_start: bool = False  # no usable data: the prior from similar relay points
    rate_sd_by_day: tuple[float, ...] = field(default=(0.0,) * 7)  # posterior sd of each lambda_d

    def cautious(self, z: float) -> FillForecast:
        """This forecast with its fill rate raised by ``z`` of its standard deviations: a margin for what the
        estimate does not know, growing with the time ahead (none for a forecast without uncertainty, such as
        the simulator's oracle). The stock it starts from is kept: a margin on it bought fewer m³ per km in
        the simulator (docs/simulation/README.md)."""
        if z <= 0 or self.full or self.sd <= 0:
            return self
        return replace(self, rate_m3_per_day=self.rate_m3_per_day + z * self.sd)

    # ---- rates -------------------------------------------------------------------------------
    def daily_rate(self, weekday: int) -> float:
        return self.rate_m3_per_day * self.weekday_factors[weekday]

    def rate_interval(self, z: float = 1.96) -> tuple[float, float]:
        return max(0.0, self.rate_m3_per_day - z * self.sd), self.rate_m3_per_day + z * self.sd

    # ---- forecasts ---------------------------------------------------------------------------
    def _moments(self, until: dt.datetime) -> tuple[float, float]:
        """Mean and variance of the stock at ``until`` ignoring the capacity cap (not full)."""
        e = exposure(self.as_of, until) if until > self.as_of else np.zeros(7)
        lam = np.array([self.daily_rate(d) for d in range(7)])
        inc = float(e @ lam)
        # rate uncertainty: the weekday rates are strongly correlated (one base rate); use the base sd.
        rate_var = (float(e.sum()) * self.sd) ** 2
        var = self.stock_sd**2 + self.dispersion_m3 * inc + rate_var
        return self.stock_m3 + inc, var

    def expected_stock(self, day: dt.date) -> float:
        """Expected stock at the end of ``day`` (capped at the capacity) if nobody collects."""
        if self.full:
            return self.capacity_m3
        mean, _ = self._moments(end_of(day))
        return min(self.capacity_m3, max(0.0, mean))

    def expected_stock_at(self, when: dt.datetime) -> float:
        if self.full:
            return self.capacity_m3
        mean, _ = self._moments(when)
        return min(self.capacity_m3, max(0.0, mean))

    def p_full_at(self, when: dt.datetime) -> float:
        """Probability that the stock has reached the capacity by ``when`` (no collection meanwhile)."""
        if self.full:
            return 1.0
        if when <= self.as_of:
            return p_reach(self.stock_m3, self.stock_sd**2, self.capacity_m3)
        mean, var = self._moments(when)
        return p_reach(mean, var, self.capacity_m3)

    def p_full_by(self, day: dt.date) -> float:
        """Probability of being full by the end of ``day`` if nobody collects. Monotone in ``day``."""
        if self.full:
            return 1.0
        p = 0.0
        start = self.as_of.date()
        d = start
        while d <= day:  # running max: the stock never decreases without a collection
            p = max(p, self.p_full_at(end_of(d)))
            d += dt.timedelta(days=1)
        return p

    def p_full_by_days(self, first: dt.date, n: int) -> list[float]:
        """``[p_full_by(first), p_full_by(first + 1 day), ...]``, n values."""
        out, p = [], 0.0
        if self.full:
            return [1.0] * n
        p = self.p_full_by(first - dt.timedelta(days=1)) if first > self.as_of.date() else 0.0
        for k in range(n):
            p = max(p, self.p_full_at(end_of(first + dt.timedelta(days=k))))
            out.append(p)
        return out

    def expected_full_date(self, *, p: float = 0.5, max_days: int = 90) -> dt.date | None:
        """First day by whose end the relay point is full with probability >= ``p`` (median: 0.5)."""
        if self.full:
            return self.as_of.date()
        day = self.as_of.date()
        for _ in range(max_days + 1):
            if self.p_full_at(end_of(day)) >= p:
                return day
            day += dt.timedelta(days=1)
        return None

    def summary(self, today: dt.date, horizon_days: int = 7) -> dict:
        """Plain data for the API and the coordinator's day view."""
        full_date = self.expected_full_date()
        lo, hi = self.rate_interval()
        return {
            "rate_m3_per_day": round(self.rate_m3_per_day, 4),
            "rate_sd": round(self.sd, 4),
            "rate_95": [round(lo, 4), round(hi, 4)],
            "weekday_factors": {WEEKDAY_NAMES[d]: round(f, 3) for d, f in enumerate(self.weekday_factors)},
            "stock_m3": round(self.expected_stock(today), 3),
            "fill_ratio": round(self.expected_stock(today) / self.capacity_m3, 3),
            "expected_full_date": full_date.isoformat() if full_date else None,
            "p_full_by": {
                (today + dt.timedelta(days=k)).isoformat(): round(p, 3)
                for k, p in enumerate(self.p_full_by_days(today, horizon_days))
            },
            "cold_start": self.cold_start,
            "n_observations": self.n_intervals,
        }


# ---- helpers ---------------------------------------------------------------------------------


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def exposure(t0: dt.datetime, t1: dt.datetime) -> np.ndarray:
    """Fractional number of days of each weekday (Monday first) in ``(t0, t1]``."""
    e = np.zeros(7)
    if t1 <= t0:
        return e
    cur = t0
    while cur < t1:
        nxt = min(t1, dt.datetime.combine(cur.date() + dt.timedelta(days=1), dt.time()))
        e[cur.weekday()] += (nxt - cur).total_seconds() / 86400.0
        cur = nxt
    return e


def p_reach(mean: float, var: float, capacity: float) -> float:
    """P(X >= capacity) for X >= 0 Gamma-distributed with this mean and variance."""
    if mean <= 0:
        return 0.0
    if var <= 1e-12:
        return 1.0 if mean >= capacity - 1e-9 else 0.0
    shape = mean * mean / var
    scale = var / mean
    return float(gammaincc(shape, capacity / scale))


def norm_pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def norm_sf(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return ndtr(-x)


def masked_profile(profile: Sequence[float], open_days: Iterable[int]) -> np.ndarray:
    """The profile with closed days at 0, rescaled to average 1 over the 7 days."""
    g = np.array([float(profile[d]) if d in set(open_days) else 0.0 for d in range(7)])
    if g.sum() <= 0:
        g = np.array([1.0 if d in set(open_days) else 0.0 for d in range(7)])
    if g.sum() <= 0:
        return np.ones(7)
    return g * 7.0 / g.sum()


def network_profile(forecasts: Sequence[FillForecast], *, base: Sequence[float] = DEFAULT_PROFILE) -> tuple[float, ...]:
    """Network-wide weekday profile: mean of the relay points' factors per weekday, over those open
    that day (weighted by their evidence), normalised to a mean of 1 over the week."""
    num = np.zeros(7)
    den = np.zeros(7)
    for f in forecasts:
        w = max(1, f.n_intervals)
        for d in range(7):
            if f.weekday_factors[d] > 0:
                num[d] += w * f.weekday_factors[d]
                den[d] += w
    prof = np.array([num[d] / den[d] if den[d] else base[d] for d in range(7)])
    return tuple(float(x) for x in prof * 7.0 / prof.sum())


def observations_from_reports(reports: Iterable, *, collections: Iterable = ()) -> list[Observation]:
    """Adapter for stored data: objects with ``reported_at``, ``stock_m3``, ``full`` (StockReport) and
    optional collections ``(at, collected_m3, left_m3)``. A driver's report after a collection is a
    reading like any other; a big unexplained drop is recognised as a collection by :func:`estimate`."""
    out = [
        Observation(at=r.reported_at, stock_m3=None if r.full else r.stock_m3, full=bool(r.full)) for r in reports
    ]
    out += [Observation(at=at, stock_m3=v, reset_to_m3=left) for at, v, left in collections]
    return sorted(out, key=lambda o: o.at)


def open_weekdays(opening_hours: Iterable[dict]) -> frozenset[int]:
    """Weekdays (Monday = 0) with at least one opening window, from RelayPoint.opening_hours."""
    return frozenset(int(d) for entry in opening_hours or [] for d in entry.get("days", []))

