"""Reasons for unassigned visits, and infeasible problems (never an exception)."""

from __future__ import annotations

from solver_testlib import TWO_CLUSTERS, problem, served, solve_checked, unassigned_reasons, veh, vis

from solver import UNREACHABLE, Reason, Status

D3 = [[0, 10, 10], [10, 0, 5], [10, 5, 0]]


def _one(p):
    s = solve_checked(p)
    return s, {u.id: u for u in s.unassigned}


def test_skill_reason():
    visits = [vis("ok", 1), vis("crane", 2, skills=frozenset({"crane"}), penalty=10)]
    s, un = _one(problem(D3, [veh("v1", skills=frozenset({"tail-lift"}))], visits))
    assert s.status is Status.SOLVED
    assert un["crane"].reason is Reason.SKILL
    assert "crane" in un["crane"].detail
    assert served(s) == {"ok"}


def test_skill_reason_for_lock_to_vehicle_lacking_skill():
    visits = [vis("x", 1, skills=frozenset({"crane"}), vehicle="v1", penalty=10)]
    vehicles = [veh("v1"), veh("v2", skills=frozenset({"crane"}))]
    s, un = _one(problem(D3, vehicles, visits))
    assert un["x"].reason is Reason.SKILL
    assert "locked to vehicle 'v1'" in un["x"].detail


def test_capacity_reason_names_numbers():
    visits = [vis("big", 1, demand=(25000,), penalty=10), vis("small", 2, demand=(100,))]
    vehicles = [veh("v1", cap=(20000,)), veh("v2", cap=(15000,))]
    s, un = _one(problem(D3, vehicles, visits))
    assert un["big"].reason is Reason.CAPACITY
    assert un["big"].detail == "demand 25000 exceeds the largest eligible capacity 20000"


def test_capacity_only_counts_eligible_vehicles():
    # The big van lacks the skill, so the eligible capacity is the small one's.
    visits = [vis("x", 1, demand=(50,), skills=frozenset({"s"}), penalty=10)]
    vehicles = [veh("big", cap=(100,)), veh("small", cap=(20,), skills=frozenset({"s"}))]
    s, un = _one(problem(D3, vehicles, visits))
    assert un["x"].reason is Reason.CAPACITY
    assert "20" in un["x"].detail


def test_unreachable_reason():
    U = UNREACHABLE
    d = [[0, 10, U], [10, 0, U], [U, U, 0]]
    s, un = _one(problem(d, [veh("v1")], [vis("a", 1), vis("island", 2, penalty=10)]))
    assert un["island"].reason is Reason.UNREACHABLE
    assert served(s) == {"a"}


def test_unreachable_arc_between_visits_is_never_used():
    # 1 -> 2 is unreachable (one-way street data), 2 -> 1 is fine: the route must be 0-2-1-0.
    U = UNREACHABLE
    d = [[0, 10, 10], [10, 0, U], [10, 5, 0]]
    dist = [[0, 1000, 1000], [1000, 0, U], [1000, 500, 0]]
    s = solve_checked(problem(d, [veh("v1")], [vis("1", 1), vis("2", 2)], distances=dist))
    assert s.routes[0].visit_ids == ("2", "1")


def test_time_window_reason():
    visits = [vis("early", 1, windows=[(0, 5)], penalty=10)]
    s, un = _one(problem(D3, [veh("v1")], visits))
    assert un["early"].reason is Reason.TIME_WINDOW
    assert "10" in un["early"].detail and "5" in un["early"].detail


def test_shift_reason_shift_end():
    visits = [vis("a", 1, service=10, penalty=10)]
    s, un = _one(problem(D3, [veh("v1", shift=(0, 25))], visits))
    assert un["a"].reason is Reason.SHIFT
    assert "30" in un["a"].detail and "25" in un["a"].detail


def test_shift_reason_max_work_time():
    visits = [vis("a", 1, service=10, windows=[(500, 600)], penalty=10)]
    s, un = _one(problem(D3, [veh("v1", max_work_time=25)], visits))
    assert un["a"].reason is Reason.SHIFT
    assert "max work time 25" in un["a"].detail


