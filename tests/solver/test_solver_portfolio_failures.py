"""A portfolio search that dies is said, not dropped silently (issue 23 item 4): logged with its exit status and
last error line, and the solution says it ran on fewer parallel searches than asked."""

from __future__ import annotations

import logging

from solver import SolveOptions, solve
from tests.solver.solver_testlib import problem, veh, vis

DURATIONS = [[0, 100, 200, 300], [100, 0, 100, 200], [200, 100, 0, 100], [300, 200, 100, 0]]


def _small():
    return problem(DURATIONS, [veh("v1")], [vis("a", 1), vis("b", 2), vis("c", 3)])


def test_a_child_search_that_dies_is_logged_and_counted(monkeypatch, caplog):
    import solver.portfolio as portfolio

    # The child's own command, made to die as a crashed search would (status 7, an error on stderr).
    monkeypatch.setattr(portfolio, "_CHILD", "import sys; sys.stderr.write('MemoryError: out of memory\\n'); "
                                             "sys.exit(7)")
    with caplog.at_level(logging.WARNING, logger="solver.portfolio"):
        s = solve(_small(), SolveOptions(time_limit_s=1.0, workers=2))
    assert s.summary.routes == 1 and s.summary.unassigned == 0  # the plan still comes from the other search
    assert s.summary.workers == 1
    [failure] = s.summary.worker_failures
    assert "exited with status 7" in failure and "MemoryError: out of memory" in failure
    assert any("exited with status 7" in r.getMessage() for r in caplog.records)


def test_healthy_children_are_counted():
    s = solve(_small(), SolveOptions(time_limit_s=1.0, workers=2))
    assert (s.summary.workers, s.summary.worker_failures) == (2, ())


def test_the_plan_says_it_ran_on_fewer_searches():
    from solver import Solution, Status, Summary

    from dispatch.planning.plans import _explanation

    summary = Summary(cost=0, routes=0, unassigned=0, distance=0, duration=0, service=0, waiting_time=0, load=(0,),
                      solve_seconds=0.1, workers=1, worker_failures=("search 1 exited with status 7 (MemoryError)",))
    text = _explanation(Solution(Status.SOLVED, summary, (), ()))
    assert text == "the search ran on 1 of 2 parallel searches: search 1 exited with status 7 (MemoryError)"
