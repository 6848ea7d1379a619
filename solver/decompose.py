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
Not routed automatically from ``solver.solve``: callers choose (``dispatch/planning/scale.py`` uses it above
1,000 visits). Pure: standard library and OR-Tools only.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pickle
import subprocess
import sys
import time as _time
from collections.abc import Callable, Sequence
from typing import IO, Any

from .problem import Problem, Vehicle, Visit
from .result import Route, Solution, SolveOptions, Status, Summary, Unassigned

Coordinates = Sequence[tuple[float, float]]  # (lat, lon) per location
Matrix = Callable[[Sequence[int]], tuple[Sequence[Sequence[int]], Sequence[Sequence[int]]]]


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
    sub_options = dataclasses.replace(options, progress=None, workers=1)
    workers = max(1, int(workers or 1))
    vehicles, visits = tuple(vehicles), tuple(visits)

    if len(visits) <= cluster_size:  # small enough: one ordinary solve
        problem, locs = _sub_problem(
            vehicles, visits, list(range(len(vehicles))), list(range(len(visits))), matrix, template
        )
        sol = _solve_one((problem, sub_options))
        c = _Cluster(list(range(len(vehicles))), list(range(len(visits))), [v.id for v in vehicles], 0, 0, 0)
        c.routes, c.unassigned = [_globalise(r, locs) for r in sol.routes], list(sol.unassigned)
        return _assemble(vehicles, visits, [c], template, t0)
    clusters = _clusters(vehicles, visits, template, coordinates, max(2, int(cluster_size)))
    pairs = _neighbour_pairs(clusters, visits, coordinates) if repair else []
    # --- solve every cluster ----------------------------------------------------------------
    phase_end = t0 + (0.6 if pairs else 0.95) * options.time_limit_s
    waves = math.ceil(len(clusters) / workers)
    jobs = [_sub_problem(vehicles, visits, c.vehicles, c.visits, matrix, template) for c in clusters]
    per = max(1.0, (phase_end - _time.monotonic()) / max(1, waves))  # the matrices' time counts too
    solved = _run_all([(p, dataclasses.replace(sub_options, time_limit_s=per)) for p, _ in jobs], workers)
    for c, (p, locs), sol in zip(clusters, jobs, solved):
        c.routes = [_globalise(r, locs) for r in sol.routes]
        c.unassigned = list(sol.unassigned)
        c.score = _score(sol, p)

    # --- repair across borders: re-solve neighbouring pairs, keep what is better ----------------
    if pairs:
        # rounds of pairs that share no cluster (a round runs at once); pairs in the order found
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
        for r, batch in enumerate(rounds):
            if deadline - _time.monotonic() < 1.0:
                break  # no time left for repairs
            pair_jobs = []
            for a, b in batch:
                ca, cb = clusters[a], clusters[b]
                pair_jobs.append(
                    _sub_problem(
                        vehicles, visits, ca.vehicles + cb.vehicles, sorted(ca.visits + cb.visits), matrix, template
                    )
                )
            left = max(0.0, deadline - _time.monotonic() - 0.5)
            per = max(1.0, left / (len(rounds) - r) / max(1, math.ceil(len(batch) / workers)))
            # each pair starts from its two clusters' current routes (a warm start): never worse
            starts = [_plan(clusters[a], clusters[b]) for a, b in batch]
            results = _run_all(
                [
                    (p, dataclasses.replace(sub_options, time_limit_s=per, initial_routes=start))
                    for (p, _), start in zip(pair_jobs, starts)
                ],
                workers,
            )
            for (a, b), (p, locs), sol in zip(batch, pair_jobs, results):
                ca, cb = clusters[a], clusters[b]
                if _score(sol, p) < (ca.score[0] + cb.score[0], ca.score[1] + cb.score[1]):
                    _split(ca, cb, sol, locs, visits, _missing(sol, p))

    return _assemble(vehicles, visits, clusters, template, t0)


# ----------------------------------------------------------------------------------------------
# clustering
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Cluster:
    vehicles: list[int]  # indices into the vehicles
    visits: list[int]  # indices into the visits
    vehicle_ids: list[str]
    depot: int  # location of the group's depot
    group: int
    order: int  # position around the depot (sectors) within the group
    centre: tuple[float, float] | int = 0  # (x, y) or a medoid location
    routes: list[Route] = dataclasses.field(default_factory=list)  # global locations
    unassigned: list[Unassigned] = dataclasses.field(default_factory=list)
    score: tuple[int, int] = (0, 0)  # (mandatory visits left out, cost)


