"""Rolling-horizon decisions on hand-made relay points."""

from __future__ import annotations

import datetime as dt

from dispatch.forecast import FillForecast
from dispatch.horizon import MANDATORY, OPTIONAL, SKIP, HorizonInput, collection_days, decide

MON = dt.date(2026, 11, 30)  # Monday 30 Nov 2026; Tue 1 Dec, Wed 2 Dec, Thu 3 Dec ...
WEEKDAYS = frozenset(range(6))


def forecast(stock: float, rate: float, *, capacity: float = 2.0, full: bool = False, sd: float = 0.01,
             factors=(1.0,) * 7) -> FillForecast:
    """Stock known at 19:00 the evening before Monday."""
    return FillForecast(
        capacity_m3=capacity, rate_m3_per_day=rate, weekday_factors=tuple(factors), sd=sd,
        as_of=dt.datetime(2026, 11, 29, 19), stock_m3=stock, stock_sd=0.02, full=full, dispersion_m3=0.02,
    )


def test_collection_days_skip_sundays_and_holidays() -> None:
    assert collection_days(dt.date(2026, 12, 24), 3) == [dt.date(2026, 12, 26), dt.date(2026, 12, 28),
                                                         dt.date(2026, 12, 29)]


def test_will_overflow_before_next_opening_is_mandatory() -> None:
    # 1.4 of 2 m³, 0.35 m³/day: full on Wednesday; closed on Tuesday and Wednesday -> next visit Thursday
    pt = HorizonInput("rp:1", forecast(1.4, 0.35), frozenset({0, 3, 4, 5}), insertion_cost_m=3000, name="Mairie")
    d = decide(MON, [pt])["rp:1"]
    assert d.decision == MANDATORY and d.penalty is None
    assert d.next_visit_day == dt.date(2026, 12, 3)
    assert d.p_full_before_next_visit > 0.8
    assert "predicted full on" in d.reason and "closed on Tue 1 Dec, Wed 2 Dec" in d.reason
    assert d.reason.endswith("visit today")


def test_same_point_open_tomorrow_can_wait() -> None:
    pt = HorizonInput("rp:1", forecast(1.2, 0.35), WEEKDAYS, insertion_cost_m=3000)
    d = decide(MON, [pt])["rp:1"]
    assert d.decision == OPTIONAL
    assert d.next_visit_day == dt.date(2026, 12, 1)
    assert d.penalty is not None and d.penalty > 0


def test_low_fill_is_skipped_with_a_reason() -> None:
    pt = HorizonInput("rp:2", forecast(0.3, 0.05), WEEKDAYS, insertion_cost_m=4000)
    d = decide(MON, [pt])["rp:2"]
    assert d.decision == SKIP and d.penalty is None
    assert "not needed today" in d.reason and "not full within 5 collection days" in d.reason
    assert d.p_full_within_horizon < 0.05


def test_reported_full_is_mandatory() -> None:
    d = decide(MON, [HorizonInput("rp:3", forecast(2.0, 0.1, full=True), WEEKDAYS)])["rp:3"]
    assert d.decision == MANDATORY and "reported full" in d.reason
    d = decide(MON, [HorizonInput("rp:3", forecast(0.5, 0.1), WEEKDAYS, reported_full=True)])["rp:3"]
    assert d.decision == MANDATORY


def test_closed_today_is_skipped() -> None:
    d = decide(MON, [HorizonInput("rp:4", forecast(1.9, 0.3), frozenset({1, 2}))])["rp:4"]
    assert d.decision == SKIP and "closed on Mon 30 Nov" in d.reason


def test_penalty_grows_with_risk_and_cheap_top_ups_are_worth_their_detour() -> None:
    low = decide(MON, [HorizonInput("a", forecast(1.35, 0.1), WEEKDAYS)])["a"]
    high = decide(MON, [HorizonInput("a", forecast(1.7, 0.1), WEEKDAYS)])["a"]
    assert low.decision == high.decision == OPTIONAL
    assert high.penalty > low.penalty
    cheap = decide(MON, [HorizonInput("a", forecast(1.22, 0.02), WEEKDAYS, insertion_cost_m=900)])["a"]
    assert cheap.decision == OPTIONAL and cheap.penalty >= 1080 and "cheap to add today" in cheap.reason
    dear = decide(MON, [HorizonInput("a", forecast(1.22, 0.02), WEEKDAYS, insertion_cost_m=5000)])["a"]
    assert dear.decision == SKIP  # 61 % full, no risk, not cheap: wait


def test_horizon_length_matters() -> None:
    # 1.3 of 2 m³ at 0.08 m³/day: full in about 9 days -> not within 2 collection days, within 10
    pt = HorizonInput("a", forecast(1.3, 0.08), WEEKDAYS)
    short = decide(MON, [pt], horizon_days=2)["a"]
    long = decide(MON, [pt], horizon_days=10)["a"]
    assert short.p_full_within_horizon < 0.05 < 0.9 < long.p_full_within_horizon
    assert long.penalty > short.penalty
