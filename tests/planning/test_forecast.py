"""Fill-rate estimation: recovery of known rates on synthetic data, censoring, cold start, forecasts."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from dispatch.planning.forecast import (
    Observation,
    Peer,
    Prior,
    estimate,
    exposure,
    open_weekdays,
    prior_from_peers,
)

def _quality_script():
    """scripts/forecast_quality.py: the synthetic relay points these tests and the published tables share."""
    import importlib.util
    import sys

    from tests.conftest import REPO

    spec = importlib.util.spec_from_file_location("forecast_quality", REPO / "scripts" / "forecast_quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["forecast_quality"] = module
    spec.loader.exec_module(module)
    return module


_Q = _quality_script()
START, PROFILE, OPEN, WEAK_PRIOR, synthetic = _Q.START, _Q.PROFILE, _Q.OPEN, _Q.WEAK_PRIOR, _Q.synthetic


def test_the_quality_script_reproduces_the_published_recovery_and_is_calibrated_enough() -> None:
    """The recovery table of docs/simulation/README.md comes from scripts/forecast_quality.py; p(full) is
    not wildly off (within 20 points in every well-filled bin) on a small sample."""
    twelve = _Q.recovery(40, 84)
    assert twelve["mean_abs_rel_error"] < 0.12 and twelve["saturday_ratio"] > 1.4
    cal = _Q.calibration(120)
    assert cal["pairs"] == 600 and cal["max_gap"] < 0.2


def test_exposure_counts_fractional_weekdays() -> None:
    e = exposure(dt.datetime(2026, 1, 5, 12), dt.datetime(2026, 1, 7, 12))  # Mon noon -> Wed noon
    assert e == pytest.approx([0.5, 1.0, 0.5, 0, 0, 0, 0])


def test_recovers_known_rates_with_weekday_effect() -> None:
    """40 synthetic relay points, 12 weeks of noisy reports: rate within 12 % on average (stated
    tolerance), each within 35 %, and the Saturday effect is found."""
    rel_errors, sat_ratio = [], []
    for seed in range(40):
        rng = np.random.default_rng(1000 + seed)
        rate, cap = rng.uniform(0.05, 0.4), rng.uniform(0.6, 3.0)
        f = estimate(synthetic(rate, cap, 84, seed), cap, WEAK_PRIOR, open_days=OPEN)
        rel_errors.append(abs(f.rate_m3_per_day - rate) / rate)
        sat_ratio.append(f.weekday_factors[5] / np.mean(f.weekday_factors[:5]))
        assert f.weekday_factors[6] == 0.0  # closed on Sundays: nothing arrives
        assert sum(f.weekday_factors) == pytest.approx(7.0)
        assert not f.cold_start
    assert np.mean(rel_errors) < 0.12
    assert max(rel_errors) < 0.35
    assert np.median(sat_ratio) > 1.4  # true ratio 1.8 / 0.96 = 1.9, shrunk towards the network profile


def test_robust_to_outlying_reports() -> None:
    rate, cap = 0.2, 2.0
    clean = estimate(synthetic(rate, cap, 84, 7), cap, WEAK_PRIOR, open_days=OPEN)
    noisy = estimate(synthetic(rate, cap, 84, 7, outliers=8), cap, WEAK_PRIOR, open_days=OPEN)
    assert noisy.n_outliers >= 1
    assert abs(noisy.rate_m3_per_day - rate) / rate < 0.25
    assert abs(noisy.rate_m3_per_day - clean.rate_m3_per_day) / clean.rate_m3_per_day < 0.2


def test_full_reading_is_censored_not_taken_at_face_value() -> None:
    """Empty on Monday 8:00, reported full (1 m³) on Tuesday 8:00: it filled *at least* 1 m³ a day.
    Treating "full" as exactly the capacity would give 1 m³/day; the censored estimate is higher."""
    obs = []
    for week in range(6):
        t0 = START + dt.timedelta(days=7 * week, hours=8)
        obs += [Observation(t0, stock_m3=0.0), Observation(t0 + dt.timedelta(days=1), full=True, reset_to_m3=0.0)]
    prior = Prior(rate_m3_per_day=1.0, rate_sd=1.0, weekday_factors=(1,) * 7)
    f = estimate(obs, 1.0, prior)
    as_exact = estimate([Observation(o.at, stock_m3=0.999 if o.full else o.stock_m3, reset_to_m3=o.reset_to_m3)
                         for o in obs], 1.0, prior)
    assert f.daily_rate(0) > as_exact.daily_rate(0)
    assert f.daily_rate(0) > 1.0


def test_full_report_makes_the_forecast_full() -> None:
    obs = [Observation(START, stock_m3=0.2), Observation(START + dt.timedelta(days=3), full=True)]
    f = estimate(obs, 1.0, WEAK_PRIOR)
    assert f.full
    assert f.p_full_by(START.date() + dt.timedelta(days=3)) == 1.0
    assert f.expected_stock(START.date() + dt.timedelta(days=5)) == 1.0


def test_cold_start_uses_similar_relay_points() -> None:
    peers = [Peer("library", 2.0, 0.2), Peer("library", 2.5, 0.25), Peer("library", 1.5, 0.15),
             Peer("shop", 0.6, 0.3), Peer("shop", 0.8, 0.4), Peer("shop", 0.7, 0.35)]
    prior = prior_from_peers("library", 2.0, peers)
    assert prior.rate_m3_per_day == pytest.approx(0.2)  # 0.1 m³/day per m³ of capacity
    assert prior.rate_sd >= 0.5 * prior.rate_m3_per_day  # wide: a few weeks of data dominate
    f = estimate([], 2.0, prior, open_days=OPEN, now=START)
    assert f.cold_start
    assert f.rate_m3_per_day == pytest.approx(0.2, rel=1e-6)
    assert f.sd >= 0.1
    shop = prior_from_peers("shop", 0.7, peers)
    assert shop.rate_m3_per_day == pytest.approx(0.35)
    # a few weeks of data pull the estimate away from the prior towards the truth
    learnt = estimate(synthetic(0.35, 2.0, 42, 3), 2.0, prior, open_days=OPEN)
    assert learnt.rate_m3_per_day > 0.28
    assert learnt.sd < f.sd


def test_cold_start_ignores_a_peer_with_an_absurd_capacity() -> None:
    # a capacity typed as 5e-324 made the peers' spread infinite and every cold-start forecast NaN
    peers = [Peer("library", 2.0, 0.2), Peer("library", 2.5, 0.25), Peer("library", 1.5, 0.15),
             Peer("library", 5e-324, 0.2)]
    prior = prior_from_peers("library", 2.0, peers)
    assert prior.rate_m3_per_day == pytest.approx(0.2)
    assert math.isfinite(prior.rate_sd)
    f = estimate([], 2.0, prior, open_days=OPEN, now=START)
    assert math.isfinite(f.rate_m3_per_day) and math.isfinite(f.sd)


def test_p_full_is_monotone_and_the_full_date_consistent() -> None:
    obs = [Observation(START, stock_m3=0.0), Observation(START + dt.timedelta(days=7), stock_m3=0.7)]
    f = estimate(obs, 2.0, Prior(0.1, 0.1), open_days=OPEN)
    today = (START + dt.timedelta(days=7)).date()
    ps = f.p_full_by_days(today, 30)
    assert all(b >= a for a, b in zip(ps, ps[1:]))
    assert ps[0] < 0.05 and ps[-1] > 0.8
    full = f.expected_full_date()
    assert full is not None
    assert f.p_full_by(full) >= 0.5 > f.p_full_by(full - dt.timedelta(days=1))
    stocks = [f.expected_stock(today + dt.timedelta(days=k)) for k in range(30)]
    assert all(b >= a for a, b in zip(stocks, stocks[1:]))
    assert stocks[-1] == pytest.approx(2.0)


def test_open_weekdays_from_opening_hours() -> None:
    hours = [{"days": [1, 3, 4], "open": "13:00", "close": "19:00"}, {"days": [2, 5], "open": "10:00", "close": "18:00"}]
    assert open_weekdays(hours) == frozenset({1, 2, 3, 4, 5})


def test_summary_is_plain_data() -> None:
    f = estimate([Observation(START, stock_m3=0.5)], 1.0, WEAK_PRIOR, open_days=OPEN)
    s = f.summary(START.date(), 5)
    assert set(s) >= {"rate_m3_per_day", "rate_sd", "weekday_factors", "expected_full_date", "p_full_by"}
    assert len(s["p_full_by"]) == 5



def test_an_eyeballed_report_refines_the_prediction_from_a_measured_collection() -> None:
    """Measured collections pin the rate (0.2 m³/day); a host then says "40 %" of 2 m³ three days after a
    collection left it empty, where about 0.6 m³ was expected: the stock is taken between the two, with
    less uncertainty than the report alone (sd 8 % of the capacity), not at the report's face value."""
    obs = [Observation(START + dt.timedelta(days=7 * w, hours=10), stock_m3=1.4 if w else 0.0, reset_to_m3=0.0)
           for w in range(4)]
    obs.append(Observation(START + dt.timedelta(days=24, hours=10), stock_m3=0.8))
    f = estimate(obs, 2.0, WEAK_PRIOR, open_days=range(7))
    assert f.rate_m3_per_day == pytest.approx(0.2, rel=0.1)
    assert 0.62 < f.stock_m3 < 0.78
    assert f.stock_sd < 0.08 * 2.0
