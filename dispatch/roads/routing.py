"""The routing graph and routing between snapped positions.

``RoutingGraph.build`` keeps the largest strongly connected component of the drivable graph (every pair of
its nodes is reachable both ways) as CSR matrices of packed weights (``dispatch/roads/packing.py``), one
edge per (u, v): the fastest for time-major weights, the shortest for length-major ones. An ``Anchor`` is
a site's routing view: virtual edges from the site to the ends of its street and back. ``augmented`` adds
the anchors of some sites to the base graph; ``shortest`` runs Dijkstra on it in chunks; ``direct`` is
the drive along one street between two sites on it, which may beat leaving the street.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from dispatch.roads.packing import L_FRAC, T_FRAC, pack_len, pack_time
from dispatch.roads.street_graph import Node
from dispatch.roads.streets import Street

AT_NODE_M = 1.0  # a site within 1 m of an edge end is treated as standing on that junction
DIJKSTRA_CHUNK = 64  # sources per scipy call (bounds the dense (chunk x n) result)


@dataclass
class Anchor:
    """Routing view of one snapped position: virtual out/in edges, keyed by node index."""

    key: tuple
    street: tuple  # (u, v, k) canonical street id
    fraction: float
    out: dict[int, tuple[int, int]]  # node index -> (ms, dm) from the site to that node
    inn: dict[int, tuple[int, int]]  # node index -> (ms, dm) from that node to the site
    fwd: tuple[float, float]  # (s, m) of the whole street u -> v
    rev: tuple[float, float] | None  # (s, m) of v -> u if two-way


def anchor_at(street: Street, f: float, graph: nx.MultiDiGraph, idx: dict[Node, int]) -> Anchor:
    """The anchor of the position at fraction ``f`` (canonical direction) along ``street``."""
    fd = graph[street.u][street.v][street.k]
    fwd = (float(fd["travel_time"]), float(fd["length"]))
    rev = None
    if street.rev_k is not None:
        rd = graph[street.v][street.u][street.rev_k]
        rev = (float(rd["travel_time"]), float(rd["length"]))
    iu, iv = idx[street.u], idx[street.v]

    def part(frac: float, tl: tuple[float, float]) -> tuple[int, int]:
        return round(frac * tl[0] * 1000), round(frac * tl[1] * 10)

    def put(dct: dict[int, tuple[int, int]], node: int, val: tuple[int, int]) -> None:
        if node not in dct or val < dct[node]:
            dct[node] = val

    out: dict[int, tuple[int, int]] = {}
    inn: dict[int, tuple[int, int]] = {}
    put(out, iv, part(1 - f, fwd))
    put(inn, iu, part(f, fwd))
    if rev is not None:
        put(out, iu, part(f, rev))
        put(inn, iv, part(1 - f, rev))
    if f * fwd[1] < AT_NODE_M:  # standing on junction u
        put(out, iu, (0, 0))
        put(inn, iu, (0, 0))
    if (1 - f) * fwd[1] < AT_NODE_M:  # standing on junction v
        put(out, iv, (0, 0))
        put(inn, iv, (0, 0))
    akey = (street.u, street.v, street.k, round(f, 9))
    return Anchor(akey, (street.u, street.v, street.k), f, out, inn, fwd, rev)


def direct(a: Anchor, b: Anchor) -> tuple[int, int] | None:
    """(ms, dm) driving along the street from a to b when both are on the same street."""
    if a.street != b.street:
        return None
    d = b.fraction - a.fraction
    if d >= 0:
        return round(d * a.fwd[0] * 1000), round(d * a.fwd[1] * 10)
    if a.rev is not None:
        return round(-d * a.rev[0] * 1000), round(-d * a.rev[1] * 10)
    return None


def shortest(graph: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Packed shortest-path weights sources x targets, in chunks (one Dijkstra per source)."""
    out = np.empty((len(sources), len(targets)), dtype=np.float64)
    for s in range(0, len(sources), DIJKSTRA_CHUNK):
        chunk = sources[s : s + DIJKSTRA_CHUNK]
        dist = dijkstra(graph, directed=True, indices=chunk)
        out[s : s + len(chunk)] = dist[:, targets]
    return out


