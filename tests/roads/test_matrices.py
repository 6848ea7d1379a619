from __future__ import annotations

import networkx as nx
import numpy as np
import osmnx as ox
import pytest

from dispatch.roads import RoadNetwork, TimeOfDayProfile
from dispatch.roads.speeds import as_list

from .conftest import OSM_TEST_GRAPH
from .helpers import edge_coords, point_along


def node_sites(net: RoadNetwork, n: int, seed: int):
    """Sites placed exactly on random junctions (so node-to-node networkx answers apply)."""
    rng = np.random.default_rng(seed)
    sites = []
    for i in rng.choice(net.n, size=n, replace=False):
        node = net.routing_nodes[int(i)]
        d = net.graph.nodes[node]
        site = net.snap(f"n{node}", d["y"], d["x"])
        if site.distance_m < 0.01 and site.node == node:
            sites.append((node, site))
    return sites


def _lexicographic(u, v, edges) -> float:
    """Fastest first, then shortest: integer ms with the length (dm) in the low bits (as documented)."""
    return min(round(d["travel_time"] * 1000) + round(d["length"] * 10) * 2.0**-24 for d in edges.values())


def _fastest(graph, src):
    """networkx reference: fastest times, and the length of the shortest among the fastest paths.

    The Hash Code data has integer travel times, so equally fast paths are common and plain
    networkx picks any of them; the module documents "fastest, then shortest".
    """
    seconds = nx.single_source_dijkstra_path_length(graph, src, weight="travel_time")
    packed = nx.single_source_dijkstra_path_length(graph, src, weight=_lexicographic)
    return seconds, {n: (w - int(w)) * 2**24 / 10 for n, w in packed.items()}


def test_matrices_agree_with_networkx(paris: RoadNetwork) -> None:
    sites = node_sites(paris, 12, seed=1)
    assert len(sites) >= 10
    m = paris.matrices([s for _, s in sites])
    for i, (a, _) in enumerate(sites):
        seconds, metres = _fastest(paris.graph, a)
        for j, (b, _) in enumerate(sites):
            if i == j:
                assert m.durations[i][j] == 0 and m.distances[i][j] == 0
                continue
            assert abs(m.durations[i][j] - seconds[b]) <= 1, (a, b)
            assert abs(m.distances[i][j] - metres[b]) <= 1, (a, b)
    assert m.durations != [list(r) for r in zip(*m.durations)]  # asymmetric overall


def test_one_way_street_makes_the_matrix_asymmetric(osm: RoadNetwork) -> None:
    g = osm.graph
    one_way = [
        (u, v, k, d)
        for u, v, k, d in g.edges(keys=True, data=True)
        if u in osm._idx and v in osm._idx and not g.has_edge(v, u) and d["length"] > 150
    ]
    assert one_way
    u, v, k, d = one_way[0]
    coords = edge_coords(g, u, v, k)
    a = osm.snap("A", *point_along(coords, 0.2))
    b = osm.snap("B", *point_along(coords, 0.8))
    assert a.edge == b.edge == (u, v) and not a.two_way
    m = osm.matrices([a, b])
    ab, ba = m.distances[0][1], m.distances[1][0]
    assert ab == pytest.approx(0.6 * d["length"], abs=3)  # straight down the street
    assert ba > ab  # must go round the block
    assert m.durations[1][0] > m.durations[0][1]


def test_two_way_street_is_driven_directly_both_ways(osm: RoadNetwork) -> None:
    g = osm.graph
    u, v, k, d = next(
        (u, v, k, d)
        for u, v, k, d in g.edges(keys=True, data=True)
        if u in osm._idx and v in osm._idx and g.has_edge(v, u) and d["length"] > 150
    )
    coords = edge_coords(g, u, v, k)
    a = osm.snap("A", *point_along(coords, 0.3))
    b = osm.snap("B", *point_along(coords, 0.7))
    assert a.two_way
    m = osm.matrices([a, b])
    assert m.distances[0][1] == pytest.approx(0.4 * d["length"], abs=3)
    assert m.distances[1][0] == pytest.approx(0.4 * d["length"], abs=3)


def test_pedestrian_edges_are_not_used(osm: RoadNetwork) -> None:
    raw = ox.load_graphml(OSM_TEST_GRAPH)
    drivable_pairs = {(u, v) for u, v in osm.graph.edges()}
    idx_pairs = {(osm.routing_nodes[r], osm.routing_nodes[c]) for r, c in zip(*osm.csr_time.nonzero())}
    assert idx_pairs <= drivable_pairs
    shortcuts = []
    for u, v, d in raw.edges(data=True):
        hw = as_list(d.get("highway"))
        # (cycle tracks run beside boulevards, so driving can be as short: use pedestrian streets)
        if "pedestrian" in hw and u in osm._idx and v in osm._idx:
            if (u, v) not in drivable_pairs and d["length"] > 30:
                shortcuts.append((u, v, d["length"]))
    assert shortcuts, "the test graph has pedestrian links between drivable junctions"
    sites = {}
    for n in {x for u, v, _ in shortcuts for x in (u, v)}:
        nd = osm.graph.nodes[n]
        sites[n] = osm.snap(str(n), nd["y"], nd["x"])
    keys = list(sites)
    m = osm.matrices([sites[n] for n in keys])
    pos = {n: i for i, n in enumerate(keys)}
    longer = [m.distances[pos[u]][pos[v]] > length + 1 for u, v, length in shortcuts]
    assert all(longer)


