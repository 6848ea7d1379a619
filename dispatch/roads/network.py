"""The road network: a drivable street graph, loaded once, that snaps sites and answers travel matrices,
nearest sites and leg paths.

``RoadNetwork.load`` / ``from_graph`` build it (``street_graph.py``: checks and van travel times;
``routing.py``: the routing graph; ``streets.py``: the snapping index); ``snap`` places a site on its
street (``SiteTooFar`` / ``SiteUnreachable``); ``matrices`` answers from the network's ``MatrixCache``
(``matrix_cache.py``); ``nearest`` and ``leg_path`` run one Dijkstra each (``legs.py`` for the geometry).
Times and lengths travel together as packed weights (``packing.py``): distances are the length of the
fastest path.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

from dispatch.roads.errors import RoadGraphError, SiteTooFar, SiteUnreachable
from dispatch.roads.graph_file import read_graph
from dispatch.roads.legs import Leg, feature_collection, path_coordinates, without_repeats
from dispatch.roads.matrix_cache import MatrixCache
from dispatch.roads.packing import pack_len, pack_time, unpack_len, unpack_time
from dispatch.roads.routing import Anchor, RoutingGraph, anchor_at, direct, shortest
from dispatch.roads.street_graph import Node, Projection, checked_edges, drivable_graph, fingerprint
from dispatch.roads.streets import Street, build_streets
from dispatch.roads.timeofday import TimeOfDayProfile

__all__ = ["RoadNetwork", "SnappedSite", "Matrices"]


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
        graph = read_graph(path)
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
        edges, self.tagged = checked_edges(g, self.source)
        # 1. drivable graph with van travel times
        h, self.dropped_edges = drivable_graph(
            g, edges, tagged=self.tagged, factor=self.van_speed_factor, src=self.source
        )
        self.graph = h
        # 2. node arrays (all drivable nodes) and projection
        all_nodes = list(h.nodes)
        self._all_nodes = all_nodes
        lon = np.array([float(h.nodes[n]["x"]) for n in all_nodes])
        lat = np.array([float(h.nodes[n]["y"]) for n in all_nodes])
        self.bbox = (float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max()))
        self.projection = Projection.around(lat, lon)
        # 3. largest strongly connected component = routing graph, one CSR edge per (u, v)
        routing = self.routing = RoutingGraph.build(h, all_nodes)
        self.routing_nodes = routing.nodes
        self.dropped_nodes = routing.dropped_nodes
        self._idx = routing.idx
        self.n = routing.n
        self.csr_time, self.csr_length = routing.csr_time, routing.csr_length
        # 4. streets (one per two-way pair) and the snapping KD-tree
        self.streets = build_streets(h, {n: i for i, n in enumerate(all_nodes)}, self.projection)
        # 5. fingerprint: graph content + speed parameters
        self.fingerprint = fingerprint(
            van_speed_factor=self.van_speed_factor,
            tagged=self.tagged,
            time_signature=self.time_of_day.signature(),
            nodes=all_nodes,
            lon=lon,
            lat=lat,
            weights=(routing.rows, routing.cols, routing.wt, routing.wl),
            segments=(self.streets.seg_a, self.streets.seg_b),
        )

    # ---------------------------------------------------------------- queries

    def __repr__(self) -> str:
        return (
            f"RoadNetwork({self.source!r}, nodes={self.n}/{len(self._all_nodes)} routable, "
            f"edges={len(self.routing.wt)}, van_speed_factor={self.van_speed_factor}, "
            f"fingerprint={self.fingerprint})"
        )

    def contains(self, lat: float, lon: float, *, margin_m: float = 500.0) -> bool:
        """True if (lat, lon) lies inside the graph's bounding box grown by ``margin_m``."""
        dlat = margin_m / self.projection.ky
        dlon = margin_m / self.projection.kx
        s, w, n, e = self.bbox
        return (s - dlat) <= lat <= (n + dlat) and (w - dlon) <= lon <= (e + dlon)

    def snap(self, key: str, lat: float, lon: float, *, max_distance_m: float = 300) -> SnappedSite:
        """Snap a site to the nearest drivable street (exact point-to-segment projection).

        Raises ``SiteTooFar`` beyond ``max_distance_m`` and ``SiteUnreachable`` when the nearest
        street lies outside the largest strongly connected component.
        """
        if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise SiteTooFar(key, lat, lon, float("inf"), max_distance_m, outside_area=True)
        if not max_distance_m > 0:
            raise ValueError(f"max_distance_m must be > 0, got {max_distance_m!r}")
        hit = self.streets.closest(self.projection.proj(lat, lon), max_distance_m)
        if hit.segment is None or hit.distance_m > max_distance_m:
            raise SiteTooFar(key, lat, lon, hit.distance_m, max_distance_m, outside_area=not self.contains(lat, lon))
        street, fraction, q = self.streets.position(hit.segment, hit.t)
        s_lat, s_lon = self.projection.unproj(q)
        if street.u in self.dropped_nodes or street.v in self.dropped_nodes:
            raise SiteUnreachable(key, lat, lon, hit.distance_m, street.name)
        return SnappedSite(
            key=key,
            lat=float(lat),
            lon=float(lon),
            edge=(street.u, street.v),
            fraction=fraction,
            distance_m=hit.distance_m,
            node=street.u if fraction < 0.5 else street.v,
            street_lat=s_lat,
            street_lon=s_lon,
            edge_key=street.k,
            two_way=street.rev_k is not None,
            network=self.fingerprint,
        )

    # ---------------------------------------------------------------- anchors

    def _street_for(self, site: SnappedSite) -> Street:
        if site.network and site.network != self.fingerprint:
            raise ValueError(
                f"Site {site.key!r} was snapped on a different road network "
                f"({site.network} != {self.fingerprint}); snap it again"
            )
        ref = self.streets.street_of.get((site.edge[0], site.edge[1], site.edge_key))
        if ref is None:
            raise ValueError(f"Site {site.key!r}: edge {site.edge!r} is not in this road network")
        street = self.streets.streets[ref[0]]
        if street.u in self.dropped_nodes or street.v in self.dropped_nodes:
            raise SiteUnreachable(site.key, site.lat, site.lon, site.distance_m, street.name)
        return street

    def _anchor(self, site: SnappedSite) -> Anchor:
        street = self._street_for(site)
        flipped = self.streets.street_of[(site.edge[0], site.edge[1], site.edge_key)][1]
        f = 1.0 - site.fraction if flipped else site.fraction
        f = min(1.0, max(0.0, f))
        return anchor_at(street, f, self.graph, self._idx)

    # ---------------------------------------------------------------- matrices

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
        anchors_by_key: dict[tuple, Anchor] = {}
        order = []
        for s in sites:
            a = self._anchor(s)
            anchors_by_key.setdefault(a.key, a)
            order.append(a.key)
        uniq = list(anchors_by_key.values())
        with self.cache.lock:
            packed = self.cache.packed(uniq, self.routing)
        if not np.isfinite(packed).all():  # cannot happen inside one SCC; guard anyway
            raise RoadGraphError("internal error: unreachable pair inside the routing component")
        pos = {a.key: i for i, a in enumerate(uniq)}
        sel = np.array([pos[k] for k in order])
        packed = packed[np.ix_(sel, sel)]
        ms, dm = unpack_time(packed)
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
        graph = self.routing.augmented(anchors, "length")
        ins = self.n + 2 * np.arange(len(anchors)) + 1
        packed = shortest(graph, np.array([self.n]), ins)[0]
        self.cache.dijkstra_runs += 1
        res = []
        for i, (c, a) in enumerate(zip(cands, anchors[1:]), start=1):
            w = packed[i]
            if a.key == a0.key:
                w = 0.0
            along = direct(a0, a)
            if along is not None:
                w = min(w, float(pack_len(*along)))
            if not math.isfinite(w):
                continue
            ms, dm = unpack_len(np.array(w))
            res.append((int(round(float(dm) / 10)), int(round(float(ms) / 1000)), i, c))
        res.sort(key=lambda r: (r[0], r[1], r[2]))
        return [(c, m, s) for m, s, _, c in res[:k]]

    def leg_path(self, a: SnappedSite, b: SnappedSite, *, depart_at: int | None = None) -> Leg:
        """The fastest path from ``a`` to ``b`` along the streets, with its metres and seconds.

        ``metres``/``seconds`` equal the corresponding ``matrices`` entries.
        """
        factor = self.time_of_day.factor_at(depart_at) if depart_at is not None else 1.0
        aa, bb = self._anchor(a), self._anchor(b)
        sa, sb = self._street_for(a), self._street_for(b)
        if aa.key == bb.key:
            return Leg(a.key, b.key, sa.between(aa.fraction, aa.fraction), 0, 0)
        graph = self.routing.augmented([aa, bb], "time")
        dist, pred = dijkstra(graph, directed=True, indices=self.n, return_predecessors=True)
        self.cache.dijkstra_runs += 1
        best = float(dist[self.n + 3])
        along = direct(aa, bb)
        if along is not None and float(pack_time(*along)) <= best:
            best = float(pack_time(*along))
            coords = sa.between(aa.fraction, bb.fraction)
        else:
            coords = path_coordinates(self.graph, self.routing, pred, (sa, aa.fraction), (sb, bb.fraction))
        ms, dm = unpack_time(np.array(best))
        return Leg(
            a.key, b.key, without_repeats(coords), int(round(float(dm) / 10)), int(round(float(ms) / 1000 * factor))
        )

    def legs_geojson(self, sites: Sequence[SnappedSite], *, depart_at: int | None = None) -> dict:
        """GeoJSON FeatureCollection of the legs sites[0]->sites[1]->... (LineStrings)."""
        return feature_collection([self.leg_path(a, b, depart_at=depart_at) for a, b in zip(sites, sites[1:])])
