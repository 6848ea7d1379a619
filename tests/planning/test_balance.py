"""Fair work on request: the setting and the per-plan option turn on the solver's balancing of the crews'
working time; the plan reports each crew's working time and the spread (API, page, CLI summary)."""

from __future__ import annotations

import datetime as dt

from dispatch.demo import seed_demo
from dispatch.planning.day import build_day, plan_day
from dispatch.planning.views import format_summary, plan_view

DAY = dt.date(2026, 12, 1)


def test_balancing_is_off_by_default_and_on_by_setting_or_per_plan(session, settings, paris_network):
    seed_demo(DAY, session=session)
    assert build_day(DAY, settings, paris_network, session=session).problem.balance is None
    on = settings.model_copy(update={"balance_work_time": True, "balance_cost_per_s": 3})
    balance = build_day(DAY, on, paris_network, session=session).problem.balance
    assert balance is not None and balance.kind == "span" and balance.coefficient == 3


def test_a_balanced_plan_reports_working_times_and_the_spread(session, settings, paris_network):
    seed_demo(DAY, session=session)
    fast = settings.model_copy(update={"solve_solution_limit": 60})
    off = plan_view(plan_day(DAY, fast, paris_network, session=session, time_limit_s=5, seed=1, balance=False))
    on_plan = plan_day(DAY, fast, paris_network, session=session, time_limit_s=5, seed=1, balance=True)
    on = plan_view(on_plan)
    assert on_plan.balanced and not off.balanced
    for view in (off, on):
        times = [m for _, m in view.work_minutes]
        assert len(times) == len([r for r in view.rounds if r.visits]) >= 2
        assert view.spread_minutes == max(times) - min(times)
    # How much balancing narrows the spread, and what it costs in km, is measured by scripts/bench_balance.py.
    assert f"spread {on.spread_minutes} min (balanced)" in format_summary(on)