def _xy(coordinates: Coordinates, loc: int, lat0: float) -> tuple[float, float]:
    lat, lon = coordinates[loc]
    return lon * math.cos(math.radians(lat0)), lat


def _clusters(
    vehicles: Sequence[Vehicle],
    visits: Sequence[Visit],
    template: Problem | None,
    coordinates: Coordinates | None,
    cluster_size: int,
) -> list[_Cluster]:
    by_depot: dict[int, list[int]] = {}
    for k, v in enumerate(vehicles):
        by_depot.setdefault(v.start, []).append(k)
    depots = sorted(by_depot)
    lat0 = (sum(c[0] for c in coordinates) / len(coordinates)) if coordinates else 0.0
    vehicle_index = {v.id: k for k, v in enumerate(vehicles)}

    def round_trip(depot: int, loc: int) -> float:
        if template is not None:
            return template.distances[depot][loc] + template.distances[loc][depot]
        assert coordinates is not None  # (solve_decomposed needs coordinates or a template)
        (x1, y1), (x2, y2) = _xy(coordinates, depot, lat0), _xy(coordinates, loc, lat0)
        return math.hypot(x1 - x2, y1 - y2)

    groups: dict[int, list[int]] = {d: [] for d in depots}
    for i, visit in enumerate(visits):
        if visit.vehicle is not None and visit.vehicle in vehicle_index:
            groups[vehicles[vehicle_index[visit.vehicle]].start].append(i)
        else:
            groups[min(depots, key=lambda d: (round_trip(d, visit.location), d))].append(i)

    out: list[_Cluster] = []
    for g, depot in enumerate(depots):
        members, fleet = groups[depot], by_depot[depot]
        k = max(1, min(len(fleet), math.ceil(len(members) / cluster_size)))
        if not members or k == 1:
            parts = [members]
            centres: Sequence[tuple[float, float] | int] = [0]
        elif coordinates is not None:
            parts, centres = _sectors(visits, members, depot, coordinates, lat0, k)
        else:
            assert template is not None  # (solve_decomposed needs coordinates or a template)
            parts, centres = _medoids(visits, members, depot, template, k)
        sizes = _share([_work(visits, p, depot, template, coordinates, lat0) for p in parts], len(fleet))
        start = 0
        for order, (part, centre, n_veh) in enumerate(zip(parts, centres, sizes)):
            mine = fleet[start : start + n_veh]
            out.append(_Cluster(mine, sorted(part), [vehicles[k].id for k in mine], depot, g, order, centre))
            start += n_veh
    # locked visits follow their vehicle's cluster
    owner = {k: c for c in out for k in c.vehicles}
    for c in out:
        for i in list(c.visits):
            lock = visits[i].vehicle
            if lock is not None and lock in vehicle_index and owner[vehicle_index[lock]] is not c:
                c.visits.remove(i)
                owner[vehicle_index[lock]].visits.append(i)
    for c in out:
        c.visits.sort()
    return out


