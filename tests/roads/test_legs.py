from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from dispatch.roads import RoadNetwork

from .helpers import haversine_m, polyline_m
from .test_matrices import node_sites


def _random_sites(net: RoadNetwork, n: int, seed: int):
    rng = np.random.default_rng(seed)
    s, w, nn, e = net.bbox
    sites = []
    while len(sites) < n:
        try:
            sites.append(net.snap(f"r{len(sites)}", rng.uniform(s, nn), rng.uniform(w, e), max_distance_m=200))
        except Exception:  # unreachable / too far: draw again
            continue
    return sites


@pytest.mark.parametrize("which", ["osm", "paris"])
def test_leg_geometry_and_length_match_the_matrix(which: str, request) -> None:
    net: RoadNetwork = request.getfixturevalue(which)
    sites = _random_sites(net, 6, seed=4)
    m = net.matrices(sites)
    for i, a in enumerate(sites):
        for j, b in enumerate(sites):
            if i == j:
                continue
            leg = net.leg_path(a, b)
            assert (leg.from_key, leg.to_key) == (a.key, b.key)
            assert leg.metres == m.distances[i][j]
            assert leg.seconds == m.durations[i][j]
            (lon0, lat0), (lon1, lat1) = leg.coordinates[0], leg.coordinates[-1]
            assert haversine_m(a.lat, a.lon, lat0, lon0) == pytest.approx(a.distance_m, abs=0.5)
            assert haversine_m(b.lat, b.lon, lat1, lon1) == pytest.approx(b.distance_m, abs=0.5)
            geo = polyline_m(leg.coordinates)
            if which == "osm":  # real OSM geometry: drawn length == routed length
                assert geo == pytest.approx(leg.metres, rel=0.03, abs=5)
            else:  # Hash Code streets are straight segments; 'length' is the real (curved) length
                assert geo <= leg.metres * 1.01 + 5


def test_legs_geojson(osm: RoadNetwork) -> None:
    sites = _random_sites(osm, 4, seed=9)
    fc = osm.legs_geojson(sites, depart_at=8 * 3600)
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 3
    f = fc["features"][0]
    assert f["geometry"]["type"] == "LineString" and len(f["geometry"]["coordinates"]) >= 2
    assert set(f["properties"]) == {"from", "to", "km", "minutes"}
    leg = osm.leg_path(sites[0], sites[1], depart_at=8 * 3600)
    assert f["properties"] == {
        "from": "r0",
        "to": "r1",
        "km": round(leg.metres / 1000, 3),
        "minutes": round(leg.seconds / 60, 1),
    }


def test_nearest_matches_brute_force_networkx_ranking(paris: RoadNetwork) -> None:
    sites = node_sites(paris, 41, seed=8)
    (origin_node, origin), cands = sites[0], sites[1:]
    lengths = nx.single_source_dijkstra_path_length(paris.graph, origin_node, weight="length")
    brute = sorted((lengths[n], s.key) for n, s in cands)
    got = paris.nearest(origin, [s for _, s in cands] + [origin], k=10)
    assert len(got) == 10
    assert [m for _, m, _ in got] == pytest.approx([d for d, _ in brute[:10]], abs=1)
    assert [s.key for s, _, _ in got] == [k for _, k in brute[:10]]
    assert all(sec > 0 for _, _, sec in got)
    assert paris.nearest(origin, [s for _, s in cands], k=0) == []


def test_leg_to_itself_is_empty(osm: RoadNetwork) -> None:
    a = _random_sites(osm, 1, seed=1)[0]
    leg = osm.leg_path(a, a)
    assert leg.metres == 0 and leg.seconds == 0 and len(leg.coordinates) == 2