@dataclass(frozen=True, eq=False)
class RoutingGraph:
    """The largest strongly connected component of the drivable graph, as packed-weight CSR matrices."""

    nodes: list[Node]  # routing nodes, in the drivable graph's order
    dropped_nodes: frozenset  # drivable nodes outside the component
    idx: dict[Node, int]
    rows: np.ndarray
    cols: np.ndarray
    wt: np.ndarray  # time-major weights of the edges (rows, cols)
    wl: np.ndarray  # length-major weights
    edge_key: dict[tuple[int, int], Any]  # (row, col) -> key of the fastest edge
    csr_time: sp.csr_matrix
    csr_length: sp.csr_matrix

    @property
    def n(self) -> int:
        return len(self.nodes)

    @classmethod
    def build(cls, h: nx.MultiDiGraph, all_nodes: list[Node]) -> RoutingGraph:
        scc = max(nx.strongly_connected_components(h), key=len)
        nodes = [n for n in all_nodes if n in scc]
        dropped = frozenset(n for n in all_nodes if n not in scc)
        idx = {n: i for i, n in enumerate(nodes)}
        # per (u, v) the fastest edge (time-major) / shortest (length-major)
        best_t: dict[tuple[int, int], tuple[float, Any]] = {}
        best_l: dict[tuple[int, int], tuple[float, Any]] = {}
        for u, v, k, d in h.edges(keys=True, data=True):
            iu, iv = idx.get(u), idx.get(v)
            if iu is None or iv is None:
                continue
            ms, dm = max(1, round(d["travel_time"] * 1000)), max(1, round(d["length"] * 10))
            wt, wl = ms + dm * T_FRAC, dm + ms * L_FRAC  # same as pack_time/pack_len
            if (iu, iv) not in best_t or wt < best_t[(iu, iv)][0]:
                best_t[(iu, iv)] = (wt, k)
            if (iu, iv) not in best_l or wl < best_l[(iu, iv)][0]:
                best_l[(iu, iv)] = (wl, k)
        pairs = sorted(best_t)
        rows = np.array([p[0] for p in pairs], dtype=np.int32)
        cols = np.array([p[1] for p in pairs], dtype=np.int32)
        wts = np.array([best_t[p][0] for p in pairs])
        wls = np.array([best_l[p][0] for p in pairs])
        shape = (len(nodes), len(nodes))
        return cls(
            nodes, dropped, idx, rows, cols, wts, wls, {p: best_t[p][1] for p in pairs},
            sp.csr_matrix((wts, (rows, cols)), shape=shape), sp.csr_matrix((wls, (rows, cols)), shape=shape),
        )

    def augmented(self, anchors: Sequence[Anchor], mode: str = "time") -> sp.csr_matrix:
        """Base CSR plus, for anchor j, a source node n+2j (out) and a sink node n+2j+1 (in)."""
        pack = pack_time if mode == "time" else pack_len
        base_w = self.wt if mode == "time" else self.wl
        n = self.n
        rows, cols, ms, dm = [], [], [], []
        for j, a in enumerate(anchors):
            o, i = n + 2 * j, n + 2 * j + 1
            for node, (t, length) in a.out.items():
                rows.append(o), cols.append(node), ms.append(t), dm.append(length)
            for node, (t, length) in a.inn.items():
                rows.append(node), cols.append(i), ms.append(t), dm.append(length)
        size = n + 2 * len(anchors)
        r = np.concatenate([self.rows, np.asarray(rows, dtype=np.int32)])
        c = np.concatenate([self.cols, np.asarray(cols, dtype=np.int32)])
        w = np.concatenate([base_w, pack(np.asarray(ms, dtype=np.int64), np.asarray(dm, dtype=np.int64))])
        return sp.csr_matrix((w, (r, c)), shape=(size, size))
