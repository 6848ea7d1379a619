"""Large instances (1,000 to 5,000+ visits) by decomposition: split, solve the parts in parallel, repair.

``solve_large(problem, options, *, coordinates=None, cluster_size=150, workers=1)`` returns an ordinary
:class:`Solution` over ``problem`` (``check(problem, solution)`` accepts it). ``solve_decomposed`` does
the same without a full matrix: the caller gives ``matrix(locations) -> (durations, distances)``, the
square sub-matrices of any list of location indices (``dispatch.roads.subsets.matrix_provider``
computes them on the road graph), and the sites' ``coordinates`` -- so 5,000 visits never need a
5,000 x 5,000 matrix (as tuples of Python ints that would be about 0.9 GB per matrix).

0. Up to ``cluster_size`` visits: one ordinary solve (nothing to decompose).
1. **By depot.** Vehicles are grouped by start location; each visit goes to the depot group with
   the shortest round trip to it (by the coordinates when there is no full matrix; a visit locked to
   a vehicle goes with that vehicle).
2. **Clusters.** In each group, ``k = ceil(n / cluster_size)`` clusters (at most one per vehicle):
   with ``coordinates`` ((lat, lon) in degrees per location; planar (y, x) works too), angular
   sectors around the depot, cut at the widest empty angle, with equal numbers of visits (routes
   radiate from the depot, so a sector holds whole routes); without them, k-medoids on the
   symmetric road distance. The group's vehicles are shared out by each cluster's estimated work
   (service + nearest-neighbour travel + a trip to the depot), at least one each.
3. **Solve** every cluster as an ordinary ``solver.solve`` sub-problem (``workers`` child processes
   at a time, started like ``portfolio.py``'s; ``workers=1``: one after the other in this process). 60 % of the time
   limit, split over the waves of ``workers`` clusters.
4. **Repair across borders.** Neighbouring clusters (adjacent sectors or medoid clusters of a depot,
   and, with coordinates, the closest clusters of neighbouring depots) are re-solved together, their two vehicle sets and all their visits (unassigned ones too): even pairs
   first, then odd pairs, each round in parallel, each pair's search starting from its clusters'
   current routes (``SolveOptions.initial_routes``); a pair's new plan is kept only if it serves more
   mandatory visits or costs less. The rest of the time limit goes there.

With a ``solution_limit`` every sub-solve is the deterministic single search, and results are
combined in cluster order, so the whole is deterministic for the same input (whatever ``workers``).
Unassigned reasons come from the sub-problem where the visit ended (its cluster's vehicles).
Files: this one runs the phases; ``decompose_clusters.py`` (depot groups, clusters, neighbours),
``decompose_workers.py`` (sub-problems, child processes), ``decompose_merge.py`` (scores, the merged
``Solution``). Not routed automatically from ``solver.solve``: callers choose (``dispatch/planning/scale.py`` uses it above
1,000 visits). Pure: standard library and OR-Tools only.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time as _time
from collections.abc import Callable, Sequence
from typing import Any

from .decompose_clusters import Cluster, build_clusters, neighbour_pairs
from .decompose_merge import assemble, give_back, globalise, missing, score, warm_start
from .decompose_workers import Matrix, run_all, solve_one, sub_problem
from .problem import Problem, Vehicle, Visit
from .result import Solution, SolveOptions

# ----------------------------------------------------------------------------------------------
# entry points
# ----------------------------------------------------------------------------------------------


def solve_large(
    problem: Problem,
    options: SolveOptions = SolveOptions(),
    *,
    coordinates: Sequence[tuple[float, float]] | None = None,
    cluster_size: int = 150,
    workers: int = 1,
    repair: bool = True,
) -> Solution:
    """Decompose ``problem`` (full matrices given) and solve it; see the module docstring."""
    problem.validate()
    dur, dist = problem.durations, problem.distances

    def matrix(locs: Sequence[int]) -> tuple[list[list[int]], list[list[int]]]:
        return [[dur[a][b] for b in locs] for a in locs], [[dist[a][b] for b in locs] for a in locs]

    return solve_decomposed(
        problem.vehicles,
        problem.visits,
        matrix,
        options,
        coordinates=coordinates,
        cluster_size=cluster_size,
        workers=workers,
        repair=repair,
        template=problem,
    )


def solve_decomposed(
    vehicles: Sequence[Vehicle],
    visits: Sequence[Visit],
    matrix: Matrix,
    options: SolveOptions = SolveOptions(),
    *,
    coordinates: Sequence[tuple[float, float]] | None = None,
    cluster_size: int = 150,
    workers: int = 1,
    repair: bool = True,
    template: Problem | None = None,
) -> Solution:
    """Like :func:`solve_large` without a full matrix: ``matrix(locs)`` gives square sub-matrices.

    Without ``template`` (a Problem holding the full matrices) ``coordinates`` are required."""
    t0 = _time.monotonic()
    if template is None and coordinates is None:
        raise ValueError("coordinates: needed when no full matrix (template) is given")
    deadline = t0 + options.time_limit_s
    workers = max(1, int(workers or 1))
    watch = _Watch(options.progress, t0)
    # In this process the sub-searches report to the caller's progress (which may stop them); child processes
    # cannot call it: they are watched between their batches.
    sub_options = dataclasses.replace(options, progress=watch.sub if workers == 1 else None, workers=1)
    d = _Decomposition(tuple(vehicles), tuple(visits), matrix, template, sub_options, workers, watch)

    if len(d.visits) <= cluster_size:  # small enough: one ordinary solve
        return _solve_whole(d, t0)
    clusters = build_clusters(d.vehicles, d.visits, template, coordinates, max(2, int(cluster_size)))
    pairs = neighbour_pairs(clusters, d.visits, coordinates) if repair else []
    watch.total = len(clusters)
    _solve_clusters(d, clusters, t0 + (0.6 if pairs else 0.95) * options.time_limit_s)
    if watch.stopped:
        return assemble(d.vehicles, d.visits, clusters, template, t0)  # stopped by the caller: no repairs
    if pairs:
        _repair_borders(d, clusters, pairs, deadline)
    return assemble(d.vehicles, d.visits, clusters, template, t0)


class _Watch:
    """The caller's ``progress`` over a decomposed solve: parts (clusters, then repaired pairs) done out of
    the total, improving solutions of the sub-searches; a truthy answer stops it (each running sub-search stops
    at its next solution, the next ones at their first, repairs are skipped)."""

    def __init__(self, progress: Callable[[dict[str, Any]], object] | None, t0: float) -> None:
        self.progress, self.t0 = progress, t0
        self.total = 1
        self.done = 0
        self.solutions = 0
        self.stopped = False
        self._lock = threading.Lock()

    def _report(self) -> bool:
        if self.progress is not None and not self.stopped:
            info = {
                "best_cost": None,
                "cost": None,
                "solutions": self.solutions,
                "parts_done": self.done,
                "parts_total": self.total,
                "elapsed_s": round(_time.monotonic() - self.t0, 2),
            }
            if self.progress(info):
                self.stopped = True
        return self.stopped

    def sub(self, _info: dict[str, Any]) -> bool:
        """A sub-search's improving solution (same thread): True stops that search."""
        with self._lock:
            self.solutions += 1
            return self._report()

    def part_done(self) -> None:
        with self._lock:
            self.done += 1
            self._report()


