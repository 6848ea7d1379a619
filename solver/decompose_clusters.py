"""Decomposition, part 1: the visits clustered into regions, and which regions are neighbours.

``build_clusters(vehicles, visits, template, coordinates, cluster_size)``: vehicles grouped by start
location; each visit goes to the depot group with the shortest round trip to it (by the coordinates when
there is no full matrix ``template``; a visit locked to a vehicle goes with that vehicle). In each group,
``k = ceil(n / cluster_size)`` clusters (at most one per vehicle): with ``coordinates`` ((lat, lon) in
degrees per location; planar (y, x) works too) angular sectors around the depot, cut at the widest empty
angle, with equal numbers of visits; without them, k-medoids on the symmetric road distance. The group's
vehicles are shared out by each cluster's estimated work (service + nearest-neighbour travel + a trip to
the depot), at least one each. Deterministic (ties broken by index).

``neighbour_pairs(clusters, visits, coordinates)``: consecutive clusters of a depot group (cyclic) and,
with coordinates, for each group its closest cluster pair with another group.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from .problem import Problem, Vehicle, Visit
from .result import Route, Unassigned

Coordinates = Sequence[tuple[float, float]]  # (lat, lon) per location


@dataclasses.dataclass
class Cluster:
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


def build_clusters(
    vehicles: Sequence[Vehicle],
    visits: Sequence[Visit],
    template: Problem | None,
    coordinates: Coordinates | None,
    cluster_size: int,
) -> list[Cluster]:
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

    out: list[Cluster] = []
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
            out.append(Cluster(mine, sorted(part), [vehicles[k].id for k in mine], depot, g, order, centre))
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


def neighbour_pairs(
    clusters: list[Cluster], visits: Sequence[Visit], coordinates: Coordinates | None
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
