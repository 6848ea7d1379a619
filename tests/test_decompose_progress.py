"""A decomposed solve reports its progress and stops when asked (issue 23 item 4): the caller's ``progress``
sees the parts done out of the total; once it answers "stop", each sub-search stops at its next solution and the
repairs are skipped, so a cancelled job of a large region ends in seconds, not at its time limit."""

from __future__ import annotations

import dataclasses

import solver
from solver.decompose import solve_large
from tests.solver.test_decompose import _instance


def test_progress_is_reported_and_a_stop_is_obeyed():
    problem, coords = _instance(n=240, vans=12, seed=5)
    calls: list[dict] = []
    stop_at = 3

    def progress(info: dict) -> bool:
        calls.append(dict(info))
        return len(calls) >= stop_at

    # A time limit no test would wait for (the solution limit bounds it without the stop, so that the old code
    # fails instead of hanging).
    options = solver.SolveOptions(time_limit_s=3600, solution_limit=300, progress=progress)
    solution = solve_large(problem, options, coordinates=coords, cluster_size=40)
    assert {"parts_done", "parts_total", "solutions", "elapsed_s"} <= set(calls[0])
    assert len(calls) == stop_at  # nothing reported once stopped
    assert calls[-1]["parts_total"] >= 6  # 240 visits in clusters of about 40
    # every visit is accounted for, routed or left out (the stopped sub-searches kept their first solution)
    served = [v for r in solution.routes for v in r.visit_ids]
    left = [u.id for u in solution.unassigned]
    assert sorted(served + left) == sorted(v.id for v in problem.visits)

def test_without_a_stop_every_part_is_reported():
    problem, coords = _instance(n=120, vans=8, seed=6)
    seen: list[dict] = []
    options = solver.SolveOptions(time_limit_s=20, solution_limit=5, progress=lambda info: seen.append(info))
    solve_large(problem, dataclasses.replace(options), coordinates=coords, cluster_size=40, repair=False)
    done = [i["parts_done"] for i in seen]
    assert done == sorted(done) and done[-1] == seen[-1]["parts_total"] >= 3
