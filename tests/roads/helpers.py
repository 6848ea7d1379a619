"""Independent geometry for the road tests (does not reuse the module's internals)."""

from __future__ import annotations

import math

import numpy as np

R = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(math.sqrt(a))


def polyline_m(coords) -> float:
    return sum(haversine_m(a[1], a[0], b[1], b[0]) for a, b in zip(coords, coords[1:]))


def edge_coords(graph, u, v, k) -> list[tuple[float, float]]:
    d = graph[u][v][k]
    if d.get("geometry") is not None:
        return [tuple(c[:2]) for c in d["geometry"].coords]
    return [(graph.nodes[u]["x"], graph.nodes[u]["y"]), (graph.nodes[v]["x"], graph.nodes[v]["y"])]


def point_along(coords, frac: float) -> tuple[float, float]:
    """(lat, lon) at ``frac`` of the polyline length."""
    lens = [haversine_m(a[1], a[0], b[1], b[0]) for a, b in zip(coords, coords[1:])]
    target = frac * sum(lens)
    for (a, b), seg in zip(zip(coords, coords[1:]), lens):
        if target <= seg or seg == lens[-1]:
            t = 0 if seg == 0 else min(1.0, target / seg)
            return a[1] + t * (b[1] - a[1]), a[0] + t * (b[0] - a[0])
        target -= seg
    return coords[-1][1], coords[-1][0]


def min_distance_to_edges_m(graph, lat: float, lon: float) -> float:
    """Brute force: distance from (lat, lon) to every edge polyline, local tangent plane."""
    kx = R * math.cos(math.radians(lat)) * math.pi / 180
    ky = R * math.pi / 180
    a_list, b_list = [], []
    for u, v, k in graph.edges(keys=True):
        c = np.asarray(edge_coords(graph, u, v, k), dtype=float)
        a_list.append(c[:-1])
        b_list.append(c[1:])
    a = np.concatenate(a_list)
    b = np.concatenate(b_list)
    a = np.stack([(a[:, 0] - lon) * kx, (a[:, 1] - lat) * ky], axis=1)
    b = np.stack([(b[:, 0] - lon) * kx, (b[:, 1] - lat) * ky], axis=1)
    ab = b - a
    den = (ab**2).sum(1)
    t = np.clip(np.where(den > 0, -(a * ab).sum(1) / np.where(den > 0, den, 1), 0), 0, 1)
    q = a + t[:, None] * ab
    return float(np.hypot(q[:, 0], q[:, 1]).min())
