"""Rolling-horizon decisions on hand-made relay points."""

from __future__ import annotations

import datetime as dt

import pytest

from dispatch.planning.forecast import FillForecast
from dispatch.planning.horizon import MANDATORY, OPTIONAL, SKIP, HorizonInput, collection_days, decide

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


def test_mandatory_only_when_overflow_is_likely_before_the_next_visit() -> None:
    # 1.45 of 2 m³ at 0.35 m³/day, open tomorrow: p(full by tomorrow noon) is about 0.6: a strong risk,
    # worth a large penalty, but the next possible visit comes first -> optional, not mandatory
    d = decide(MON, [HorizonInput("a", forecast(1.45, 0.35, sd=0.05), WEEKDAYS, insertion_cost_m=4000)])["a"]
    assert 0.5 < d.p_full_before_next_visit < 0.8
    assert d.decision == OPTIONAL and d.penalty > 3000
    d = decide(MON, [HorizonInput("a", forecast(1.6, 0.35, sd=0.05), WEEKDAYS, insertion_cost_m=4000)])["a"]
    assert d.decision == MANDATORY and d.p_full_before_next_visit >= 0.8


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
    # 61 % full, no risk, not cheap: not needed, only a top-up worth a few hundred metres if a van passes by
    assert dear.decision == OPTIONAL and dear.penalty < 1000 and "a top-up only if a van passes by" in dear.reason
    assert "not needed today" in dear.reason


def test_horizon_length_matters() -> None:
    # 1.3 of 2 m³ at 0.08 m³/day: full in about 9 days -> not within 2 collection days, within 10
    pt = HorizonInput("a", forecast(1.3, 0.08), WEEKDAYS)
    short = decide(MON, [pt], horizon_days=2)["a"]
    long = decide(MON, [pt], horizon_days=10)["a"]
    assert short.p_full_within_horizon < 0.05 < 0.9 < long.p_full_within_horizon
    assert long.penalty > short.penalty


def test_detours_from_the_road_matrix_count_only_visits_that_happen_anyway() -> None:
    # sites: 0 depot, 1 a relay point due today, 2 its neighbour (600 m away), 3 a neighbour of 4, which is
    # merely optional: 3 is not cheap to add just because 4 might be visited.
    d = [
        [0, 8000, 8200, 9000, 9100],
        [8000, 0, 300, 5000, 5000],
        [8200, 300, 0, 5000, 5000],
        [9000, 5000, 5000, 0, 250],
        [9100, 5000, 5000, 250, 0],
    ]
    pts = [
        HorizonInput("due", forecast(1.9, 0.3), WEEKDAYS, site=1),
        HorizonInput("next", forecast(1.22, 0.02), WEEKDAYS, site=2, insertion_cost_m=99_999),
        HorizonInput("lone", forecast(1.22, 0.02), WEEKDAYS, site=3),
        HorizonInput("opt", forecast(1.5, 0.1), WEEKDAYS, site=4),
    ]
    out = decide(MON, pts, distances=d, anchor_sites=[0])
    assert out["due"].decision == MANDATORY
    assert out["next"].decision == OPTIONAL and "cheap to add today" in out["next"].reason
    assert "detour about 0.6 km" in out["next"].reason  # from the mandatory neighbour, not the given 100 km
    assert out["opt"].decision == OPTIONAL
    # 61 % full, no risk, 10 km from anything visited anyway: only a top-up, worth much less than its detour
    assert out["lone"].decision == OPTIONAL and out["lone"].penalty < 1000
    assert "detour about 10.0 km" in out["lone"].reason and "a top-up only if a van passes by" in out["lone"].reason


def test_a_safety_margin_raises_the_risk_of_what_the_forecast_does_not_know() -> None:
    """With ``safety_sd`` the rule judges each forecast with its fill rate raised by that many of its standard
    deviations: an uncertain relay point at moderate risk becomes mandatory, one whose rate is known (no
    uncertainty: the simulator's oracle) is decided as before; the fill shown stays the forecast's own."""
    unsure = FillForecast(capacity_m3=2.0, rate_m3_per_day=0.35, weekday_factors=(1.0,) * 7, sd=0.15,
                          as_of=dt.datetime(2026, 11, 29, 19), stock_m3=1.4, stock_sd=0.05, full=False,
                          dispersion_m3=0.02)
    sure = FillForecast(capacity_m3=2.0, rate_m3_per_day=0.35, weekday_factors=(1.0,) * 7, sd=0.0,
                        as_of=dt.datetime(2026, 11, 29, 19), stock_m3=1.4, stock_sd=0.0, full=False,
                        dispersion_m3=0.02)
    pts = [HorizonInput("unsure", unsure, WEEKDAYS, insertion_cost_m=4000),
           HorizonInput("sure", sure, WEEKDAYS, insertion_cost_m=4000)]
    plain, careful = decide(MON, pts), decide(MON, pts, safety_sd=1.0)
    assert plain["unsure"].decision == OPTIONAL and plain["unsure"].p_full_before_next_visit < 0.8
    assert careful["unsure"].decision == MANDATORY and careful["unsure"].p_full_before_next_visit >= 0.8
    assert careful["unsure"].fill_ratio == plain["unsure"].fill_ratio
    assert f"{round(100 * plain['unsure'].fill_ratio)} % full" in careful["unsure"].reason
    assert careful["sure"] == plain["sure"]
    assert unsure.cautious(1.0).rate_m3_per_day == pytest.approx(0.5) and unsure.cautious(1.0).stock_m3 == 1.4
    assert sure.cautious(1.0) is sure and unsure.cautious(0.0) is unsure


def test_the_safety_margin_is_a_setting_the_planner_passes_on() -> None:
    from dispatch.settings import Settings

    assert Settings(database_url="sqlite://").horizon_rule()["safety_sd"] == 0.75
    assert Settings(database_url="sqlite://", horizon_safety_sd=0.5).horizon_rule()["safety_sd"] == 0.5