def _sectors(
    visits: Sequence[Visit], members: list[int], depot: int, coordinates: Coordinates, lat0: float, k: int
) -> tuple[list[list[int]], list[tuple[float, float]]]:
    dx, dy = _xy(coordinates, depot, lat0)
    ang: dict[int, float] = {}
    for i in members:
        x, y = _xy(coordinates, visits[i].location, lat0)
        ang[i] = math.atan2(y - dy, x - dx) % (2 * math.pi)
    ordered = sorted(members, key=lambda i: (ang[i], i))
    # start the sweep after the widest empty angle, so no sector straddles two far-apart directions
    gaps = [((ang[ordered[(j + 1) % len(ordered)]] - ang[ordered[j]]) % (2 * math.pi), j) for j in range(len(ordered))]
    _, j = max(gaps)
    ordered = ordered[j + 1 :] + ordered[: j + 1]
    n = len(ordered)
    parts = [ordered[(p * n) // k : ((p + 1) * n) // k] for p in range(k)]
    centres: list[tuple[float, float]] = []
    for part in parts:
        xs = [_xy(coordinates, visits[i].location, lat0) for i in part] or [(dx, dy)]
        centres.append((sum(x for x, _ in xs) / len(xs), sum(y for _, y in xs) / len(xs)))
    return parts, centres


def _medoids(
    visits: Sequence[Visit], members: list[int], depot: int, template: Problem, k: int
) -> tuple[list[list[int]], list[int]]:
    d = template.distances

    def sd(a: int, b: int) -> int:
        return d[a][b] + d[b][a]

    locs = {i: visits[i].location for i in members}
    # farthest-first seeds, starting from the member farthest from the depot
    seeds = [max(members, key=lambda i: (sd(depot, locs[i]), -i))]
    near = {i: sd(locs[i], locs[seeds[0]]) for i in members}
    while len(seeds) < k:
        nxt = max(members, key=lambda i: (near[i], -i))
        seeds.append(nxt)
        for i in members:
            near[i] = min(near[i], sd(locs[i], locs[nxt]))
    parts: list[list[int]] = []
    for _ in range(4):
        parts = [[] for _ in seeds]
        for i in members:
            parts[min(range(len(seeds)), key=lambda s: (sd(locs[i], locs[seeds[s]]), s))].append(i)
        new = [
            min(p, key=lambda c: (sum(sd(locs[c], locs[o]) for o in p), c)) if p else seeds[s]
            for s, p in enumerate(parts)
        ]
        if new == seeds:
            break
        seeds = new
    keep = [(p, locs[s]) for p, s in zip(parts, seeds) if p]
    return [p for p, _ in keep], [c for _, c in keep]


def _work(
    visits: Sequence[Visit],
    part: list[int],
    depot: int,
    template: Problem | None,
    coordinates: Coordinates | None,
    lat0: float,
) -> float:
    """Rough seconds of work in a cluster: service, nearest-neighbour travel, one depot round trip."""
    if not part:
        return 0.0
    service = sum(visits[i].service for i in part)
    nn: float  # nearest-neighbour travel
    if template is not None:
        dur = template.durations
        sample = part if len(part) <= 200 else part[:: max(1, len(part) // 200)]
        nn = sum(min((dur[visits[i].location][visits[j].location] for j in sample if j != i), default=0) for i in part)
        trip = sum(dur[depot][visits[i].location] + dur[visits[i].location][depot] for i in part) / len(part)
    else:  # straight-line metres at ~20 km/h
        assert coordinates is not None  # (solve_decomposed needs coordinates or a template)
        pts = [_xy(coordinates, visits[i].location, lat0) for i in part]
        scale = 111_000 / 5.5
        pts_sample = pts if len(pts) <= 200 else pts[:: max(1, len(pts) // 200)]
        nn = sum(
            min((math.hypot(x - u, y - v) for u, v in pts_sample if (u, v) != (x, y)), default=0.0) * scale
            for x, y in pts
        )
        dx, dy = _xy(coordinates, depot, lat0)
        trip = 2 * sum(math.hypot(x - dx, y - dy) for x, y in pts) / len(pts) * scale
    return service + nn + trip


def _share(weights: list[float], n: int) -> list[int]:
    """Split ``n`` vehicles over clusters proportionally to ``weights``, at least one each."""
    k = len(weights)
    if k == 0:
        return []
    base = [1] * k
    rest = n - k
    total = sum(weights) or 1.0
    quotas = [rest * w / total for w in weights]
    for j in range(k):
        base[j] += int(quotas[j])
    left = n - sum(base)
    for j in sorted(range(k), key=lambda j: (-(quotas[j] - int(quotas[j])), j))[:left]:
        base[j] += 1
    return base


def _neighbour_pairs(
    clusters: list[_Cluster], visits: Sequence[Visit], coordinates: Coordinates | None
) -> list[tuple[int, int]]:
    """Neighbouring clusters: consecutive clusters of a depot group (cyclic); with coordinates, also
    across depot groups: for each group, its closest cluster pair with the nearest other group."""
    pairs: list[tuple[int, int]] = []
    if coordinates is not None:
        lat0 = sum(c[0] for c in coordinates) / len(coordinates)
        centre = []
        for c in clusters:
            pts = [_xy(coordinates, visits[i].location, lat0) for i in c.visits] or [(math.inf, math.inf)]
            centre.append((sum(x for x, _ in pts) / len(pts), sum(y for _, y in pts) / len(pts)))
        groups = sorted({c.group for c in clusters})
        for g in groups:
            best = None
            for a, ca in enumerate(clusters):
                if ca.group != g:
                    continue
                for b, cb in enumerate(clusters):
                    if cb.group == g:
                        continue
                    d = math.hypot(centre[a][0] - centre[b][0], centre[a][1] - centre[b][1])
                    if best is None or (d, a, b) < best:
                        best = (d, a, b)
            if best is not None and math.isfinite(best[0]):
                pair = (min(best[1], best[2]), max(best[1], best[2]))
                if pair not in pairs:
                    pairs.append(pair)
    by_group: dict[int, list[int]] = {}
    for j, c in enumerate(clusters):
        by_group.setdefault(c.group, []).append(j)
    for members in by_group.values():
        members.sort(key=lambda j: clusters[j].order)
        if len(members) == 2:
            pairs.append((members[0], members[1]))
        elif len(members) > 2:
            pairs += [(members[t], members[(t + 1) % len(members)]) for t in range(len(members))]
    return pairs


# ----------------------------------------------------------------------------------------------
# sub-problems, running, combining
# ----------------------------------------------------------------------------------------------


def _sub_problem(
    vehicles: Sequence[Vehicle],
    visits: Sequence[Visit],
    vehicle_idx: list[int],
    visit_idx: list[int],
    matrix: Matrix,
    template: Problem | None,
) -> tuple[Problem, list[int]]:
    sub_vehicles = [vehicles[k] for k in vehicle_idx]
    sub_visits = [visits[i] for i in visit_idx]
    locs = sorted(
        {v.start for v in sub_vehicles}
        | {v.end for v in sub_vehicles}
        | {v.reload_location for v in sub_vehicles if v.reload_location is not None}
        | {v.location for v in sub_visits}
    )
    local = {g: j for j, g in enumerate(locs)}
    dur, dist = matrix(locs)
    ids = {v.id for v in sub_vehicles}
    kept = {v.id for v in sub_visits}
    new_vehicles = tuple(
        dataclasses.replace(
            v,
            start=local[v.start],
            end=local[v.end],
            reload_location=None if v.reload_location is None else local[v.reload_location],
        )
        for v in sub_vehicles
    )
    new_visits = tuple(
        dataclasses.replace(v, location=local[v.location], vehicle=v.vehicle if v.vehicle in ids else None)
        for v in sub_visits
    )
    sequences: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if template is not None:
        sequences = tuple(
            (vid, tuple(x for x in seq if x in kept)) for vid, seq in template.locked_sequences if vid in ids
        )
    durations = tuple(tuple(int(x) for x in row) for row in dur)
    distances = tuple(tuple(int(x) for x in row) for row in dist)
    if template is None:
        problem = Problem(durations, distances, new_vehicles, new_visits, locked_sequences=sequences)
    else:
        problem = dataclasses.replace(
            template,
            durations=durations,
            distances=distances,
            vehicles=new_vehicles,
            visits=new_visits,
            locked_sequences=sequences,
        )
    return problem, locs


def _solve_one(args: tuple[Problem, SolveOptions]) -> Solution:
    from . import solve

    problem, options = args
    return solve(problem, options)


_CHILD = "import solver.decompose as d; d._child_main()"


class _Child:
    """A persistent child process (``python -c``, as in ``portfolio.py``: no fork of a threaded parent,
    no re-import of the caller's ``__main__``, works inside daemonic Celery workers) solving one
    sub-problem after another: length-prefixed pickles on its stdin and stdout."""

    def __init__(self, log: bool = False) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-c", _CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if log else subprocess.DEVNULL,
            env=env,
        )

    def solve(self, job: tuple[Problem, SolveOptions]) -> Solution:
        proc = self.proc
        if proc is not None and proc.stdin is not None and proc.stdout is not None:
            try:
                _send(proc.stdin, job)
                result = _receive(proc.stdout)
                if isinstance(result, Solution):
                    return result
            except Exception:  # noqa: BLE001 - the child is gone: solve here from now on
                self.close()
        return _solve_one(job)

    def close(self) -> None:
        if self.proc is not None:
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.proc.kill()
            self.proc = None


def _send(stream: IO[bytes], obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "big") + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError("child closed its output")
    size = int.from_bytes(head, "big")
    return pickle.loads(stream.read(size))


def _child_main() -> None:
    while True:
        try:
            job = _receive(sys.stdin.buffer)
        except EOFError:
            return
        _send(sys.stdout.buffer, _solve_one(job))


def _run_all(jobs: list[tuple[Problem, SolveOptions]], workers: int) -> list[Solution]:
    """Solve every sub-problem on ``workers`` persistent child processes (> 1); results in input order."""
    if workers <= 1 or len(jobs) <= 1:
        return [_solve_one(job) for job in jobs]
    import queue
    import threading

    todo: queue.Queue[tuple[int, tuple[Problem, SolveOptions]]] = queue.Queue()
    for j, job in enumerate(jobs):
        todo.put((j, job))
    out: list[Solution | None] = [None] * len(jobs)

    def work() -> None:
        child = None
        try:
            options = jobs[0][1]  # (the search tuning travels with each job's options)
            child = _Child(log=options.log_search or options.search.log)
        except Exception:  # noqa: BLE001 - no child: solve in this thread
            child = None
        try:
            while True:
                try:
                    j, job = todo.get_nowait()
                except queue.Empty:
                    return
                out[j] = child.solve(job) if child is not None else _solve_one(job)
        finally:
            if child is not None:
                child.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(workers, len(jobs)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [o if o is not None else _solve_one(job) for o, job in zip(out, jobs)]


def _missing(solution: Solution, problem: Problem) -> int:
    mandatory = {v.id for v in problem.visits if v.penalty is None}
    return sum(1 for u in solution.unassigned if u.id in mandatory)


def _score(solution: Solution, problem: Problem) -> tuple[int, int]:
    return _missing(solution, problem), solution.summary.cost


def _split(ca: _Cluster, cb: _Cluster, sol: Solution, locs: list[int], visits: Sequence[Visit], missing: int) -> None:
    """Give a pair's accepted plan back to its two clusters (routes by vehicle; unassigned to the first)."""
    index = {v.id: i for i, v in enumerate(visits)}
    mine = set(ca.vehicle_ids)
    routes = [_globalise(r, locs) for r in sol.routes]
    ca.routes = [r for r in routes if r.vehicle in mine]
    cb.routes = [r for r in routes if r.vehicle not in mine]
    ca.unassigned, cb.unassigned = list(sol.unassigned), []
    ca.visits = sorted([index[x] for r in ca.routes for x in r.visit_ids] + [index[u.id] for u in sol.unassigned])
    cb.visits = sorted(index[x] for r in cb.routes for x in r.visit_ids)
    cb_cost = sum(r.cost for r in cb.routes)
    ca.score, cb.score = (missing, sol.summary.cost - cb_cost), (0, cb_cost)


def _plan(*clusters: _Cluster) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
    """The clusters' current routes as a warm start (``SolveOptions.initial_routes``)."""
    return tuple((r.vehicle, r.plan_ids) for c in clusters for r in c.routes)


def _globalise(route: Route, locs: list[int]) -> Route:
    steps = tuple(
        dataclasses.replace(s, location=None if s.location is None else locs[s.location]) for s in route.steps
    )
    return dataclasses.replace(route, steps=steps)


def _assemble(
    vehicles: Sequence[Vehicle], visits: Sequence[Visit], clusters: list[_Cluster], template: Problem | None, t0: float
) -> Solution:
    order = {v.id: k for k, v in enumerate(vehicles)}
    routes: list[Route] = []
    unassigned: dict[str, Unassigned] = {}
    for c in clusters:
        routes += c.routes
        for u in c.unassigned:
            unassigned[u.id] = u
    routes.sort(key=lambda r: order[r.vehicle])
    index = {v.id: i for i, v in enumerate(visits)}
    unassigned_list = tuple(sorted(unassigned.values(), key=lambda u: index[u.id]))
    missing = [u for u in unassigned_list if visits[index[u.id]].penalty is None]
    penalties = sum(visits[index[u.id]].penalty or 0 for u in unassigned_list)
    dims = len(vehicles[0].capacity) if vehicles else 0
    extra = {}
    balance = 0
    if template is not None and getattr(template, "balance", None) is not None:
        from . import check as _check

        if hasattr(_check, "balance_cost"):
            balance = _check.balance_cost(template, routes)
    if "balance_cost" in {f.name for f in dataclasses.fields(Summary)}:
        extra["balance_cost"] = balance
    summary = Summary(
        cost=sum(r.cost for r in routes) + penalties + balance,
        routes=len(routes),
        unassigned=len(unassigned_list),
        distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        service=sum(r.service for r in routes),
        waiting_time=sum(r.waiting_time for r in routes),
        load=tuple(sum(r.load[d] for r in routes) for d in range(dims)),
        solve_seconds=round(_time.monotonic() - t0, 3),
        **extra,
    )
    explanation = ""
    if missing:
        explanation = f"{len(missing)} mandatory visit(s) cannot be served: " + "; ".join(
            f"{u.id!r} ({u.reason.value}: {u.detail})" for u in missing
        )
    return Solution(
        Status.INFEASIBLE if missing else Status.SOLVED, summary, tuple(routes), unassigned_list, explanation
    )


__all__ = ["solve_large", "solve_decomposed"]
