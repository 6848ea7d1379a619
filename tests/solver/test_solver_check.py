"""The independent checker catches planted violations."""

from __future__ import annotations

import ast
import dataclasses
import os

import pytest
from solver_testlib import TWO_CLUSTERS, problem, solve_checked, tw, veh, vis

from solver import Break, Status, TimeWindow, Unassigned, Reason, check, recompute_cost

VISITS = [
    vis("1", 1, demand=(4,), service=5),
    vis("2", 2, demand=(4,), service=5),
    vis("3", 3, demand=(4,), service=5),
    vis("opt", 4, demand=(1,), penalty=10**6),
]


@pytest.fixture(scope="module")
def base():
    p = problem(TWO_CLUSTERS, [veh("v1", cap=(20,)), veh("v2", cap=(20,))], VISITS)
    s = solve_checked(p)
    assert s.status is Status.SOLVED and len(s.routes) >= 1
    return p, s


def _route0(s):
    return s.routes[0]


def _replace_route(s, i, **kw):
    routes = list(s.routes)
    routes[i] = dataclasses.replace(routes[i], **kw)
    return dataclasses.replace(s, routes=tuple(routes))


def _replace_step(s, ri, si, **kw):
    steps = list(s.routes[ri].steps)
    steps[si] = dataclasses.replace(steps[si], **kw)
    return _replace_route(s, ri, steps=tuple(steps))


def _visit_of(p, vid):
    return next(v for v in p.visits if v.id == vid)


def _with_visit(p, vid, **kw):
    visits = tuple(dataclasses.replace(v, **kw) if v.id == vid else v for v in p.visits)
    return dataclasses.replace(p, visits=visits)


def _with_vehicle(p, vid, **kw):
    vehicles = tuple(dataclasses.replace(v, **kw) if v.id == vid else v for v in p.vehicles)
    return dataclasses.replace(p, vehicles=vehicles)


def _has(errors, text, cause):
    """A violation of this ``cause`` whose detail says ``text``."""
    assert any(text in e.detail and e.cause == cause for e in errors), errors


def _first_visit_step(s):
    for ri, r in enumerate(s.routes):
        for si, st in enumerate(r.steps):
            if st.type == "visit" and st.id != "opt":  # a mandatory one, with service 5
                return ri, si, st
    raise AssertionError("no visit")


def test_recompute_cost_matches(base):
    p, s = base
    assert recompute_cost(p, s) == s.summary.cost


def test_checker_does_not_depend_on_ortools():
    src = open(os.path.join(os.path.dirname(__file__), "..", "..", "solver", "check.py")).read()
    imported = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not any("ortools" in m or m in ("model", "schedule", "explain") for m in imported), imported


def test_visit_served_twice(base):
    p, s = base
    ri, si, st = _first_visit_step(s)
    steps = list(s.routes[ri].steps)
    steps.insert(si + 1, st)
    _has(check(p, _replace_route(s, ri, steps=tuple(steps))), "served twice", "duplicate")


def test_unknown_visit(base):
    p, s = base
    ri, si, _ = _first_visit_step(s)
    _has(check(p, _replace_step(s, ri, si, id="ghost")), "unknown visit", "unknown")


def test_mandatory_missing_not_reported(base):
    p, s = base
    ri, si, st = _first_visit_step(s)
    steps = list(s.routes[ri].steps)
    del steps[si]
    errors = check(p, _replace_route(s, ri, steps=tuple(steps)))
    _has(errors, f"mandatory visit {st.id!r} is neither served nor listed unassigned", "missing")


def test_assigned_also_unassigned(base):
    p, s = base
    _, _, st = _first_visit_step(s)
    bad = dataclasses.replace(s, unassigned=(Unassigned(st.id, Reason.COST, "x"),))
    _has(check(p, bad), "both served", "duplicate")


def test_capacity_exceeded(base):
    p, s = base
    tight = dataclasses.replace(p, vehicles=tuple(dataclasses.replace(v, capacity=(3,)) for v in p.vehicles))
    _has(check(tight, s), "exceeds capacity", "capacity")


def test_arrival_outside_every_window(base):
    p, s = base
    _, _, st = _first_visit_step(s)
    begin = st.arrival + st.waiting_time
    bad = _with_visit(p, st.id, windows=tw((begin + 100, begin + 200), (begin + 300, begin + 400)))
    _has(check(bad, s), "outside every window", "time_window")


def test_violations_name_the_vehicle_and_the_visit(base):
    p, s = base
    ri, _, st = _first_visit_step(s)
    begin = st.arrival + st.waiting_time
    bad = _with_visit(p, st.id, windows=tw((begin + 100, begin + 200)))
    (violation,) = check(bad, s)
    assert (violation.cause, violation.vehicle, violation.visit) == ("time_window", s.routes[ri].vehicle, st.id)
    assert str(violation) == violation.detail
    assert violation.detail.startswith(f"route of {s.routes[ri].vehicle!r} step ")
    assert f"service starts at {begin}, outside every window [{begin + 100}, {begin + 200}]" in violation.detail
    # a route-level violation names the vehicle only, a bookkeeping one the visit only
    (late,) = check(_with_vehicle(p, s.routes[ri].vehicle, max_work_time=s.routes[ri].duration - 1), s)
    assert (late.cause, late.vehicle, late.visit) == ("max_work_time", s.routes[ri].vehicle, None)
    unlisted = dataclasses.replace(s, unassigned=s.unassigned + (Unassigned(st.id, Reason.COST, "x"),))
    causes = {(e.cause, e.vehicle, e.visit) for e in check(p, unlisted)}
    assert ("duplicate", s.routes[ri].vehicle, st.id) in causes


