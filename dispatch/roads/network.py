"""Road network: loading, snapping, travel-time/distance matrices, leg geometry.

Weights are handled as *packed* float64 numbers so that one Dijkstra run yields both the
travel time and the length of the same path, exactly:

* time-major weight  ``w = t_ms + l_dm * 2**-24``  (integer milliseconds, integer decimetres)
* length-major weight ``w = l_dm + t_ms * 2**-29``

Every edge weight is a dyadic number with at most 53 significant bits, so the sums computed by
``scipy.sparse.csgraph.dijkstra`` are exact as long as a path stays under 2**29 ms (149 h) and
2**24 dm (1,677 km). The fastest path wins; among equally fast paths the shortest one wins.
``floor(w)`` is the time and ``frac(w) * 2**24`` the length along that path.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import math
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from dispatch.roads.errors import RoadGraphError, SiteTooFar, SiteUnreachable
from dispatch.roads.speeds import DEFAULT_SPEEDS_KPH, edge_speed_kph, is_drivable
from dispatch.roads.timeofday import TimeOfDayProfile

__all__ = ["RoadNetwork", "SnappedSite", "Matrices", "Leg", "MatrixCache"]

MODEL_VERSION = "roads-1"
EARTH_RADIUS_M = 6_371_008.8
_T_FRAC = 2.0**-24  # length (dm) packed below time (ms)
_L_FRAC = 2.0**-29  # time (ms) packed below length (dm)
_AT_NODE_M = 1.0  # a site within 1 m of an edge end is treated as standing on that junction
_SAMPLE_SPACING_M = 15.0  # spacing of the KD-tree sample points along street segments
_DIJKSTRA_CHUNK = 64  # sources per scipy call (bounds the dense (chunk x n) result)

Node = Hashable


# --------------------------------------------------------------------------------------------
# Public value types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnappedSite:
    """A site placed on the road network.

    The site is modelled at its exact position on the street (``fraction`` of the way along the
    directed edge ``edge``); a van leaves it by driving to either end of the street it is allowed
    to drive to (one-way streets: only forward) and reaches it from the allowed end(s).
    ``node`` is the nearer end junction, for callers that need a plain graph node.
    """

    key: str
    lat: float
    lon: float
    edge: tuple[Node, Node]  # (u, v): a drivable direction of the street
    fraction: float  # 0..1 along u -> v (by geometry)
    distance_m: float  # from (lat, lon) to the street
    node: Node  # nearer end of the edge (informational)
    street_lat: float  # the snapped point on the street
    street_lon: float
    edge_key: int = 0  # MultiDiGraph key of (u, v)
    two_way: bool = False  # the street can also be driven v -> u
    network: str = field(default="", repr=False, compare=False)  # fingerprint of the network


@dataclass(frozen=True)
class Matrices:
    """Asymmetric travel matrices, ``[i][j]`` = from sites[i] to sites[j], diagonal 0."""

    keys: list[str]
    durations: list[list[int]]  # seconds, rounded, time-of-day factor applied
    distances: list[list[int]]  # metres along the fastest path, rounded
    factor: float = 1.0  # time-of-day factor applied to durations


@dataclass(frozen=True)
class Leg:
    from_key: str
    to_key: str
    coordinates: list[tuple[float, float]]  # (lon, lat) along the streets, site to site
    metres: int
    seconds: int


# --------------------------------------------------------------------------------------------
# Internal helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Street:
    u: Node
    v: Node
    k: Any
    rev_k: Any  # key of the reverse edge (v, u, rev_k) with the same geometry, or None
    coords: np.ndarray  # (m, 2) lon, lat from u to v
    cum_m: np.ndarray  # (m,) cumulative geometric length (projected metres)
    name: str | None


@dataclass
class _Anchor:
    """Routing view of one snapped position: virtual out/in edges, keyed by node index."""

    key: tuple
    street: tuple  # (u, v, k) canonical street id
    fraction: float
    out: dict[int, tuple[int, int]]  # node index -> (ms, dm) from the site to that node
    inn: dict[int, tuple[int, int]]  # node index -> (ms, dm) from that node to the site
    fwd: tuple[float, float]  # (s, m) of the whole street u -> v
    rev: tuple[float, float] | None  # (s, m) of v -> u if two-way


def _pack_time(ms: np.ndarray | int, dm: np.ndarray | int) -> Any:
    w = np.asarray(ms, dtype=np.float64) + np.asarray(dm, dtype=np.float64) * _T_FRAC
    return np.maximum(w, _T_FRAC)  # no zero weights (csgraph could treat them as non-edges)


def _pack_len(ms: np.ndarray | int, dm: np.ndarray | int) -> Any:
    w = np.asarray(dm, dtype=np.float64) + np.asarray(ms, dtype=np.float64) * _L_FRAC
    return np.maximum(w, _L_FRAC)


def _unpack_time(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ms = np.floor(w)
    return ms, (w - ms) / _T_FRAC


def _unpack_len(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dm = np.floor(w)
    return (w - dm) / _L_FRAC, dm


def _direct(a: _Anchor, b: _Anchor) -> tuple[int, int] | None:
    """(ms, dm) driving along the street from a to b when both are on the same street."""
    if a.street != b.street:
        return None
    d = b.fraction - a.fraction
    if d >= 0:
        return round(d * a.fwd[0] * 1000), round(d * a.fwd[1] * 10)
    if a.rev is not None:
        return round(-d * a.rev[0] * 1000), round(-d * a.rev[1] * 10)
    return None


def _read_graph(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox

    if not path.is_file():
        raise RoadGraphError(f"Road graph file not found: {path}")
    with open(path, "rb") as fh:
        magic = fh.read(3)
    opener: Any = gzip.open if magic[:2] == b"\x1f\x8b" else bz2.open if magic == b"BZh" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
    except OSError as exc:
        raise RoadGraphError(f"Cannot read road graph file {path}: {exc}") from exc
    try:
        if "<graphml" in head:
            if opener is open:
                return ox.load_graphml(path)
            with opener(path, "rt", encoding="utf-8") as fh:
                return ox.load_graphml(graphml_str=fh.read())
        if "<osm" in head:
            if opener is gzip.open:  # osmnx reads plain and .bz2 XML itself
                with tempfile.TemporaryDirectory() as tmp:
                    plain = Path(tmp) / "graph.osm"
                    with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
                        dst.write(src.read())
                    return ox.graph_from_xml(plain, retain_all=True)
            return ox.graph_from_xml(path, retain_all=True)
    except RoadGraphError:
        raise
    except Exception as exc:  # parse errors of all kinds: report them as a setup error
        raise RoadGraphError(f"Cannot parse road graph file {path}: {type(exc).__name__}: {exc}") from exc
    raise RoadGraphError(
        f"{path} is neither GraphML nor OSM XML (expected '<graphml' or '<osm' near the start; "
        f"gzip and bz2 compression are accepted)"
    )


def _is_true(value: Any) -> bool:
    """osmnx ``oneway``: bool, or 'True'/'yes'/'1'/'-1' strings in some files."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1", "-1"}
    return bool(value) if value is not None else False


