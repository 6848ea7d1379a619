"""The matrix cache: packed site-to-site weights of one network, filled incrementally, LRU-evicted.

``MatrixCache.packed(anchors, routing)`` returns the packed time-major weights between the given anchors
(``dispatch/roads/routing.py``), computing only what the cache lacks: a forward Dijkstra from each new
site (its row) and, for the sites already cached, a Dijkstra on the transposed graph to each new site (its
column) or forward runs from the old sites, whichever is fewer. Callers hold ``lock``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from dispatch.roads.packing import pack_time
from dispatch.roads.routing import Anchor, RoutingGraph, direct, shortest


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
        self._anchors: dict[tuple, Anchor] = {}
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

    def _run(self, graph, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        self.dijkstra_runs += len(sources)
        return shortest(graph, sources, targets)

    def packed(self, anchors: list[Anchor], routing: RoutingGraph) -> np.ndarray:
        """Packed weights ``[i][j]`` from anchors[i] to anchors[j] (anchors with distinct keys)."""
        want = {a.key for a in anchors}
        new = [a for a in anchors if a.key not in self]
        for a in anchors:
            if a.key in self:
                self._slots.move_to_end(a.key)
        if new:
            self._evict_for(len(new), want)
            self._grow(len(self) + len(new))
            old = [self._anchors[k] for k in self._slots]
            for a in new:
                slot = self._free.pop()
                self._slots[a.key] = slot
                self._anchors[a.key] = a
                self._by_street.setdefault(a.street, set()).add(a.key)
            self._fill(old, new, routing)
            self._along_streets(new)
        slots = np.array([self._slots[a.key] for a in anchors], dtype=np.int64)
        return self._w[np.ix_(slots, slots)]

    def _fill(self, old: list[Anchor], new: list[Anchor], routing: RoutingGraph) -> None:
        """The rows of the new sites to everyone, and the old sites' columns to the new ones."""
        everyone = old + new
        graph = routing.augmented(everyone, "time")
        n_old = len(old)
        outs = routing.n + 2 * np.arange(len(everyone))
        ins = outs + 1
        s_all = np.array([self._slots[a.key] for a in everyone])
        s_new, s_old = s_all[n_old:], s_all[:n_old]
        w = self._w
        rows = self._run(graph, outs[n_old:], ins)  # new -> everyone
        self.rows_computed += len(new)
        w[np.ix_(s_new, s_all)] = rows
        if n_old:
            if len(new) <= n_old:  # columns: Dijkstra on the reversed graph to each new site
                cols = self._run(graph.T.tocsr(), ins[n_old:], outs[:n_old])
                w[np.ix_(s_old, s_new)] = cols.T
                self.columns_computed += len(new)
            else:  # cheaper to run forward from the old sites
                part = self._run(graph, outs[:n_old], ins[n_old:])
                w[np.ix_(s_old, s_new)] = part
                self.rows_computed += n_old

    def _along_streets(self, new: list[Anchor]) -> None:
        """Same street: driving straight along it may beat leaving it."""
        w = self._w
        for a in new:
            sa = self._slots[a.key]
            w[sa, sa] = 0.0
            for bk in self._by_street[a.street]:
                if bk == a.key:
                    continue
                b, sb = self._anchors[bk], self._slots[bk]
                for x, y, sx, sy in ((a, b, sa, sb), (b, a, sb, sa)):
                    d = direct(x, y)
                    if d is not None:
                        w[sx, sy] = min(w[sx, sy], float(pack_time(*d)))