def test_cost_reason():
    dist = [[0, 1000, 100_000], [1000, 0, 100_000], [100_000, 100_000, 0]]
    s, un = _one(problem(D3, [veh("v1")], [vis("a", 1), vis("far", 2, penalty=5)], distances=dist))
    assert un["far"].reason is Reason.COST
    assert "penalty 5" in un["far"].detail


def test_reason_order_skill_before_capacity():
    visits = [vis("x", 1, demand=(1000,), skills=frozenset({"crane"}), penalty=1)]
    s, un = _one(problem(D3, [veh("v1", cap=(10,))], visits))
    assert un["x"].reason is Reason.SKILL


def test_mandatory_visit_failing_alone_gives_infeasible_with_routes():
    visits = [vis("ok", 1), vis("big", 2, demand=(500,))]
    s = solve_checked(problem(D3, [veh("v1", cap=(100,))], visits))
    assert s.status is Status.INFEASIBLE
    assert unassigned_reasons(s) == {"big": "capacity"}
    assert "'big'" in s.explanation and "capacity" in s.explanation
    assert served(s) == {"ok"}  # the rest is still planned


def test_mandatory_visits_clashing_together():
    # Each fits alone; together they exceed the only van: re-solve drops one, reason COST.
    visits = [vis("a", 1, demand=(6,)), vis("b", 2, demand=(6,))]
    s = solve_checked(problem(D3, [veh("v1", cap=(10,))], visits))
    assert s.status is Status.INFEASIBLE
    assert len(s.unassigned) == 1
    u = s.unassigned[0]
    assert u.reason is Reason.COST
    assert "rest of the plan" in u.detail
    assert repr(u.id) in s.explanation
    assert len(served(s)) == 1


def test_mandatory_time_clash():
    # Both must be served at exactly t=10 by the only van.
    visits = [vis("a", 1, windows=[(10, 10)]), vis("b", 2, windows=[(10, 10)])]
    s = solve_checked(problem(D3, [veh("v1")], visits))
    assert s.status is Status.INFEASIBLE
    assert len(s.unassigned) == 1 and s.unassigned[0].reason is Reason.COST


def test_all_reasons_together():
    U = UNREACHABLE
    d = [
        [0, 10, 10, 10, U, 10, 10],
        [10, 0, 5, 5, U, 5, 5],
        [10, 5, 0, 5, U, 5, 5],
        [10, 5, 5, 0, U, 5, 5],
        [U, U, U, U, 0, U, U],
        [10, 5, 5, 5, U, 0, 5],
        [10, 5, 5, 5, U, 5, 0],
    ]
    dist = [[x if x >= U else x * 100 for x in row] for row in d]
    dist[0][6] = dist[6][0] = 10**6
    visits = [
        vis("served", 1),
        vis("skill", 2, skills=frozenset({"crane"}), penalty=1),
        vis("capacity", 3, demand=(99,), penalty=1),
        vis("unreachable", 4, penalty=1),
        vis("window", 5, windows=[(0, 3)], penalty=1),
        vis("cost", 6, penalty=1),
    ]
    s = solve_checked(problem(d, [veh("v1", cap=(10,))], visits, distances=dist))
    assert s.status is Status.SOLVED
    assert unassigned_reasons(s) == {
        "skill": "skill",
        "capacity": "capacity",
        "unreachable": "unreachable",
        "window": "time_window",
        "cost": "cost",
    }
    assert all(u.detail for u in s.unassigned)


def test_every_mandatory_impossible_no_exception():
    visits = [vis("a", 1, demand=(500,)), vis("b", 2, skills=frozenset({"x"}))]
    s = solve_checked(problem(TWO_CLUSTERS, [veh("v1", cap=(10,))], visits))
    assert s.status is Status.INFEASIBLE
    assert s.routes == ()
    assert unassigned_reasons(s) == {"a": "capacity", "b": "skill"}
