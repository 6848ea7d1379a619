"""Mid-day re-planning (a van that starts loaded, somewhere, later) and fair-work balancing.

Every solve goes through ``check()`` (``solve_checked``), which recomputes loads from
``Vehicle.start_load`` and the balance term from the steps; each test would fail if the feature
were dropped from the model.
"""

from __future__ import annotations

import dataclasses

import pytest
from solver_testlib import OPTS, TWO_CLUSTERS, problem, routes_by_vehicle, solve_checked, unassigned_reasons, veh, vis

from solver import Balance, ProblemError, Status, balance_cost, check, solve, work_time, work_time_spread

FOUR_SMALL = [vis(str(i), i, demand=(2,)) for i in range(1, 5)]


# --- start load ----------------------------------------------------------------------------------


def test_start_load_limits_what_a_van_can_still_take():
    # v1 is cheap and would do all four visits (load 8 <= 10); already carrying 7 it can add one.
    vehicles = [veh("v1", cap=(10,)), veh("v2", cap=(10,), fixed_cost=5000)]
    empty = solve_checked(problem(TWO_CLUSTERS, vehicles, FOUR_SMALL))
    assert routes_by_vehicle(empty).keys() == {"v1"} and len(empty.routes[0].visit_ids) == 4

    loaded = [dataclasses.replace(vehicles[0], start_load=(7,)), vehicles[1]]
    s = solve_checked(problem(TWO_CLUSTERS, loaded, FOUR_SMALL))
    assert s.status is Status.SOLVED
    by = {r.vehicle: r for r in s.routes}
    assert len(by["v2"].visit_ids) >= 3
    if "v1" in by:
        assert by["v1"].steps[0].load == (7,)
        assert max(st.load[0] for st in by["v1"].steps) <= 10
        assert by["v1"].load == (2 * len(by["v1"].visit_ids),)  # Route.load = collected today


def test_check_rejects_a_route_that_ignores_the_start_load():
    vehicles = [veh("v1", cap=(10,))]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, FOUR_SMALL))  # load 8 at the end
    loaded = problem(TWO_CLUSTERS, [dataclasses.replace(vehicles[0], start_load=(7,))], FOUR_SMALL)
    errors = check(loaded, s)
    assert any("start load (7,)" in e.detail and e.cause == "inconsistent" for e in errors)
    assert any("exceeds capacity" in e.detail and e.cause == "capacity" and e.vehicle == "v1" for e in errors)


def test_start_load_leaves_a_visit_out_for_capacity_with_a_reason():
    p = problem(
        TWO_CLUSTERS,
        [veh("v1", cap=(10,), start_load=(8,))],
        [vis("small", 1, demand=(2,)), vis("big", 3, demand=(3,))],
    )
    s = solve_checked(p)
    assert s.status is Status.INFEASIBLE
    assert unassigned_reasons(s) == {"big": "capacity"}
    detail = s.unassigned[0].detail
    assert "already carrying (8,)" in detail and "(2,) free" in detail
    assert routes_by_vehicle(s) == {"v1": ("small",)}
    assert s.routes[0].steps[-1].load == (10,)


def test_a_loaded_van_unloads_first_when_it_can():
    # Mid-day: v1 is at location 3 at 12:00 with a full van (10/10); it may unload at location 4
    # (5 s away, but a detour: 3 -> 4 -> 1 is 30 s, 3 -> 1 is 25 s), which an empty van never does.
    v1 = veh("v1", cap=(10,), shift=(43_200, 50_000), start=3, end=0, start_load=(10,),
             reload_location=4, reload_service=60)
    visits = [vis("a", 1, demand=(5,)), vis("b", 2, demand=(5,))]
    s = solve_checked(problem(TWO_CLUSTERS, [v1], visits))
    assert s.status is Status.SOLVED
    steps = s.routes[0].steps
    assert [st.type for st in steps][:2] == ["start", "reload"]
    assert steps[0].location == 3 and steps[0].arrival >= 43_200 and steps[0].load == (10,)
    assert steps[1].location == 4 and steps[1].load == (0,)
    assert steps[-1].load == (10,) and s.routes[0].load == (10,)
    empty = solve_checked(problem(TWO_CLUSTERS, [dataclasses.replace(v1, start_load=())], visits))
    assert [st.type for st in empty.routes[0].steps] == ["start", "visit", "visit", "end"]