@dataclasses.dataclass
class _Decomposition:
    """What every phase of one decomposed solve works with."""

    vehicles: tuple[Vehicle, ...]
    visits: tuple[Visit, ...]
    matrix: Matrix
    template: Problem | None
    sub_options: SolveOptions  # the options of every sub-solve (progress: this process only; one worker)
    workers: int
    watch: _Watch

    def sub_problem(self, vehicle_idx: list[int], visit_idx: list[int]) -> tuple[Problem, list[int]]:
        return sub_problem(self.vehicles, self.visits, vehicle_idx, visit_idx, self.matrix, self.template)


def _solve_whole(d: _Decomposition, t0: float) -> Solution:
    """Up to ``cluster_size`` visits: one ordinary solve, as one cluster."""
    every_vehicle, every_visit = list(range(len(d.vehicles))), list(range(len(d.visits)))
    problem, locs = d.sub_problem(every_vehicle, every_visit)
    sol = solve_one((problem, d.sub_options))
    c = Cluster(every_vehicle, every_visit, [v.id for v in d.vehicles], 0, 0, 0)
    c.routes, c.unassigned = [globalise(r, locs) for r in sol.routes], list(sol.unassigned)
    return assemble(d.vehicles, d.visits, [c], d.template, t0)


def _solve_clusters(d: _Decomposition, clusters: list[Cluster], phase_end: float) -> None:
    """Solve every cluster (``workers`` at a time), the waves sharing the time up to ``phase_end``."""
    waves = math.ceil(len(clusters) / d.workers)
    jobs = [d.sub_problem(c.vehicles, c.visits) for c in clusters]
    per = max(1.0, (phase_end - _time.monotonic()) / max(1, waves))  # the matrices' time counts too
    solved = run_all(
        [(p, dataclasses.replace(d.sub_options, time_limit_s=per)) for p, _ in jobs], d.workers, done=d.watch.part_done
    )
    for c, (p, locs), sol in zip(clusters, jobs, solved):
        c.routes = [globalise(r, locs) for r in sol.routes]
        c.unassigned = list(sol.unassigned)
        c.score = score(sol, p)