def _as_float(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):  # handled: not a number in the OSM tag: the default speed applies
        return None
    return f if math.isfinite(f) else None


# --------------------------------------------------------------------------------------------
# Matrix cache
# --------------------------------------------------------------------------------------------


class MatrixCache:
    """Per-network store of packed site-to-site weights, LRU-evicted by site position.

    Entries are keyed by the network fingerprint and the sites' routing positions (anchors).
    Adding sites to a cached set computes only the rows (forward Dijkstra from each new site)
    and columns (Dijkstra on the transposed graph to each new site) that are missing.
    Counters: ``rows_computed``, ``columns_computed`` (Dijkstra sources run for each) and
    ``dijkstra_runs`` (all single-source Dijkstra runs, including ``nearest``/``leg_path``).
    """

    def __init__(self, fingerprint: str, max_sites: int = 3000) -> None:
        if max_sites < 2:
            raise ValueError("max_sites must be >= 2")
        self.fingerprint = fingerprint
        self.max_sites = max_sites
        self.lock = threading.RLock()  # matrices() may be called from several request threads
        self.clear()

    def clear(self) -> None:
        self._slots: OrderedDict[tuple, int] = OrderedDict()  # anchor key -> slot (LRU order)
        self._anchors: dict[tuple, _Anchor] = {}
        self._by_street: dict[tuple, set[tuple]] = {}
        self._free: list[int] = []
        self._w = np.zeros((0, 0), dtype=np.float64)
        self.rows_computed = 0
        self.columns_computed = 0
        self.dijkstra_runs = 0

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, anchor_key: tuple) -> bool:
        return anchor_key in self._slots

    def _grow(self, needed: int) -> None:
        cap = self._w.shape[0]
        if needed <= cap:
            return
        new_cap = min(max(needed, 2 * cap, 64), max(self.max_sites, needed))
        w = np.zeros((new_cap, new_cap), dtype=np.float64)
        w[:cap, :cap] = self._w
        self._free.extend(range(cap, new_cap))
        self._w = w

    def _evict_for(self, n_new: int, keep: set[tuple]) -> None:
        limit = max(self.max_sites, len(keep))
        for key in list(self._slots):
            if len(self._slots) + n_new <= limit:
                break
            if key in keep:
                continue
            slot = self._slots.pop(key)
            anchor = self._anchors.pop(key)
            self._by_street[anchor.street].discard(key)
            self._free.append(slot)


