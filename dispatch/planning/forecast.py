"""Fill-rate estimation and fill forecasts for relay points. Pure functions over plain data.

Model
-----
Donations arrive at a relay point at a rate that depends on the weekday:
``lambda_d = rate * f_d`` m³ per calendar day, ``d`` = 0 (Monday) .. 6 (Sunday), with weekday factors
``f`` averaging 1 over the week (so ``rate * 7`` is the weekly volume) and ``f_d = 0`` on days the relay
point is closed (nobody can drop anything). Between two observations with no collection in between the
stock grows by ``sum_d e_d * lambda_d`` where ``e_d`` is the number of (fractional) days of weekday ``d``
in the interval, plus noise:

* reading noise: fill levels are eyeballed ("about half full"), sd ``reading_sd_frac * capacity``;
* process noise: donations come in lumps; variance ``dispersion_m3 * mean increment`` (compound Poisson).

The parameters are ``rate`` and one deviation ``delta_d`` per open weekday: ``lambda_d = rate * g_d + delta_d``
where ``g`` is the network-wide weekday profile (a prior, masked to open days). A Gaussian prior
``rate ~ N(prior.rate, prior.rate_sd²)`` and ``delta_d ~ N(0, (prior.factor_sd * prior.rate * g_d)²)``
shrinks a relay point's weekday pattern towards the network's and its rate towards similar relay points
(cold start: with no data the forecast *is* the prior). The posterior is the conjugate Gaussian one,
computed by iteratively reweighted least squares:

* robust: Huber weights (``huber_k`` standard deviations) tame outlying reports;
* censored: a "full" report only says ``stock >= capacity``; its increment is replaced by the expected
  value of the truncated normal above that bound (EM for a Tobit model) at each iteration;
* collections: a reading with ``reset_to_m3`` is the stock just before collection (the volume the
  driver loaded); the stock then restarts from ``reset_to_m3``. A reading far below the previous one
  without a recorded collection is taken as an unrecorded collection (a new start), not as data.

Forecast: from the last known state (stock and its uncertainty, or "full"), the stock at the end of a
future day is the sum of daily increments. Its distribution is approximated by a Gamma with the same
mean and variance (non-negative, right-skewed), variance = stock uncertainty + process noise + rate
uncertainty (the rate's posterior variance times the squared exposure); ``p_full_by(day)`` is the
probability that it reaches the capacity by the end of ``day`` (monotone in ``day``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from dispatch.planning.fill_model import (
    ALL_DAYS,
    DEFAULT_PROFILE,
    WEEKDAY_NAMES,
    FillForecast,
    Observation,
    Prior,
    end_of,
    exposure,
    masked_profile,
    network_profile,
    norm_pdf,
    norm_sf,
    observations_from_reports,
    open_weekdays,
    p_reach,
)

__all__ = ["ALL_DAYS", "DEFAULT_PROFILE", "WEEKDAY_NAMES", "FillForecast", "Observation", "Peer", "Prior",
           "end_of", "estimate", "exposure", "masked_profile", "network_profile", "observations_from_reports",
           "open_weekdays", "p_reach", "prior_from_peers"]


@dataclass
class _Interval:
    e: np.ndarray  # exposure per weekday
    y: float  # observed increment (or its lower bound when censored)
    censored: bool
    t_end: dt.datetime
    r_var: float = 0.0  # reading variance of the two ends (eyeballed reports; measured collections)


def _intervals(
    obs: Sequence[Observation], capacity: float, reading_sd: float
) -> tuple[list[_Interval], tuple[dt.datetime, float, float, bool] | None]:
    """Observed increments, and the last state (at, stock, sd, full)."""
    out: list[_Interval] = []
    anchor: tuple[dt.datetime, float, float] | None = None  # at, stock, sd
    state: tuple[dt.datetime, float, float, bool] | None = None
    drop = max(0.25 * capacity, 3 * reading_sd)
    measured_sd = 0.02 * capacity
    for o in sorted(obs, key=lambda o: o.at):
        if o.full:
            if anchor is not None and o.at > anchor[0]:
                out.append(_Interval(exposure(anchor[0], o.at), capacity - anchor[1], True, o.at,
                                     anchor[2] ** 2))
            anchor = None  # donations are turned away while full: the stock is no longer known
            state = (o.at, capacity, 0.0, True)
        elif o.stock_m3 is not None:
            level = min(max(o.stock_m3, 0.0), capacity)
            # what the driver loaded is measured; a host's level report is eyeballed
            sd_end = measured_sd if o.reset_to_m3 is not None else reading_sd
            if anchor is not None and o.at > anchor[0]:
                y = level - anchor[1]
                if y < -drop and o.reset_to_m3 is None:
                    pass  # much lower than before and no collection recorded: an unrecorded collection
                else:
                    out.append(_Interval(exposure(anchor[0], o.at), y, level >= capacity - 1e-9, o.at,
                                         anchor[2] ** 2 + sd_end**2))
            if level >= capacity - 1e-9:
                anchor = None
                state = (o.at, capacity, 0.0, True)
            else:
                anchor = (o.at, level, sd_end)
                state = (o.at, level, sd_end, False)
        if o.reset_to_m3 is not None:
            rest = min(max(o.reset_to_m3, 0.0), capacity)
            anchor = (o.at, rest, 0.02 * capacity)
            state = (o.at, rest, 0.02 * capacity, False)
    return out, state


def estimate(
    observations: Sequence[Observation],
    capacity_m3: float,
    prior: Prior,
    *,
    open_days: Iterable[int] = ALL_DAYS,
    now: dt.datetime | None = None,
    reading_sd_frac: float = 0.08,
    dispersion_m3: float = 0.08,
    huber_k: float = 2.0,
    iterations: int = 8,
) -> FillForecast:
    """Estimate a relay point's fill rate (with weekday effects) and return its forecast.

    ``observations``: any order; see :class:`Observation`. ``prior``: the rate of similar relay points
    (cold start, see :func:`prior_from_peers`). ``open_days``: weekdays (Monday = 0) it is open, i.e.
    when donations can arrive. ``now``: forecast start when there is no observation at all.
    """
    open_set = frozenset(open_days) or ALL_DAYS
    reading_sd = reading_sd_frac * capacity_m3
    intervals, state = _intervals(observations, capacity_m3, reading_sd)
    g = masked_profile(prior.weekday_factors, open_set)
    opened = [d for d in range(7) if g[d] > 0]
    # parameters: [rate, delta_d for open d]
    r0 = max(prior.rate_m3_per_day, 1e-4)
    m0, prior_var = _prior_moments(prior, g, opened, r0)
    n = len(intervals)
    theta = m0.copy()
    cov = np.diag(prior_var)
    n_out = 0
    if n:
        theta, cov, n_out = _posterior(intervals, g, opened, m0, prior_var, capacity_m3,
                                       dispersion_m3=dispersion_m3, huber_k=huber_k, iterations=iterations)
    lam, lam_sd, rate, rate_sd, factors = _weekday_rates(theta, cov, g, opened, r0)
    at, stock, stock_sd, full = _start_state(state, observations, capacity_m3, reading_sd, lam, rate_sd,
                                             dispersion_m3, now)
    return FillForecast(
        capacity_m3=capacity_m3, rate_m3_per_day=rate, weekday_factors=factors, sd=rate_sd, as_of=at,
        stock_m3=stock, stock_sd=stock_sd, full=full, dispersion_m3=dispersion_m3, n_intervals=n,
        n_outliers=n_out, cold_start=n == 0, rate_sd_by_day=tuple(float(x) for x in lam_sd),
    )


def _prior_moments(prior: Prior, g: np.ndarray, opened: list[int], r0: float) -> tuple[np.ndarray, np.ndarray]:
    """The prior's mean and variance of the parameters [rate, delta_d for each open weekday d]."""
    p = 1 + len(opened)
    m0 = np.zeros(p)
    m0[0] = r0
    prior_var = np.empty(p)
    prior_var[0] = max(prior.rate_sd, 1e-4) ** 2
    for j, d in enumerate(opened):
        prior_var[1 + j] = max(prior.factor_sd * r0 * g[d], 1e-4) ** 2
    return m0, prior_var


