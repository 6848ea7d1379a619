"""Malformed problems raise ProblemError (from validate() and from solve())."""

from __future__ import annotations

import dataclasses

import pytest
from solver_testlib import TWO_CLUSTERS, problem, tw, veh, vis

from solver import ProblemError, TimeWindow, solve

GOOD = problem(TWO_CLUSTERS, [veh("v1"), veh("v2")], [vis("a", 1), vis("b", 2)])


def test_good_problem_validates():
    GOOD.validate()


def _bad(**kw):
    return dataclasses.replace(GOOD, **kw)


CASES = {
    "empty matrix": dict(durations=(), distances=()),
    "distances rows": dict(distances=GOOD.distances[:-1]),
    "ragged": dict(durations=GOOD.durations[:-1] + ((0, 1),)),
    "negative": dict(durations=((0, -1, 1, 1, 1),) + GOOD.durations[1:]),
    "float": dict(distances=((0, 1.5, 1, 1, 1),) + GOOD.distances[1:]),
    "no vehicles": dict(vehicles=()),
    "duplicate vehicle": dict(vehicles=(veh("v1"), veh("v1"))),
    "vehicle start outside": dict(vehicles=(veh("v1", start=9),)),
    "capacity dims": dict(vehicles=(veh("v1"), veh("v2", cap=(1, 2)))),
    "negative capacity": dict(vehicles=(veh("v1", cap=(-1,)),)),
    "shift reversed": dict(vehicles=(veh("v1", shift=(100, 10)),)),
    "max work time": dict(vehicles=(veh("v1", max_work_time=0),)),
    "negative cost": dict(vehicles=(veh("v1", cost_per_km=-1),)),
    "break window": dict(vehicles=(veh("v1", breaks=[("b", 50, 10, 5)]),)),
    "duplicate visit": dict(visits=(vis("a", 1), vis("a", 2))),
    "visit location": dict(visits=(vis("a", 7),)),
    "demand dims": dict(visits=(vis("a", 1, demand=(1, 1)),)),
    "negative demand": dict(visits=(vis("a", 1, demand=(-1,)),)),
    "negative service": dict(visits=(vis("a", 1, service=-5),)),
    "window reversed": dict(visits=(vis("a", 1, windows=[(10, 5)]),)),
    "windows unsorted": dict(visits=(vis("a", 1, windows=[(50, 60), (10, 20)]),)),
    "windows overlap": dict(visits=(vis("a", 1, windows=[(10, 50), (40, 60)]),)),
    "negative penalty": dict(visits=(vis("a", 1, penalty=-1),)),
    "lock unknown vehicle": dict(visits=(vis("a", 1, vehicle="v9"),)),
    "sequence unknown vehicle": dict(locked_sequences=(("v9", ("a",)),)),
    "sequence unknown visit": dict(locked_sequences=(("v1", ("zz",)),)),
    "sequence repeats visit": dict(locked_sequences=(("v1", ("a", "b")), ("v2", ("a",)))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed(name):
    bad = _bad(**CASES[name])
    with pytest.raises(ProblemError):
        bad.validate()
    with pytest.raises(ProblemError):
        solve(bad)


def test_error_message_names_the_field():
    with pytest.raises(ProblemError, match="visit 'a'.*window"):
        _bad(visits=(vis("a", 1, windows=[(10, 5)]),)).validate()
    assert tw((1, 2)) == (TimeWindow(1, 2),)


def test_unknown_first_solution_strategy():
    from solver import SolveOptions

    with pytest.raises(ProblemError, match="first_solution"):
        solve(GOOD, SolveOptions(time_limit_s=1, first_solution="NO_SUCH_STRATEGY"))
