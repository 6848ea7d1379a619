"""Streets and the snapping index: one street per two-way pair of edges, its segments in a KD-tree.

``build_streets`` pairs each edge with its reverse twin (same junctions, no ``oneway``, same length within
2 % and the same geometry), gives each street its projected cumulative length, and samples its segments
every ``SAMPLE_SPACING_M`` into a KD-tree; ``StreetIndex.closest`` finds the segment nearest a projected
point (exact point-to-segment distance). ``Street.between`` cuts a street's geometry between two fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from dispatch.roads.street_graph import Node, Projection

SAMPLE_SPACING_M = 15.0  # spacing of the KD-tree sample points along street segments

RawStreet = tuple[Node, Node, Any, Any, np.ndarray, "str | None"]  # u, v, k, rev_k, coords, name


def is_true(value: Any) -> bool:
    """osmnx ``oneway``: bool, or 'True'/'yes'/'1'/'-1' strings in some files."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1", "-1"}
    return bool(value) if value is not None else False


def edge_coords(graph: nx.MultiDiGraph, u: Node, v: Node, k: Any) -> np.ndarray:
    """(m, 2) lon, lat of edge (u, v, k) from u to v: its geometry, or the straight line."""
    d = graph[u][v][k]
    nu, nv = graph.nodes[u], graph.nodes[v]
    geom = d.get("geometry")
    pu = (float(nu["x"]), float(nu["y"]))
    pv = (float(nv["x"]), float(nv["y"]))
    if geom is None or not hasattr(geom, "coords"):
        return np.array([pu, pv])
    coords = np.asarray(geom.coords, dtype=np.float64)[:, :2]
    # osmnx stores geometry in travel order; be defensive about reversed copies
    if np.hypot(*(coords[0] - pu)) > np.hypot(*(coords[-1] - pu)):
        coords = coords[::-1]
    return coords


@dataclass(frozen=True)
class Street:
    u: Node
    v: Node
    k: Any
    rev_k: Any  # key of the reverse edge (v, u, rev_k) with the same geometry, or None
    coords: np.ndarray  # (m, 2) lon, lat from u to v
    cum_m: np.ndarray  # (m,) cumulative geometric length (projected metres)
    name: str | None

    def between(self, f0: float, f1: float) -> list[tuple[float, float]]:
        """Coordinates along the street from fraction f0 to f1 (reversed if f1 < f0)."""
        cum = self.cum_m
        total = float(cum[-1])
        lo, hi = sorted((f0, f1))
        a, b = lo * total, hi * total

        def point(dist: float) -> tuple[float, float]:
            j = int(np.clip(np.searchsorted(cum, dist, side="right") - 1, 0, len(cum) - 2))
            seg = cum[j + 1] - cum[j]
            t = 0.0 if seg <= 0 else (dist - cum[j]) / seg
            p = self.coords[j] + t * (self.coords[j + 1] - self.coords[j])
            return float(p[0]), float(p[1])

        inner = [tuple(map(float, self.coords[j])) for j in range(len(cum)) if a < cum[j] < b]
        pts = [point(a)] + inner + [point(b)]
        return pts if f1 >= f0 else pts[::-1]


@dataclass(frozen=True)
class Closest:
    """The segment nearest a point: ``segment`` None when every street is beyond the limit asked
    (``distance_m`` is then that of the nearest candidate); ``t`` is the position along the segment."""

    distance_m: float
    segment: int | None = None
    t: float = 0.0