def test_incremental_cache_computes_only_the_new_row_and_column(fresh_paris: RoadNetwork) -> None:
    net = fresh_paris
    sites = [s for _, s in node_sites(net, 11, seed=5)][:11]
    first = net.matrices(sites[:10])
    assert (net.cache.rows_computed, net.cache.columns_computed) == (10, 0)
    runs = net.cache.dijkstra_runs
    second = net.matrices(sites)
    assert net.cache.rows_computed == 11  # one new row ...
    assert net.cache.columns_computed == 1  # ... and one new column
    assert net.cache.dijkstra_runs == runs + 2
    assert [r[:10] for r in second.durations[:10]] == first.durations
    again = net.matrices(list(reversed(sites)))  # fully cached, any order
    assert net.cache.dijkstra_runs == runs + 2
    assert again.durations[0][1] == second.durations[10][9]
    net.clear_cache()
    cold = net.matrices(sites)
    assert cold.durations == second.durations and cold.distances == second.distances


def test_cache_eviction_keeps_results_correct(osm: RoadNetwork) -> None:
    net = RoadNetwork.load(OSM_TEST_GRAPH, max_cached_sites=4)
    s, w, n, e = net.bbox
    rng = np.random.default_rng(11)
    sites = []
    while len(sites) < 7:
        try:
            sites.append(net.snap(f"s{len(sites)}", rng.uniform(s, n), rng.uniform(w, e), max_distance_m=500))
        except Exception:
            continue
    a = net.matrices(sites[:4])
    net.matrices(sites[3:7])
    assert len(net.cache) <= 4
    b = net.matrices(sites[:4])
    assert a == b
    reference = osm.matrices(sites[:4])
    assert a.durations == reference.durations


def test_duplicates_and_trivial_inputs(osm: RoadNetwork) -> None:
    nd = osm.graph.nodes[osm.routing_nodes[10]]
    a = osm.snap("a", nd["y"], nd["x"])
    b = osm.snap("b", nd["y"], nd["x"])
    assert osm.matrices([]).durations == []
    assert osm.matrices([a]).durations == [[0]]
    m = osm.matrices([a, b])
    assert m.durations == [[0, 0], [0, 0]] and m.keys == ["a", "b"]


def test_time_of_day_scales_durations_not_distances(osm: RoadNetwork) -> None:
    sites = [s for _, s in node_sites(osm, 6, seed=2)]
    noon = osm.matrices(sites, depart_at=12 * 3600)
    rush = osm.matrices(sites, depart_at=8 * 3600)
    free = osm.matrices(sites)
    assert noon.durations == free.durations and noon.factor == 1.0
    assert rush.factor == 1.3
    assert rush.distances == noon.distances
    for r_row, n_row in zip(rush.durations, noon.durations):
        for r, n in zip(r_row, n_row):
            assert abs(r - 1.3 * n) <= 1
    assert sum(map(sum, rush.durations)) > sum(map(sum, noon.durations))


def test_leg_time_follows_maxspeed_and_time_of_day() -> None:
    raw = ox.load_graphml(OSM_TEST_GRAPH)
    net = RoadNetwork.from_graph(raw, time_of_day=TimeOfDayProfile.default())
    g = net.graph
    u, v, k, d = next(
        (u, v, k, d)
        for u, v, k, d in g.edges(keys=True, data=True)
        if u in net._idx and v in net._idx and not g.has_edge(v, u) and d["length"] > 150 and d.get("maxspeed") == "30"
    )
    coords = edge_coords(g, u, v, k)
    pa, pb = point_along(coords, 0.1), point_along(coords, 0.9)
    leg = net.leg_path(net.snap("A", *pa), net.snap("B", *pb))
    assert leg.seconds == round(0.8 * d["length"] / (30 / 3.6))

    slower = raw.copy()
    slower[u][v][k]["maxspeed"] = "15"
    net15 = RoadNetwork.from_graph(slower)
    leg15 = net15.leg_path(net15.snap("A", *pa), net15.snap("B", *pb))
    assert leg15.metres == leg.metres
    assert leg15.seconds == round(0.8 * d["length"] / (15 / 3.6))

    rush = net.leg_path(net.snap("A", *pa), net.snap("B", *pb), depart_at=17 * 3600)
    assert rush.seconds == round(0.8 * d["length"] / (30 / 3.6) * 1.35)

    van = RoadNetwork.from_graph(raw, van_speed_factor=0.85)
    leg_van = van.leg_path(van.snap("A", *pa), van.snap("B", *pb))
    assert leg_van.seconds == round(0.8 * d["length"] / (30 * 0.85 / 3.6))


def test_default_speeds_apply_without_maxspeed() -> None:
    raw = ox.load_graphml(OSM_TEST_GRAPH)
    for *_, d in raw.edges(data=True):
        d.pop("maxspeed", None)
    net = RoadNetwork.from_graph(raw)
    for *_, d in net.graph.edges(data=True):
        hw = as_list(d["highway"])
        expected = min({"service": 15, "living_street": 20}.get(h, 30) for h in hw)
        assert d["speed_kph"] == pytest.approx(expected)