def _rounds(pairs: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """At most 4 rounds of pairs that share no cluster (a round runs at once); pairs in the order found."""
    rounds: list[list[tuple[int, int]]] = []
    remaining = [(a, b) for a, b in pairs if a != b]
    while remaining and len(rounds) < 4:
        used: set[int] = set()
        this: list[tuple[int, int]] = []
        rest: list[tuple[int, int]] = []
        for a, b in remaining:
            (rest if a in used or b in used else this).append((a, b))
            if (a, b) in this:
                used.update((a, b))
        rounds.append(this)
        remaining = rest
    return rounds


def _repair_borders(d: _Decomposition, clusters: list[Cluster], pairs: list[tuple[int, int]], deadline: float) -> None:
    """Re-solve neighbouring pairs, round after round until ``deadline``, keeping what is better."""
    rounds = _rounds(pairs)
    for r, batch in enumerate(rounds):
        if deadline - _time.monotonic() < 1.0 or d.watch.stopped:
            break  # no time left for repairs, or stopped by the caller
        _repair_round(d, clusters, batch, len(rounds) - r, deadline)


def _repair_round(
    d: _Decomposition, clusters: list[Cluster], batch: list[tuple[int, int]], rounds_left: int, deadline: float
) -> None:
    """One round: each pair of ``batch`` re-solved from its two clusters' current routes (a warm start:
    never worse), its plan given back to them when it serves more mandatory visits or costs less."""
    pair_jobs = []
    for a, b in batch:
        ca, cb = clusters[a], clusters[b]
        pair_jobs.append(d.sub_problem(ca.vehicles + cb.vehicles, sorted(ca.visits + cb.visits)))
    left = max(0.0, deadline - _time.monotonic() - 0.5)
    per = max(1.0, left / rounds_left / max(1, math.ceil(len(batch) / d.workers)))
    starts = [warm_start(clusters[a], clusters[b]) for a, b in batch]
    d.watch.total += len(batch)
    results = run_all(
        [
            (p, dataclasses.replace(d.sub_options, time_limit_s=per, initial_routes=start))
            for (p, _), start in zip(pair_jobs, starts)
        ],
        d.workers,
        done=d.watch.part_done,
    )
    for (a, b), (p, locs), sol in zip(batch, pair_jobs, results):
        ca, cb = clusters[a], clusters[b]
        if score(sol, p) < (ca.score[0] + cb.score[0], ca.score[1] + cb.score[1]):
            give_back(ca, cb, sol, locs, d.visits, missing(sol, p))


__all__ = ["solve_large", "solve_decomposed"]