def _posterior(
    intervals: list[_Interval], g: np.ndarray, opened: list[int], m0: np.ndarray, prior_var: np.ndarray,
    capacity_m3: float, *, dispersion_m3: float, huber_k: float, iterations: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """The posterior mean and covariance of the parameters, and how many intervals were outliers:
    iteratively reweighted least squares (robust Huber weights, censored "full" increments replaced by
    their expected value above the bound), the covariance inflated by any over-dispersion."""
    n, p = len(intervals), 1 + len(opened)
    prec0 = np.diag(1.0 / prior_var)
    theta = m0.copy()
    cov = np.diag(prior_var)
    X = np.zeros((n, p))
    for k, iv in enumerate(intervals):
        X[k, 0] = iv.e @ g
        X[k, 1:] = iv.e[opened]
    y_obs = np.array([iv.y for iv in intervals])
    cens = np.array([iv.censored for iv in intervals])
    r_var = np.array([iv.r_var for iv in intervals])
    w_rob = np.ones(n)
    for _ in range(iterations):
        mu = X @ theta
        sigma2 = r_var + dispersion_m3 * np.maximum(mu, 0.01 * capacity_m3)
        sigma = np.sqrt(sigma2)
        y = y_obs.copy()
        if cens.any():  # E[Y | Y >= bound] under N(mu, sigma²)
            a = (y_obs[cens] - mu[cens]) / sigma[cens]
            tail = np.maximum(norm_sf(a), 1e-12)
            y[cens] = np.maximum(y_obs[cens], mu[cens] + sigma[cens] * norm_pdf(a) / tail)
        z = (y - mu) / sigma
        w_rob = np.where(np.abs(z) <= huber_k, 1.0, huber_k / np.maximum(np.abs(z), 1e-12))
        w_rob[cens] = 1.0
        W = w_rob / sigma2
        A = X.T @ (X * W[:, None]) + prec0
        b = X.T @ (W * y) + prec0 @ m0
        cov = np.linalg.inv(A)
        theta = cov @ b
    n_out = int((w_rob < 0.999).sum())
    # Over-dispersion: inflate the uncertainty when residuals are larger than the noise model says.
    mu = X @ theta
    sigma2 = r_var + dispersion_m3 * np.maximum(mu, 0.01 * capacity_m3)
    unc = ~cens
    if unc.sum() > p:
        s2 = float(np.sum(w_rob[unc] * (y_obs[unc] - mu[unc]) ** 2 / sigma2[unc]) / (unc.sum() - p))
        cov = cov * max(1.0, s2)
    return theta, cov, n_out


def _weekday_rates(
    theta: np.ndarray, cov: np.ndarray, g: np.ndarray, opened: list[int], r0: float,
) -> tuple[np.ndarray, np.ndarray, float, float, tuple[float, ...]]:
    """Per weekday, the rate and its sd; the mean daily rate, its sd and the weekday factors."""
    p = 1 + len(opened)
    lam = np.zeros(7)
    lam_sd = np.zeros(7)
    for d in opened:
        c = np.zeros(p)
        c[0] = g[d]
        c[1 + opened.index(d)] = 1.0
        lam[d] = max(float(c @ theta), 0.02 * r0 * g[d])
        lam_sd[d] = math.sqrt(max(float(c @ cov @ c), 0.0))
    c = np.zeros(p)
    c[0] = 1.0
    c[1:] = 1.0 / 7.0
    rate = float(lam.sum() / 7.0)
    rate_sd = math.sqrt(max(float(c @ cov @ c), 0.0))
    factors = tuple(float(x / rate) if rate > 0 else float(g[d]) for d, x in enumerate(lam))
    return lam, lam_sd, rate, rate_sd, factors


def _start_state(
    state: tuple[dt.datetime, float, float, bool] | None, observations: Sequence[Observation], capacity_m3: float,
    reading_sd: float, lam: np.ndarray, rate_sd: float, dispersion_m3: float, now: dt.datetime | None,
) -> tuple[dt.datetime, float, float, bool]:
    """Where the forecast starts (at, stock, sd, full): the last known state, filtered with the estimated
    rates; with no observation at all, empty-ish at ``now`` (default: today's midnight)."""
    if state is not None and not state[3]:
        state = _filtered_state(observations, capacity_m3, reading_sd, lam, rate_sd, dispersion_m3) or state
    if state is None:
        at = now or dt.datetime.combine(dt.date.today(), dt.time())
        state = (at, 0.0, 0.25 * capacity_m3, False)
    elif now is not None and now > state[0] and not state[3]:
        pass  # forecast from the last observation; callers ask about days after it
    return state


def _filtered_state(
    obs: Sequence[Observation], capacity: float, reading_sd: float, lam: np.ndarray, rate_sd: float,
    dispersion_m3: float,
) -> tuple[dt.datetime, float, float, bool] | None:
    """The last known state, combining each fill report with what the estimated rates predicted since
    the previous one (a one-dimensional Kalman filter on the stock), instead of trusting the last
    eyeballed report alone: a level report seen three days after a measured collection mostly refines
    the prediction from the collection. A collection (the driver's measured ``reset_to_m3``) and a
    "full" call restart it."""
    state: tuple[dt.datetime, float, float, bool] | None = None
    r_var = reading_sd**2
    for o in sorted(obs, key=lambda o: o.at):
        if o.full:
            state = (o.at, capacity, 0.0, True)
        elif o.stock_m3 is not None:
            level = min(max(o.stock_m3, 0.0), capacity)
            if level >= capacity - 1e-9 or state is None or state[3] or o.at <= state[0] or o.reset_to_m3 is not None:
                mean, var = level, r_var
            else:
                e = exposure(state[0], o.at)
                inc = float(e @ lam)
                p_mean = min(capacity, state[1] + inc)
                p_var = state[2] ** 2 + dispersion_m3 * inc + (float(e.sum()) * rate_sd) ** 2
                if level < p_mean - max(0.25 * capacity, 3 * reading_sd):
                    mean, var = level, r_var  # much lower: an unrecorded collection
                else:
                    k = p_var / (p_var + r_var)
                    mean, var = p_mean + k * (level - p_mean), (1 - k) * p_var
            if mean >= capacity - 1e-9:
                state = (o.at, capacity, 0.0, True)
            else:
                state = (o.at, mean, math.sqrt(var), False)
        if o.reset_to_m3 is not None:
            state = (o.at, min(max(o.reset_to_m3, 0.0), capacity), 0.02 * capacity, False)
    return state


# ---- priors from similar relay points --------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """A relay point already estimated: its kind, capacity and estimated rate."""

    kind: str
    capacity_m3: float
    rate_m3_per_day: float


def prior_from_peers(
    kind: str,
    capacity_m3: float,
    peers: Sequence[Peer],
    *,
    profile: Sequence[float] = DEFAULT_PROFILE,
    default_rate_per_m3: float = 0.07,
) -> Prior:
    """Cold-start prior: relay points of the same kind (else all) in a similar capacity band.

    Rates scale with capacity (a bigger space is lent where more is given), so the prior rate is the
    capacity times the median rate per m³ of capacity of the peers; its sd is wide: the spread of the
    peers' rates per m³ (at least 50 % of the mean), so a few weeks of data dominate it.
    """
    # a peer filling more than 100 times its capacity a day (a capacity typed as 1e-300) tells nothing
    usable = [p for p in peers if p.capacity_m3 > 0 and 0 <= p.rate_m3_per_day / p.capacity_m3 <= 100]
    same = [p for p in usable if p.kind == kind]
    band = [p for p in same if 0.5 * capacity_m3 <= p.capacity_m3 <= 2.0 * capacity_m3]
    chosen = band if len(band) >= 3 else same if len(same) >= 3 else usable
    if chosen:
        per_m3 = np.array([p.rate_m3_per_day / p.capacity_m3 for p in chosen])
        mid = float(np.median(per_m3))
        spread = float(np.std(per_m3)) if len(per_m3) > 1 else mid
    else:
        mid, spread = default_rate_per_m3, default_rate_per_m3
    rate = mid * capacity_m3
    sd = max(spread * capacity_m3, 0.5 * rate)
    return Prior(rate_m3_per_day=rate, rate_sd=sd, weekday_factors=tuple(profile))


