"""Building the drivable street graph from a raw osmnx-style graph: checks, van travel times, projection,
fingerprint.

``checked_edges`` refuses a graph the planner cannot use (``RoadGraphError`` naming the first bad node or
edge); ``drivable_graph`` keeps the edges a van may drive (OSM ``highway`` tags, or given travel times)
with their van travel time; ``Projection`` is the local equirectangular projection (metres) the snapping
works in; ``fingerprint`` names the network's content and speed parameters.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from dispatch.roads.errors import RoadGraphError
from dispatch.roads.speeds import DEFAULT_SPEEDS_KPH, edge_speed_kph, is_drivable

MODEL_VERSION = "roads-1"
EARTH_RADIUS_M = 6_371_008.8

Node = Hashable
Edge = tuple[Node, Node, Any, dict]  # (u, v, key, data)


def as_float(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):  # handled: not a number in the OSM tag: the default speed applies
        return None
    return f if math.isfinite(f) else None


def checked_edges(g: nx.MultiDiGraph, src: str) -> tuple[list[Edge], bool]:
    """The edges of ``g`` and whether they carry OSM ``highway`` tags, once the graph is found usable."""
    if not g.is_directed():
        raise RoadGraphError(f"Road graph {src} must be directed (a MultiDiGraph, as osmnx builds)")
    if g.number_of_edges() == 0:
        raise RoadGraphError(f"Road graph {src} has no edges")
    bad_xy = [n for n, d in g.nodes(data=True) if as_float(d.get("x")) is None or as_float(d.get("y")) is None]
    if bad_xy:
        raise RoadGraphError(
            f"Road graph {src}: {len(bad_xy)} of {g.number_of_nodes()} nodes lack numeric 'x' "
            f"(longitude) / 'y' (latitude) attributes, e.g. node {bad_xy[0]!r}"
        )
    edges = list(g.edges(keys=True, data=True)) if g.is_multigraph() else [
        (u, v, 0, d) for u, v, d in g.edges(data=True)
    ]
    bad_len = [(u, v) for u, v, _, d in edges if not (as_float(d.get("length")) or 0.0) >= 0.0 or as_float(d.get("length")) is None]
    if bad_len:
        raise RoadGraphError(
            f"Road graph {src}: {len(bad_len)} of {len(edges)} edges lack a numeric 'length' "
            f"(metres) attribute, e.g. edge {bad_len[0]!r}"
        )
    tagged = any("highway" in d for _, _, _, d in edges)
    if not tagged:
        bad_tt = [(u, v) for u, v, _, d in edges if (as_float(d.get("travel_time")) or -1) <= 0]
        if bad_tt:
            raise RoadGraphError(
                f"Road graph {src}: edges need either OSM 'highway' tags (speeds are then "
                f"derived from maxspeed/highway) or a positive 'travel_time' (seconds); "
                f"{len(bad_tt)} of {len(edges)} edges have neither, e.g. edge {bad_tt[0]!r}"
            )
    return edges, tagged


def drivable_graph(
    g: nx.MultiDiGraph, edges: list[Edge], *, tagged: bool, factor: float, src: str
) -> tuple[nx.MultiDiGraph, int]:
    """The drivable edges (self-loops dropped) with van travel times, and how many tagged edges were not
    drivable. ``factor`` multiplies car speeds."""
    h = nx.MultiDiGraph()
    h.graph.update(g.graph)
    dropped_edges = 0
    for u, v, k, d in edges:
        if u == v:
            continue
        length = float(d["length"])
        if tagged:
            if not is_drivable(d):
                dropped_edges += 1
                continue
            kph = edge_speed_kph(d) * factor
            tt = length / (kph / 3.6)
        else:
            tt = float(d["travel_time"]) / factor
            kph = length / tt * 3.6 if tt > 0 else 0.0
        for n in (u, v):
            if n not in h:
                h.add_node(n, **g.nodes[n])
        h.add_edge(u, v, key=k, **{**d, "length": length, "travel_time": tt, "speed_kph": kph})
    if h.number_of_edges() == 0:
        raise RoadGraphError(f"Road graph {src} has no drivable edges")
    return h, dropped_edges


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection in metres around the middle of the graph's bounding box."""

    lat0: float
    lon0: float
    kx: float  # metres per degree of longitude
    ky: float  # metres per degree of latitude

    @classmethod
    def around(cls, lat: np.ndarray, lon: np.ndarray) -> Projection:
        lat0 = float((lat.min() + lat.max()) / 2)
        lon0 = float((lon.min() + lon.max()) / 2)
        kx = EARTH_RADIUS_M * math.cos(math.radians(lat0)) * math.pi / 180
        return cls(lat0, lon0, kx, EARTH_RADIUS_M * math.pi / 180)

    def proj(self, lat: Any, lon: Any) -> np.ndarray:
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        return np.stack([(lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky], axis=-1)

    def unproj(self, xy: np.ndarray) -> tuple[float, float]:
        return float(xy[1] / self.ky + self.lat0), float(xy[0] / self.kx + self.lon0)


def fingerprint(
    *,
    van_speed_factor: float,
    tagged: bool,
    time_signature: str,
    nodes: list[Node],
    lon: np.ndarray,
    lat: np.ndarray,
    weights: tuple[np.ndarray, ...],
    segments: tuple[np.ndarray, np.ndarray],
) -> str:
    """24 hex digits naming the graph's content (``weights``: rows, cols, time and length weights of the
    routing graph; ``segments``: the snapping segments' ends) and the speed parameters."""
    hsh = hashlib.sha256()
    hsh.update(MODEL_VERSION.encode())
    hsh.update(repr((van_speed_factor, tagged, sorted(DEFAULT_SPEEDS_KPH.items()))).encode())
    hsh.update(time_signature.encode())
    hsh.update("\x00".join(map(str, nodes)).encode())
    hsh.update(np.round(lon, 7).tobytes() + np.round(lat, 7).tobytes())
    hsh.update(b"".join(w.tobytes() for w in weights))
    hsh.update(segments[0].round(2).tobytes() + segments[1].round(2).tobytes())
    return hsh.hexdigest()[:24]
