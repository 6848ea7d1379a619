#!/usr/bin/env python
"""Benchmark RoadNetwork.matrices against a plain networkx Dijkstra loop on the whole Paris graph.

For each size N: N random junctions (seeded) become sites; we time one COLD ``matrices`` call
(cache cleared first), then the networkx loop ``nx.single_source_dijkstra_path_length(G, src,
weight="travel_time")`` for every source, keeping the N targets. Peak memory is the tracemalloc
peak (Python + NumPy allocations) during a second cold ``matrices`` call, run separately so
tracing does not slow the timed call.

    python scripts/bench_matrix.py                    # sizes 50 200 500 1000, table
    python scripts/bench_matrix.py --sizes 100 --json # one JSON line per size
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch.roads import RoadNetwork, default_graph_path  # noqa: E402


def _sites(net: RoadNetwork, n: int, seed: int):
    rng = np.random.default_rng(seed)
    nodes = [net.routing_nodes[int(i)] for i in rng.choice(net.n, size=n, replace=False)]
    sites = [net.snap(f"s{i}", net.graph.nodes[v]["y"], net.graph.nodes[v]["x"]) for i, v in enumerate(nodes)]
    return nodes, sites


def _networkx(net: RoadNetwork, nodes: list, max_sources: int, budget_s: float, sample: int):
    """Returns (seconds, extrapolated?, sources run, sample rows)."""
    graph = net.graph
    targets = set(nodes)
    rows = {}
    start = time.perf_counter()
    for count, src in enumerate(nodes, start=1):
        dist = nx.single_source_dijkstra_path_length(graph, src, weight="travel_time")
        rows[src] = {t: dist[t] for t in targets}
        elapsed = time.perf_counter() - start
        if count == len(nodes):
            return elapsed, False, count, rows
        if count >= sample:
            estimate = elapsed / count * len(nodes)
            if len(nodes) > max_sources or estimate > budget_s:
                return estimate, True, count, rows
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500, 1000])
    ap.add_argument("--graph", type=Path, default=None, help="graph file (default: bundled Paris graph)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", action="store_true", help="print one JSON line per size instead of a table")
    ap.add_argument("--networkx-max", type=int, default=1000, help="extrapolate networkx above this many sources")
    ap.add_argument("--networkx-budget-s", type=float, default=120.0, help="extrapolate if the loop would take longer")
    ap.add_argument("--networkx-sample", type=int, default=25, help="sources timed before extrapolating")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    net = RoadNetwork.load(args.graph or default_graph_path())
    load_s = time.perf_counter() - t0
    if not args.json:
        print(f"graph: {net}")
        print(f"load: {load_s:.2f} s (GraphML parse + filters + CSR + KD-tree)\n")
        print(f"{'sites':>6} {'ours (s)':>9} {'networkx (s)':>13} {'ratio':>7} {'peak MB':>8}  check / note")

    for n in args.sizes:
        nodes, sites = _sites(net, n, args.seed + n)
        net.clear_cache()
        t = time.perf_counter()
        m = net.matrices(sites)
        ours = time.perf_counter() - t
        assert net.cache.rows_computed == len({(s.edge, s.edge_key, round(s.fraction, 9)) for s in sites})

        net.clear_cache()
        tracemalloc.start()
        net.matrices(sites)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        net.clear_cache()

        nx_s, extrapolated, ran, rows = _networkx(net, nodes, args.networkx_max, args.networkx_budget_s, args.networkx_sample)
        pos = {v: i for i, v in enumerate(nodes)}
        diff = max(abs(m.durations[pos[s]][pos[t]] - round(d)) for s, row in rows.items() for t, d in row.items())
        ratio = nx_s / ours
        note = f"max |ours - networkx| = {diff} s on {ran} rows"
        if extrapolated:
            note += f" (networkx extrapolated from {ran} sources)"
        if args.json:
            print(
                json.dumps(
                    {
                        "sites": n,
                        "ours_s": round(ours, 4),
                        "networkx_s": round(nx_s, 3),
                        "ratio": round(ratio, 1),
                        "peak_mb": round(peak / 2**20, 1),
                        "networkx_extrapolated": extrapolated,
                        "networkx_sources": ran,
                        "max_abs_diff_s": diff,
                        "load_s": round(load_s, 2),
                    }
                ),
                flush=True,
            )
        else:
            print(f"{n:>6} {ours:>9.3f} {nx_s:>13.2f} {ratio:>6.0f}x {peak / 2**20:>8.1f}  {note}", flush=True)
    if not args.json:
        print("\npeak MB: tracemalloc peak (Python + NumPy allocations) during one cold matrices() call")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