def test_every_cause_is_documented():
    import importlib

    checker = importlib.import_module("solver.check")  # (``solver.check`` is the function)
    source = open(checker.__file__).read()
    used = {node.args[0].value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "err"}
    assert used == set(checker.CAUSES)


def test_arrival_too_early(base):
    p, s = base
    ri, si, st = _first_visit_step(s)
    _has(check(p, _replace_step(s, ri, si, arrival=st.arrival - 3, waiting_time=st.waiting_time + 3)), "cannot arrive before", "timing")


def test_shift_end_and_start(base):
    p, s = base
    r = _route0(s)
    end = r.steps[-1].arrival
    bad = _with_vehicle(p, r.vehicle, shift=TimeWindow(0, end - 1))
    _has(check(bad, s), "after the shift end", "shift_end")
    bad = _with_vehicle(p, r.vehicle, shift=TimeWindow(r.steps[0].arrival + 1, 10_000))
    _has(check(bad, s), "before the shift start", "shift_start")


def test_max_work_time(base):
    p, s = base
    r = _route0(s)
    _has(check(_with_vehicle(p, r.vehicle, max_work_time=r.duration - 1), s), "max_work_time", "max_work_time")


def test_break_missing_out_of_window_and_overlapping(base):
    p, s = base
    r = _route0(s)
    with_break = _with_vehicle(p, r.vehicle, breaks=(Break("lunch", TimeWindow(0, 10_000), 5),))
    _has(check(with_break, s), "break 'lunch' is not taken", "break")

    # plant a break step inside the first service: overlaps it
    ri, si, st = _first_visit_step(s)
    steps = list(s.routes[ri].steps)
    brk = dataclasses.replace(st, type="break", id="lunch", location=None, arrival=st.arrival + st.waiting_time + 1, waiting_time=0, service=5)
    steps.insert(si + 1, brk)
    bad_s = _replace_route(s, ri, steps=tuple(steps))
    p2 = _with_vehicle(p, s.routes[ri].vehicle, breaks=(Break("lunch", TimeWindow(0, 10_000), 5),))
    _has(check(p2, bad_s), "before the previous step ends", "break")
    p3 = _with_vehicle(p, s.routes[ri].vehicle, breaks=(Break("lunch", TimeWindow(5000, 6000), 5),))
    _has(check(p3, bad_s), "outside its window", "break")


def test_skill_mismatch(base):
    p, s = base
    _, _, st = _first_visit_step(s)
    _has(check(_with_visit(p, st.id, skills=frozenset({"crane"})), s), "needs skills", "skill")


def test_lock_violated(base):
    p, s = base
    ri, _, st = _first_visit_step(s)
    other = next(v.id for v in p.vehicles if v.id != s.routes[ri].vehicle)
    _has(check(_with_visit(p, st.id, vehicle=other), s), "locked to vehicle", "vehicle_lock")


def test_locked_sequence_order(base):
    p, s = base
    r = next(r for r in s.routes if len(r.visit_ids) >= 2)
    a, b = r.visit_ids[:2]
    bad = dataclasses.replace(p, locked_sequences=((r.vehicle, (b, a)),))
    _has(check(bad, s), "comes before", "precedence")
    other = next(v.id for v in p.vehicles if v.id != r.vehicle)
    bad = dataclasses.replace(p, locked_sequences=((other, (a,)),))
    _has(check(bad, s), "is served by", "precedence")


def test_route_stats_inconsistent(base):
    p, s = base
    r = _route0(s)
    _has(check(p, _replace_route(s, 0, distance=r.distance + 1)), "distance", "inconsistent")
    _has(check(p, _replace_route(s, 0, duration=r.duration + 1)), "duration", "inconsistent")
    _has(check(p, _replace_route(s, 0, load=(999,))), "load", "inconsistent")
    _has(check(p, _replace_route(s, 0, cost=r.cost + 1)), "cost", "inconsistent")
    _has(check(p, _replace_step(s, 0, 1, load=(999,))), "should be", "inconsistent")
    _has(check(p, _replace_step(s, 0, 1, distance=0)), "cumulative distance", "inconsistent")


def test_summary_cost_wrong(base):
    p, s = base
    bad = dataclasses.replace(s, summary=dataclasses.replace(s.summary, cost=s.summary.cost + 1))
    _has(check(p, bad), "summary cost", "summary")


def test_penalty_counted_in_recomputed_cost(base):
    p, s = base
    # drop the optional visit from its route and report it: cost must include its penalty
    ri = next(i for i, r in enumerate(s.routes) if "opt" in r.visit_ids)
    steps = [st for st in s.routes[ri].steps if st.id != "opt"]
    bad = _replace_route(s, ri, steps=tuple(steps))
    bad = dataclasses.replace(bad, unassigned=(Unassigned("opt", Reason.COST, "x"),))
    assert recompute_cost(p, bad) >= 10**6


def test_status_solved_with_mandatory_unassigned(base):
    p, s = base
    ri, si, st = _first_visit_step(s)
    steps = list(s.routes[ri].steps)
    del steps[si]
    bad = _replace_route(s, ri, steps=tuple(steps))
    bad = dataclasses.replace(bad, unassigned=(Unassigned(st.id, Reason.COST, "x"),))
    _has(check(p, bad), "mandatory visits are not served", "status")