@dataclass(frozen=True, eq=False)
class StreetIndex:
    streets: list[Street]
    street_of: dict[tuple, tuple[int, bool]]  # (u, v, k) -> (street idx, reversed?)
    seg_a: np.ndarray  # (s, 2) projected start of each segment
    seg_b: np.ndarray  # (s, 2) projected end
    seg_street: np.ndarray  # street index of each segment
    seg_off: np.ndarray  # distance from the street's start to the segment's start
    seg_len: np.ndarray
    pt_seg: np.ndarray  # segment of each KD-tree sample point
    tree: cKDTree

    def seg_distances(self, p: np.ndarray, segs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.seg_a[segs], self.seg_b[segs]
        ab = b - a
        denom = np.einsum("ij,ij->i", ab, ab)
        t = np.where(denom > 0, np.einsum("ij,ij->i", p - a, ab) / np.where(denom > 0, denom, 1), 0.0)
        t = np.clip(t, 0.0, 1.0)
        q = a + t[:, None] * ab
        return np.hypot(*(p - q).T), t

    def closest(self, p: np.ndarray, max_distance_m: float) -> Closest:
        """The segment nearest the projected point ``p`` (ties: lowest segment index)."""
        half = SAMPLE_SPACING_M / 2
        k = min(16, self.tree.n)
        d0, i0 = self.tree.query(p, k=k)
        cand = np.unique(self.pt_seg[np.atleast_1d(i0)])
        dist, _ = self.seg_distances(p, cand)
        best = float(dist.min())
        if float(np.atleast_1d(d0)[0]) - half > max_distance_m:  # every street is too far
            return Closest(best)
        ball = self.tree.query_ball_point(p, r=best + half + 1e-6)
        cand = np.unique(np.concatenate([cand, self.pt_seg[np.asarray(ball, dtype=np.int64)]]))
        dist, tseg = self.seg_distances(p, cand)
        j = int(np.argmin(dist))  # ties: lowest segment index (deterministic)
        return Closest(float(dist[j]), int(cand[j]), float(tseg[j]))

    def position(self, seg: int, t: float) -> tuple[Street, float, np.ndarray]:
        """The street of segment ``seg``, the fraction along it and the projected point at ``t``."""
        street = self.streets[int(self.seg_street[seg])]
        geom_len = float(street.cum_m[-1])
        along = float(self.seg_off[seg] + t * self.seg_len[seg])
        fraction = min(1.0, max(0.0, along / geom_len)) if geom_len > 0 else 0.0
        q = self.seg_a[seg] + t * (self.seg_b[seg] - self.seg_a[seg])
        return street, fraction, q


def _reverse_twin(h: nx.MultiDiGraph, u: Node, v: Node, k: Any, d: dict, street_of: dict) -> Any:
    """Key of the edge (v, u) that is the same street driven the other way, or None."""
    if not (h.has_edge(v, u) and not is_true(d.get("oneway"))):
        return None
    coords_f = edge_coords(h, u, v, k) if d.get("geometry") is not None else None
    best = None
    for k2, d2 in h[v][u].items():
        if (v, u, k2) in street_of or is_true(d2.get("oneway")):
            continue
        diff = abs(d2["length"] - d["length"])
        if diff > max(1.0, 0.02 * d["length"]):
            continue
        if (coords_f is None) != (d2.get("geometry") is None):
            continue  # one is straight, the other is not: another street
        if coords_f is not None:
            coords_r = edge_coords(h, v, u, k2)[::-1]
            if coords_r.shape != coords_f.shape or not np.allclose(coords_r, coords_f, atol=2e-6):
                continue  # another street between the same junctions
        if best is None or diff < best[0]:
            best = (diff, k2)
    return best[1] if best else None


def _pair_streets(h: nx.MultiDiGraph, gidx: dict[Node, int]) -> tuple[list[RawStreet], dict]:
    """One raw street per edge or two-way pair (canonical direction: lower node index first)."""
    street_of: dict[tuple, tuple[int, bool]] = {}  # (u, v, k) -> (street idx, reversed?)
    raw: list[RawStreet] = []
    for u, v, k, d in h.edges(keys=True, data=True):
        if (u, v, k) in street_of:
            continue
        rev_k = _reverse_twin(h, u, v, k, d, street_of)
        if rev_k is not None and gidx[u] > gidx[v]:  # canonical direction: lower index first
            u, v, k, rev_k = v, u, rev_k, k
            d = h[u][v][k]
        names = d.get("name")
        name = names if isinstance(names, str) else (", ".join(map(str, names)) if isinstance(names, list) else None)
        idx = len(raw)
        raw.append((u, v, k, rev_k, edge_coords(h, u, v, k), name))
        street_of[(u, v, k)] = (idx, False)
        if rev_k is not None:
            street_of[(v, u, rev_k)] = (idx, True)
    return raw, street_of


def _sample_tree(seg_a: np.ndarray, seg_b: np.ndarray, seg_len: np.ndarray) -> tuple[np.ndarray, cKDTree]:
    """Points every ``SAMPLE_SPACING_M`` along each segment (ends included), their segments and KD-tree."""
    counts = np.ceil(seg_len / SAMPLE_SPACING_M).astype(np.int64) + 1
    seg_ids = np.repeat(np.arange(len(seg_len)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    local = np.arange(counts.sum()) - starts
    t = local / np.maximum(counts - 1, 1)[seg_ids]
    pts = seg_a[seg_ids] + t[:, None] * (seg_b - seg_a)[seg_ids]
    return seg_ids, cKDTree(pts)


def build_streets(h: nx.MultiDiGraph, gidx: dict[Node, int], projection: Projection) -> StreetIndex:
    """The streets of the drivable graph ``h`` (``gidx``: node -> index in ``h``) and their snapping index."""
    raw, street_of = _pair_streets(h, gidx)
    # project every vertex at once, then cut per street
    counts = np.array([len(r[4]) for r in raw], dtype=np.int64)
    allc = np.concatenate([r[4] for r in raw])
    xy = projection.proj(allc[:, 1], allc[:, 0])
    step = np.hypot(*np.diff(xy, axis=0).T)
    ends = np.cumsum(counts)
    starts = ends - counts
    seg_mask = np.ones(len(xy) - 1, dtype=bool)
    seg_mask[ends[:-1] - 1] = False  # no segment across two streets
    step_in = np.where(seg_mask, step, 0.0)
    csum = np.concatenate([[0.0], np.cumsum(step_in)])
    streets = []
    for i, (u, v, k, rev_k, coords, name) in enumerate(raw):
        cum = csum[starts[i] : ends[i]] - csum[starts[i]]
        streets.append(Street(u, v, k, rev_k, coords, cum, name))

    seg_first = np.flatnonzero(seg_mask)  # segment j goes from vertex j to j+1
    seg_a, seg_b = xy[seg_first], xy[seg_first + 1]
    vert_street = np.repeat(np.arange(len(raw)), counts)
    seg_street = vert_street[seg_first]
    seg_off = csum[seg_first] - csum[starts[seg_street]]
    seg_len = np.hypot(*(seg_b - seg_a).T)
    pt_seg, tree = _sample_tree(seg_a, seg_b, seg_len)
    return StreetIndex(streets, street_of, seg_a, seg_b, seg_street, seg_off, seg_len, pt_seg, tree)