def test_a_loaded_van_that_cannot_unload_gets_no_more_visits():
    v1 = veh("v1", cap=(10,), start=3, start_load=(10,))
    s = solve_checked(problem(TWO_CLUSTERS, [v1], [vis("a", 1, demand=(1,), penalty=100)]))
    assert s.status is Status.SOLVED  # optional: left out, not infeasible
    assert unassigned_reasons(s) == {"a": "capacity"}
    assert s.routes == ()


def test_start_load_second_dimension():
    visits = [vis(str(i), i, demand=(1, 3)) for i in range(1, 5)]
    vehicles = [veh("v1", cap=(100, 12), start_load=(0, 6)), veh("v2", cap=(100, 12), fixed_cost=5000)]
    s = solve_checked(problem(TWO_CLUSTERS, vehicles, visits))
    by = {r.vehicle: r for r in s.routes}
    assert len(by["v1"].visit_ids) == 2  # 6 + 2 x 3 = 12
    assert by["v1"].steps[-1].load == (2, 12)


@pytest.mark.parametrize(
    ("start_load", "message"),
    [((1, 2), "2 dimensions"), ((11,), "exceeds the capacity"), ((-1,), "non-negative")],
)
def test_start_load_is_validated(start_load, message):
    p = problem(TWO_CLUSTERS, [veh("v1", cap=(10,), start_load=start_load)], FOUR_SMALL)
    with pytest.raises(ProblemError, match=message):
        p.validate()


# --- fair work -----------------------------------------------------------------------------------

# Four visits on a line away from the depot (10, 20, 30, 40 s out), 100 s of service each: one van
# doing the whole line (80 s driving) is the cheapest plan by far; splitting it costs 40 s more.
LINE = tuple(tuple(abs(a - b) * 10 for b in range(5)) for a in range(5))
LINE_VISITS = [vis(str(i), i, service=100) for i in range(1, 5)]
TWO_VANS = [veh("v1"), veh("v2")]


def _line(balance=None):
    return problem(LINE, TWO_VANS, LINE_VISITS, balance=balance)


def test_without_balancing_one_van_does_everything():
    s = solve_checked(_line())
    assert len(s.routes) == 1
    assert work_time_spread(s, ["v1", "v2"]) >= 400
    assert s.summary.balance_cost == 0


@pytest.mark.parametrize(
    "balance", [Balance("span", coefficient=100), Balance("soft_max", coefficient=100, soft_max_work_time=300)]
)
def test_balancing_spreads_the_working_time(balance):
    p = _line(balance)
    s = solve_checked(p)  # check() recomputes the balance term and the cost including it
    assert len(s.routes) == 2
    assert work_time_spread(s, ["v1", "v2"]) <= 100
    assert s.summary.balance_cost == balance_cost(p, s.routes)
    if balance.kind == "soft_max":
        assert all(work_time(r) <= 300 for r in s.routes) and s.summary.balance_cost == 0
    else:
        assert s.summary.balance_cost == 100 * max(work_time(r) for r in s.routes)
    assert s.summary.cost == sum(r.cost for r in s.routes) + s.summary.balance_cost


def test_balance_cost_is_checked():
    p = _line(Balance("span", coefficient=100))
    s = solve_checked(p)
    bad = dataclasses.replace(s, summary=dataclasses.replace(s.summary, balance_cost=0))
    assert any("balance cost" in e.detail and e.cause == "summary" for e in check(p, bad))
    # the same routes judged against the unbalanced problem: the cost no longer adds up
    assert any("summary cost" in e.detail and e.cause == "summary" for e in check(_line(), s))


@pytest.mark.parametrize(
    ("balance", "message"),
    [
        (Balance("fair", 1), "balance.kind"),
        (Balance("span", -1), "balance.coefficient"),
        (Balance("soft_max", 1), "soft_max_work_time"),
    ],
)
def test_balance_is_validated(balance, message):
    with pytest.raises(ProblemError, match=message):
        _line(balance).validate()


def test_balance_with_a_time_limit_search():
    # The normal (time-limited, ruin-and-recreate) search honours the term too.
    p = _line(Balance("soft_max", coefficient=100, soft_max_work_time=300))
    s = solve(p, dataclasses.replace(OPTS, solution_limit=None, time_limit_s=1.0))
    assert check(p, s) == []
    assert work_time_spread(s, ["v1", "v2"]) <= 100
