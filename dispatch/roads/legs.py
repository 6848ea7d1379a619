"""Leg geometry: the coordinates of a path along the streets between two sites, and legs as GeoJSON.

``path_coordinates`` turns a Dijkstra predecessor array over an augmented graph (``RoutingGraph.augmented``
with the two sites' anchors) into (lon, lat) points: out of the first site's street, along each edge's
geometry, into the second site's street. ``without_repeats`` drops consecutive duplicates (a leg keeps two
points at least); ``feature_collection`` writes legs as LineString features.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from dispatch.roads.routing import RoutingGraph
from dispatch.roads.streets import Street, edge_coords


@dataclass(frozen=True)
class Leg:
    from_key: str
    to_key: str
    coordinates: list[tuple[float, float]]  # (lon, lat) along the streets, site to site
    metres: int
    seconds: int


def path_coordinates(
    graph: nx.MultiDiGraph,
    routing: RoutingGraph,
    pred: np.ndarray,
    start: tuple[Street, float],
    end: tuple[Street, float],
) -> list[tuple[float, float]]:
    """(lon, lat) points of the path from the source node n to the sink node n+3 of ``pred``, the site at
    ``start`` (street, fraction) to the site at ``end``."""
    (sa, fa), (sb, fb) = start, end
    n = routing.n
    path = [n + 3]
    while path[-1] != n:
        path.append(int(pred[path[-1]]))
    path.reverse()  # [a_out, x1, ..., xm, b_in]
    nodes = [routing.nodes[i] for i in path[1:-1]]
    x1, xm = nodes[0], nodes[-1]
    # leave a's street towards x1 (one of its two ends; self-loops were dropped)
    coords = sa.between(fa, 1.0 if x1 == sa.v else 0.0)
    for u, v in zip(nodes, nodes[1:]):
        k = routing.edge_key[(routing.idx[u], routing.idx[v])]
        coords.extend(map(tuple, edge_coords(graph, u, v, k).tolist()))
    coords.extend(sb.between(1.0 if xm == sb.v else 0.0, fb))
    return coords


def without_repeats(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``coords`` without consecutive duplicates, two points at least."""
    clean = [coords[0]]
    for c in coords[1:]:
        if c != clean[-1]:
            clean.append(c)
    if len(clean) == 1:
        clean.append(clean[0])
    return clean


def feature_collection(legs: list[Leg]) -> dict:
    """GeoJSON FeatureCollection of ``legs`` (LineStrings with from/to keys, km and minutes)."""
    features = []
    for leg in legs:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(c) for c in leg.coordinates]},
                "properties": {
                    "from": leg.from_key,
                    "to": leg.to_key,
                    "km": round(leg.metres / 1000, 3),
                    "minutes": round(leg.seconds / 60, 1),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