# --------------------------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------------------------


class RoadNetwork:
    """A drivable road graph with fast snapping and matrix computation. Build with ``load``."""

    def __init__(self) -> None:  # use RoadNetwork.load / RoadNetwork.from_graph
        raise TypeError("use RoadNetwork.load(path, ...) or RoadNetwork.from_graph(G, ...)")

    # ---------------------------------------------------------------- construction

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        van_speed_factor: float = 1.0,
        time_of_day: TimeOfDayProfile | None = None,
        max_cached_sites: int = 3000,
    ) -> RoadNetwork:
        """Load GraphML (.graphml, .graphml.gz) or OSM XML (.osm/.xml, optionally .gz/.bz2).

        ``van_speed_factor`` multiplies car speeds (0.85 recommended, see
        ``RECOMMENDED_VAN_SPEED_FACTOR``). ``time_of_day`` defaults to
        ``TimeOfDayProfile.default()``; pass ``TimeOfDayProfile.flat()`` to disable it.
        """
        path = Path(path)
        graph = _read_graph(path)
        return cls.from_graph(
            graph,
            van_speed_factor=van_speed_factor,
            time_of_day=time_of_day,
            source=str(path),
            max_cached_sites=max_cached_sites,
        )

    @classmethod
    def from_graph(
        cls,
        graph: nx.MultiDiGraph,
        *,
        van_speed_factor: float = 1.0,
        time_of_day: TimeOfDayProfile | None = None,
        source: str = "<graph>",
        max_cached_sites: int = 3000,
    ) -> RoadNetwork:
        """Build from an in-memory osmnx-style graph (validated exactly like ``load``)."""
        if not (isinstance(van_speed_factor, (int, float)) and 0 < van_speed_factor <= 2):
            raise ValueError(f"van_speed_factor must be in (0, 2], got {van_speed_factor!r}")
        self = object.__new__(cls)
        self.source = source
        self.van_speed_factor = float(van_speed_factor)
        self.time_of_day = time_of_day if time_of_day is not None else TimeOfDayProfile.default()
        self._build(graph)
        self.cache = MatrixCache(self.fingerprint, max_sites=max_cached_sites)
        return self

    def _build(self, g: nx.MultiDiGraph) -> None:
        src = self.source
        if not g.is_directed():
            raise RoadGraphError(f"Road graph {src} must be directed (a MultiDiGraph, as osmnx builds)")
        if g.number_of_edges() == 0:
            raise RoadGraphError(f"Road graph {src} has no edges")
        bad_xy = [n for n, d in g.nodes(data=True) if _as_float(d.get("x")) is None or _as_float(d.get("y")) is None]
        if bad_xy:
            raise RoadGraphError(
                f"Road graph {src}: {len(bad_xy)} of {g.number_of_nodes()} nodes lack numeric 'x' "
                f"(longitude) / 'y' (latitude) attributes, e.g. node {bad_xy[0]!r}"
            )
        edges = list(g.edges(keys=True, data=True)) if g.is_multigraph() else [
            (u, v, 0, d) for u, v, d in g.edges(data=True)
        ]
        bad_len = [(u, v) for u, v, _, d in edges if not (_as_float(d.get("length")) or 0.0) >= 0.0 or _as_float(d.get("length")) is None]
        if bad_len:
            raise RoadGraphError(
                f"Road graph {src}: {len(bad_len)} of {len(edges)} edges lack a numeric 'length' "
                f"(metres) attribute, e.g. edge {bad_len[0]!r}"
            )
        self.tagged = any("highway" in d for _, _, _, d in edges)
        if not self.tagged:
            bad_tt = [(u, v) for u, v, _, d in edges if (_as_float(d.get("travel_time")) or -1) <= 0]
            if bad_tt:
                raise RoadGraphError(
                    f"Road graph {src}: edges need either OSM 'highway' tags (speeds are then "
                    f"derived from maxspeed/highway) or a positive 'travel_time' (seconds); "
                    f"{len(bad_tt)} of {len(edges)} edges have neither, e.g. edge {bad_tt[0]!r}"
                )

        # 1. drivable graph with van travel times
        h = nx.MultiDiGraph()
        h.graph.update(g.graph)
        factor = self.van_speed_factor
        dropped_edges = 0
        for u, v, k, d in edges:
            if u == v:
                continue
            length = float(d["length"])
            if self.tagged:
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
        self.graph = h
        self.dropped_edges = dropped_edges

        # 2. node arrays (all drivable nodes) and projection
        all_nodes = list(h.nodes)
        self._gidx = {n: i for i, n in enumerate(all_nodes)}
        self._all_nodes = all_nodes
        lon = np.array([float(h.nodes[n]["x"]) for n in all_nodes])
        lat = np.array([float(h.nodes[n]["y"]) for n in all_nodes])
        self._lon, self._lat = lon, lat
        self.bbox = (float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max()))
        self._lat0 = float((lat.min() + lat.max()) / 2)
        self._lon0 = float((lon.min() + lon.max()) / 2)
        self._kx = EARTH_RADIUS_M * math.cos(math.radians(self._lat0)) * math.pi / 180
        self._ky = EARTH_RADIUS_M * math.pi / 180

        # 3. largest strongly connected component = routing graph
        scc = max(nx.strongly_connected_components(h), key=len)
        self.routing_nodes = [n for n in all_nodes if n in scc]
        self.dropped_nodes = frozenset(n for n in all_nodes if n not in scc)
        self._idx = {n: i for i, n in enumerate(self.routing_nodes)}
        self.n = len(self.routing_nodes)

        # 4. CSR over the SCC: per (u, v) the fastest edge (time-major) / shortest (length-major)
        best_t: dict[tuple[int, int], tuple[float, Any]] = {}
        best_l: dict[tuple[int, int], tuple[float, Any]] = {}
        for u, v, k, d in h.edges(keys=True, data=True):
            iu, iv = self._idx.get(u), self._idx.get(v)
            if iu is None or iv is None:
                continue
            ms, dm = max(1, round(d["travel_time"] * 1000)), max(1, round(d["length"] * 10))
            wt, wl = ms + dm * _T_FRAC, dm + ms * _L_FRAC  # same as _pack_time/_pack_len
            if (iu, iv) not in best_t or wt < best_t[(iu, iv)][0]:
                best_t[(iu, iv)] = (wt, k)
            if (iu, iv) not in best_l or wl < best_l[(iu, iv)][0]:
                best_l[(iu, iv)] = (wl, k)
        pairs = sorted(best_t)
        self._rows = np.array([p[0] for p in pairs], dtype=np.int32)
        self._cols = np.array([p[1] for p in pairs], dtype=np.int32)
        self._wt = np.array([best_t[p][0] for p in pairs])
        self._wl = np.array([best_l[p][0] for p in pairs])
        self._edge_key = {p: best_t[p][1] for p in pairs}
        shape = (self.n, self.n)
        self.csr_time = sp.csr_matrix((self._wt, (self._rows, self._cols)), shape=shape)
        self.csr_length = sp.csr_matrix((self._wl, (self._rows, self._cols)), shape=shape)

        # 5. streets (one per two-way pair) and the snapping KD-tree
        self._build_streets()

        # 6. fingerprint: graph content + speed parameters
        hsh = hashlib.sha256()
        hsh.update(MODEL_VERSION.encode())
        hsh.update(repr((self.van_speed_factor, self.tagged, sorted(DEFAULT_SPEEDS_KPH.items()))).encode())
        hsh.update(self.time_of_day.signature().encode())
        hsh.update("\x00".join(map(str, all_nodes)).encode())
        hsh.update(np.round(lon, 7).tobytes() + np.round(lat, 7).tobytes())
        hsh.update(self._rows.tobytes() + self._cols.tobytes() + self._wt.tobytes() + self._wl.tobytes())
        hsh.update(self._seg_a.round(2).tobytes() + self._seg_b.round(2).tobytes())
        self.fingerprint = hsh.hexdigest()[:24]

    def _proj(self, lat: Any, lon: Any) -> np.ndarray:
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        return np.stack([(lon - self._lon0) * self._kx, (lat - self._lat0) * self._ky], axis=-1)

    def _unproj(self, xy: np.ndarray) -> tuple[float, float]:
        return float(xy[1] / self._ky + self._lat0), float(xy[0] / self._kx + self._lon0)

    def _edge_coords(self, u: Node, v: Node, k: Any) -> np.ndarray:
        d = self.graph[u][v][k]
        nu, nv = self.graph.nodes[u], self.graph.nodes[v]
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

    def _build_streets(self) -> None:
        h = self.graph
        gidx = self._gidx
        street_of: dict[tuple, tuple[int, bool]] = {}  # (u, v, k) -> (street idx, reversed?)
        raw: list[tuple[Node, Node, Any, Any, np.ndarray, str | None]] = []
        for u, v, k, d in h.edges(keys=True, data=True):
            if (u, v, k) in street_of:
                continue
            rev_k = None
            if h.has_edge(v, u) and not _is_true(d.get("oneway")):
                coords_f = self._edge_coords(u, v, k) if d.get("geometry") is not None else None
                best = None
                for k2, d2 in h[v][u].items():
                    if (v, u, k2) in street_of or _is_true(d2.get("oneway")):
                        continue
                    diff = abs(d2["length"] - d["length"])
                    if diff > max(1.0, 0.02 * d["length"]):
                        continue
                    if (coords_f is None) != (d2.get("geometry") is None):
                        continue  # one is straight, the other is not: another street
                    if coords_f is not None:
                        coords_r = self._edge_coords(v, u, k2)[::-1]
                        if coords_r.shape != coords_f.shape or not np.allclose(coords_r, coords_f, atol=2e-6):
                            continue  # another street between the same junctions
                    if best is None or diff < best[0]:
                        best = (diff, k2)
                rev_k = best[1] if best else None
            if rev_k is not None and gidx[u] > gidx[v]:  # canonical direction: lower index first
                u, v, k, rev_k = v, u, rev_k, k
                d = h[u][v][k]
            names = d.get("name")
            name = names if isinstance(names, str) else (", ".join(map(str, names)) if isinstance(names, list) else None)
            idx = len(raw)
            raw.append((u, v, k, rev_k, self._edge_coords(u, v, k), name))
            street_of[(u, v, k)] = (idx, False)
            if rev_k is not None:
                street_of[(v, u, rev_k)] = (idx, True)
        self._street_of = street_of

        # project every vertex at once, then cut per street
        counts = np.array([len(r[4]) for r in raw], dtype=np.int64)
        allc = np.concatenate([r[4] for r in raw])
        xy = self._proj(allc[:, 1], allc[:, 0])
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
            streets.append(_Street(u, v, k, rev_k, coords, cum, name))
        self._streets = streets

        seg_first = np.flatnonzero(seg_mask)  # segment j goes from vertex j to j+1
        self._seg_a = xy[seg_first]
        self._seg_b = xy[seg_first + 1]
        vert_street = np.repeat(np.arange(len(raw)), counts)
        self._seg_street = vert_street[seg_first]
        self._seg_off = csum[seg_first] - csum[starts[self._seg_street]]
        seg_len = np.hypot(*(self._seg_b - self._seg_a).T)
        self._seg_len = seg_len
        counts = np.ceil(seg_len / _SAMPLE_SPACING_M).astype(np.int64) + 1
        seg_ids = np.repeat(np.arange(len(seg_len)), counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        local = np.arange(counts.sum()) - starts
        t = local / np.maximum(counts - 1, 1)[seg_ids]
        pts = self._seg_a[seg_ids] + t[:, None] * (self._seg_b - self._seg_a)[seg_ids]
        self._pt_seg = seg_ids
        self._tree = cKDTree(pts)

    # ---------------------------------------------------------------- queries

    def __repr__(self) -> str:
        return (
            f"RoadNetwork({self.source!r}, nodes={self.n}/{len(self._all_nodes)} routable, "
            f"edges={len(self._wt)}, van_speed_factor={self.van_speed_factor}, "
            f"fingerprint={self.fingerprint})"
        )

    def contains(self, lat: float, lon: float, *, margin_m: float = 500.0) -> bool:
        """True if (lat, lon) lies inside the graph's bounding box grown by ``margin_m``."""
        dlat = margin_m / self._ky
        dlon = margin_m / self._kx
        s, w, n, e = self.bbox
        return (s - dlat) <= lat <= (n + dlat) and (w - dlon) <= lon <= (e + dlon)

    def _seg_distances(self, p: np.ndarray, segs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._seg_a[segs], self._seg_b[segs]
        ab = b - a
        denom = np.einsum("ij,ij->i", ab, ab)
        t = np.where(denom > 0, np.einsum("ij,ij->i", p - a, ab) / np.where(denom > 0, denom, 1), 0.0)
        t = np.clip(t, 0.0, 1.0)
        q = a + t[:, None] * ab
        return np.hypot(*(p - q).T), t

    def snap(self, key: str, lat: float, lon: float, *, max_distance_m: float = 300) -> SnappedSite:
        """Snap a site to the nearest drivable street (exact point-to-segment projection).

        Raises ``SiteTooFar`` beyond ``max_distance_m`` and ``SiteUnreachable`` when the nearest
        street lies outside the largest strongly connected component.
        """
        if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise SiteTooFar(key, lat, lon, float("inf"), max_distance_m, outside_area=True)
        if not max_distance_m > 0:
            raise ValueError(f"max_distance_m must be > 0, got {max_distance_m!r}")
        p = self._proj(lat, lon)
        half = _SAMPLE_SPACING_M / 2
        k = min(16, self._tree.n)
        d0, i0 = self._tree.query(p, k=k)
        cand = np.unique(self._pt_seg[np.atleast_1d(i0)])
        dist, _ = self._seg_distances(p, cand)
        best = float(dist.min())
        if float(np.atleast_1d(d0)[0]) - half > max_distance_m:  # every street is too far
            raise SiteTooFar(key, lat, lon, best, max_distance_m, outside_area=not self.contains(lat, lon))
        ball = self._tree.query_ball_point(p, r=best + half + 1e-6)
        cand = np.unique(np.concatenate([cand, self._pt_seg[np.asarray(ball, dtype=np.int64)]]))
        dist, tseg = self._seg_distances(p, cand)
        j = int(np.argmin(dist))  # ties: lowest segment index (deterministic)
        seg = int(cand[j])
        dist_m = float(dist[j])
        if dist_m > max_distance_m:
            raise SiteTooFar(key, lat, lon, dist_m, max_distance_m, outside_area=not self.contains(lat, lon))
        street = self._streets[int(self._seg_street[seg])]
        geom_len = float(street.cum_m[-1])
        along = float(self._seg_off[seg] + tseg[j] * self._seg_len[seg])
        fraction = min(1.0, max(0.0, along / geom_len)) if geom_len > 0 else 0.0
        q = self._seg_a[seg] + tseg[j] * (self._seg_b[seg] - self._seg_a[seg])
        s_lat, s_lon = self._unproj(q)
        if street.u in self.dropped_nodes or street.v in self.dropped_nodes:
            raise SiteUnreachable(key, lat, lon, dist_m, street.name)
        return SnappedSite(
            key=key,
            lat=float(lat),
            lon=float(lon),
            edge=(street.u, street.v),
            fraction=fraction,
            distance_m=dist_m,
            node=street.u if fraction < 0.5 else street.v,
            street_lat=s_lat,
            street_lon=s_lon,
            edge_key=street.k,
            two_way=street.rev_k is not None,
            network=self.fingerprint,
        )

    # ---------------------------------------------------------------- anchors

    def _street_for(self, site: SnappedSite) -> _Street:
        if site.network and site.network != self.fingerprint:
            raise ValueError(
                f"Site {site.key!r} was snapped on a different road network "
                f"({site.network} != {self.fingerprint}); snap it again"
            )
        ref = self._street_of.get((site.edge[0], site.edge[1], site.edge_key))
        if ref is None:
            raise ValueError(f"Site {site.key!r}: edge {site.edge!r} is not in this road network")
        street = self._streets[ref[0]]
        if street.u in self.dropped_nodes or street.v in self.dropped_nodes:
            raise SiteUnreachable(site.key, site.lat, site.lon, site.distance_m, street.name)
        return street

    def _anchor(self, site: SnappedSite) -> _Anchor:
        street = self._street_for(site)
        flipped = self._street_of[(site.edge[0], site.edge[1], site.edge_key)][1]
        f = 1.0 - site.fraction if flipped else site.fraction
        f = min(1.0, max(0.0, f))
        h = self.graph
        fd = h[street.u][street.v][street.k]
        fwd = (float(fd["travel_time"]), float(fd["length"]))
        rev = None
        if street.rev_k is not None:
            rd = h[street.v][street.u][street.rev_k]
            rev = (float(rd["travel_time"]), float(rd["length"]))
        iu, iv = self._idx[street.u], self._idx[street.v]

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
        if f * fwd[1] < _AT_NODE_M:  # standing on junction u
            put(out, iu, (0, 0))
            put(inn, iu, (0, 0))
        if (1 - f) * fwd[1] < _AT_NODE_M:  # standing on junction v
            put(out, iv, (0, 0))
            put(inn, iv, (0, 0))
        akey = (street.u, street.v, street.k, round(f, 9))
        return _Anchor(akey, (street.u, street.v, street.k), f, out, inn, fwd, rev)

    def _augmented(self, anchors: Sequence[_Anchor], mode: str = "time") -> sp.csr_matrix:
        """Base CSR plus, for anchor j, a source node n+2j (out) and a sink node n+2j+1 (in)."""
        pack = _pack_time if mode == "time" else _pack_len
        base_w = self._wt if mode == "time" else self._wl
        rows, cols, ms, dm = [], [], [], []
        for j, a in enumerate(anchors):
            o, i = self.n + 2 * j, self.n + 2 * j + 1
            for node, (t, l) in a.out.items():
                rows.append(o), cols.append(node), ms.append(t), dm.append(l)
            for node, (t, l) in a.inn.items():
                rows.append(node), cols.append(i), ms.append(t), dm.append(l)
        size = self.n + 2 * len(anchors)
        r = np.concatenate([self._rows, np.asarray(rows, dtype=np.int32)])
        c = np.concatenate([self._cols, np.asarray(cols, dtype=np.int32)])
        w = np.concatenate([base_w, pack(np.asarray(ms, dtype=np.int64), np.asarray(dm, dtype=np.int64))])
        return sp.csr_matrix((w, (r, c)), shape=(size, size))

    def _run(self, graph: sp.csr_matrix, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Packed shortest-path weights sources x targets, in chunks (one Dijkstra per source)."""
        out = np.empty((len(sources), len(targets)), dtype=np.float64)
        for s in range(0, len(sources), _DIJKSTRA_CHUNK):
            chunk = sources[s : s + _DIJKSTRA_CHUNK]
            dist = dijkstra(graph, directed=True, indices=chunk)
            out[s : s + len(chunk)] = dist[:, targets]
        self.cache.dijkstra_runs += len(sources)
        return out

    # ---------------------------------------------------------------- matrices

    def _packed_matrix(self, anchors: list[_Anchor]) -> np.ndarray:
        cache = self.cache
        want = {a.key for a in anchors}
        new = [a for a in anchors if a.key not in cache]
        for a in anchors:
            if a.key in cache:
                cache._slots.move_to_end(a.key)
        if new:
            cache._evict_for(len(new), want)
            cache._grow(len(cache) + len(new))
            old = [cache._anchors[k] for k in cache._slots]
            for a in new:
                slot = cache._free.pop()
                cache._slots[a.key] = slot
                cache._anchors[a.key] = a
                cache._by_street.setdefault(a.street, set()).add(a.key)
            everyone = old + new
            graph = self._augmented(everyone, "time")
            n_old = len(old)
            outs = self.n + 2 * np.arange(len(everyone))
            ins = outs + 1
            s_all = np.array([cache._slots[a.key] for a in everyone])
            s_new, s_old = s_all[n_old:], s_all[:n_old]
            w = cache._w
            rows = self._run(graph, outs[n_old:], ins)  # new -> everyone
            cache.rows_computed += len(new)
            w[np.ix_(s_new, s_all)] = rows
            if n_old:
                if len(new) <= n_old:  # columns: Dijkstra on the reversed graph to each new site
                    cols = self._run(graph.T.tocsr(), ins[n_old:], outs[:n_old])
                    w[np.ix_(s_old, s_new)] = cols.T
                    cache.columns_computed += len(new)
                else:  # cheaper to run forward from the old sites
                    part = self._run(graph, outs[:n_old], ins[n_old:])
                    w[np.ix_(s_old, s_new)] = part
                    cache.rows_computed += n_old
            for a in new:  # same street: driving straight along it may beat leaving it
                sa = cache._slots[a.key]
                w[sa, sa] = 0.0
                for bk in cache._by_street[a.street]:
                    if bk == a.key:
                        continue
                    b, sb = cache._anchors[bk], cache._slots[bk]
                    for x, y, sx, sy in ((a, b, sa, sb), (b, a, sb, sa)):
                        direct = _direct(x, y)
                        if direct is not None:
                            w[sx, sy] = min(w[sx, sy], float(_pack_time(*direct)))
        slots = np.array([cache._slots[a.key] for a in anchors], dtype=np.int64)
        return cache._w[np.ix_(slots, slots)]

    def matrices(self, sites: Sequence[SnappedSite], *, depart_at: int | None = None) -> Matrices:
        """Travel-time (s) and distance (m) matrices between snapped sites.

        Times are for the fastest path; distances are the length of that same path. With
        ``depart_at`` (seconds since midnight) all durations are multiplied by the time-of-day
        factor at that time (one factor per matrix).
        """
        keys = [s.key for s in sites]
        if not sites:
            return Matrices(keys, [], [], 1.0)
        factor = self.time_of_day.factor_at(depart_at) if depart_at is not None else 1.0
        anchors_by_key: dict[tuple, _Anchor] = {}
        order = []
        for s in sites:
            a = self._anchor(s)
            anchors_by_key.setdefault(a.key, a)
            order.append(a.key)
        uniq = list(anchors_by_key.values())
        with self.cache.lock:
            packed = self._packed_matrix(uniq)
        if not np.isfinite(packed).all():  # cannot happen inside one SCC; guard anyway
            raise RoadGraphError("internal error: unreachable pair inside the routing component")
        pos = {a.key: i for i, a in enumerate(uniq)}
        sel = np.array([pos[k] for k in order])
        packed = packed[np.ix_(sel, sel)]
        ms, dm = _unpack_time(packed)
        dur = np.rint(ms / 1000.0 * factor).astype(np.int64)
        dist = np.rint(dm / 10.0).astype(np.int64)
        np.fill_diagonal(dur, 0)
        np.fill_diagonal(dist, 0)
        return Matrices(keys, dur.tolist(), dist.tolist(), factor)

    def clear_cache(self) -> None:
        """Forget every cached row/column and reset the counters."""
        with self.cache.lock:
            self.cache.clear()

    # ---------------------------------------------------------------- single-source queries

    def nearest(
        self, origin: SnappedSite, candidates: Sequence[SnappedSite], k: int
    ) -> list[tuple[SnappedSite, int, int]]:
        """The ``k`` candidates closest to ``origin`` by road distance (shortest path in metres).

        Returns ``(site, metres, seconds)`` ascending by metres (ties: seconds, then input
        order); seconds are the driving time along that shortest path, without time-of-day
        factor. Candidates with the origin's key are skipped. One Dijkstra from the origin.
        """
        if k <= 0 or not candidates:
            return []
        a0 = self._anchor(origin)
        cands = [c for c in candidates if c.key != origin.key]
        anchors = [a0] + [self._anchor(c) for c in cands]
        graph = self._augmented(anchors, "length")
        ins = self.n + 2 * np.arange(len(anchors)) + 1
        packed = self._run(graph, np.array([self.n]), ins)[0]
        res = []
        for i, (c, a) in enumerate(zip(cands, anchors[1:]), start=1):
            w = packed[i]
            if a.key == a0.key:
                w = 0.0
            direct = _direct(a0, a)
            if direct is not None:
                w = min(w, float(_pack_len(*direct)))
            if not math.isfinite(w):
                continue
            ms, dm = _unpack_len(np.array(w))
            res.append((int(round(float(dm) / 10)), int(round(float(ms) / 1000)), i, c))
        res.sort(key=lambda r: (r[0], r[1], r[2]))
        return [(c, m, s) for m, s, _, c in res[:k]]

    def _sub(self, street: _Street, f0: float, f1: float) -> list[tuple[float, float]]:
        """Coordinates along ``street`` from fraction f0 to f1 (reversed if f1 < f0)."""
        cum = street.cum_m
        total = float(cum[-1])
        lo, hi = sorted((f0, f1))
        a, b = lo * total, hi * total

        def point(dist: float) -> tuple[float, float]:
            j = int(np.clip(np.searchsorted(cum, dist, side="right") - 1, 0, len(cum) - 2))
            seg = cum[j + 1] - cum[j]
            t = 0.0 if seg <= 0 else (dist - cum[j]) / seg
            p = street.coords[j] + t * (street.coords[j + 1] - street.coords[j])
            return float(p[0]), float(p[1])

        inner = [tuple(map(float, street.coords[j])) for j in range(len(cum)) if a < cum[j] < b]
        pts = [point(a)] + inner + [point(b)]
        return pts if f1 >= f0 else pts[::-1]

    def leg_path(self, a: SnappedSite, b: SnappedSite, *, depart_at: int | None = None) -> Leg:
        """The fastest path from ``a`` to ``b`` along the streets, with its metres and seconds.

        ``metres``/``seconds`` equal the corresponding ``matrices`` entries.
        """
        factor = self.time_of_day.factor_at(depart_at) if depart_at is not None else 1.0
        aa, bb = self._anchor(a), self._anchor(b)
        sa, sb = self._street_for(a), self._street_for(b)
        if aa.key == bb.key:
            p = self._sub(sa, aa.fraction, aa.fraction)
            return Leg(a.key, b.key, p, 0, 0)
        graph = self._augmented([aa, bb], "time")
        dist, pred = dijkstra(graph, directed=True, indices=self.n, return_predecessors=True)
        self.cache.dijkstra_runs += 1
        target = self.n + 3
        best = float(dist[target])
        direct = _direct(aa, bb)
        if direct is not None and float(_pack_time(*direct)) <= best:
            best = float(_pack_time(*direct))
            coords = self._sub(sa, aa.fraction, bb.fraction)
        else:
            path = [target]
            while path[-1] != self.n:
                path.append(int(pred[path[-1]]))
            path.reverse()  # [a_out, x1, ..., xm, b_in]
            nodes = [self.routing_nodes[i] for i in path[1:-1]]
            x1, xm = nodes[0], nodes[-1]
            # leave a's street towards x1 (one of its two ends; self-loops were dropped)
            coords = self._sub(sa, aa.fraction, 1.0 if x1 == sa.v else 0.0)
            for u, v in zip(nodes, nodes[1:]):
                k = self._edge_key[(self._idx[u], self._idx[v])]
                coords.extend(map(tuple, self._edge_coords(u, v, k).tolist()))
            coords.extend(self._sub(sb, 1.0 if xm == sb.v else 0.0, bb.fraction))
        # drop consecutive duplicates
        clean = [coords[0]]
        for c in coords[1:]:
            if c != clean[-1]:
                clean.append(c)
        if len(clean) == 1:
            clean.append(clean[0])
        ms, dm = _unpack_time(np.array(best))
        return Leg(a.key, b.key, clean, int(round(float(dm) / 10)), int(round(float(ms) / 1000 * factor)))

    def legs_geojson(self, sites: Sequence[SnappedSite], *, depart_at: int | None = None) -> dict:
        """GeoJSON FeatureCollection of the legs sites[0]->sites[1]->... (LineStrings)."""
        features = []
        for a, b in zip(sites, sites[1:]):
            leg = self.leg_path(a, b, depart_at=depart_at)
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
