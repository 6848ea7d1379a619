from __future__ import annotations

import math

import numpy as np
import pytest

from dispatch.errors import InvalidInput
from dispatch.roads import RoadNetwork, SiteTooFar, SiteUnreachable

from .helpers import edge_coords, haversine_m, min_distance_to_edges_m, point_along


def test_point_on_a_node_snaps_with_zero_distance(paris: RoadNetwork) -> None:
    node = paris.routing_nodes[1234]
    d = paris.graph.nodes[node]
    site = paris.snap("n", d["y"], d["x"])
    assert site.distance_m == pytest.approx(0, abs=0.01)
    assert node in site.edge
    assert site.node == node
    assert site.network == paris.fingerprint


def test_point_50m_off_a_street_snaps_about_50m(paris: RoadNetwork) -> None:
    rng = np.random.default_rng(7)
    edges = list(paris.graph.edges(keys=True))
    tried = 0
    for i in rng.permutation(len(edges)):
        u, v, k = edges[i]
        c = edge_coords(paris.graph, u, v, k)
        (x1, y1), (x2, y2) = c[0], c[-1]
        if haversine_m(y1, x1, y2, x2) < 200:
            continue
        # 50 m to the left of the midpoint, perpendicular to the segment
        kx = 6_371_008.8 * math.cos(math.radians(y1)) * math.pi / 180
        ky = 6_371_008.8 * math.pi / 180
        dx, dy = (x2 - x1) * kx, (y2 - y1) * ky
        norm = math.hypot(dx, dy)
        lat = (y1 + y2) / 2 + (dx / norm) * 50 / ky
        lon = (x1 + x2) / 2 - (dy / norm) * 50 / kx
        expected = min_distance_to_edges_m(paris.graph, lat, lon)
        if abs(expected - 50) > 0.5:  # another street is closer than this one: try another
            tried += 1
            assert tried < 200
            continue
        site = paris.snap("s50", lat, lon)
        assert site.distance_m == pytest.approx(expected, abs=0.3)
        assert haversine_m(lat, lon, site.street_lat, site.street_lon) == pytest.approx(50, abs=0.5)
        assert {site.edge[0], site.edge[1]} == {u, v}
        return
    pytest.fail("no isolated street found")


def test_snap_distance_matches_brute_force_on_random_points(osm: RoadNetwork) -> None:
    rng = np.random.default_rng(3)
    s, w, n, e = osm.bbox
    checked = 0
    for _ in range(40):
        lat, lon = rng.uniform(s, n), rng.uniform(w, e)
        expected = min_distance_to_edges_m(osm.graph, lat, lon)
        try:
            site = osm.snap("r", lat, lon, max_distance_m=1000)
        except SiteUnreachable as exc:
            assert exc.distance_m == pytest.approx(expected, abs=0.3)
            continue
        assert site.distance_m == pytest.approx(expected, abs=0.3)
        checked += 1
    assert checked > 20


def test_far_point_raises_site_too_far_naming_the_site(paris: RoadNetwork) -> None:
    with pytest.raises(SiteTooFar) as info:
        paris.snap("Boulangerie Dupont", 48.935, 2.35)  # ~3.7 km north of the northern edge
    err = info.value
    assert isinstance(err, InvalidInput)
    assert "'Boulangerie Dupont'" in err.message
    assert "DISPATCH_MAX_SNAP_DISTANCE_M" in err.message
    assert "outside the area" in err.message
    assert err.distance_m > 2000


def test_max_distance_is_respected(paris: RoadNetwork) -> None:
    node = paris.routing_nodes[42]
    d = paris.graph.nodes[node]
    lat = d["y"] + 120 / 111_195  # 120 m north of a junction
    site = paris.snap("ok", lat, d["x"], max_distance_m=300)
    with pytest.raises(SiteTooFar, match="'tight'") as info:
        paris.snap("tight", lat, d["x"], max_distance_m=site.distance_m - 1)
    assert info.value.distance_m == pytest.approx(site.distance_m, abs=0.01)
    assert "outside the area" not in info.value.message


def test_point_on_street_cut_off_from_the_network_is_unreachable(osm: RoadNetwork) -> None:
    g = osm.graph
    cut = [(u, v, k) for u, v, k in g.edges(keys=True) if u in osm.dropped_nodes or v in osm.dropped_nodes]
    assert cut
    u, v, k = cut[0]
    lat, lon = point_along(edge_coords(g, u, v, k), 0.5)
    with pytest.raises(SiteUnreachable) as info:
        osm.snap("Rue coupée", lat, lon)
    assert "'Rue coupée'" in info.value.message
    assert "cut off" in info.value.message
    assert isinstance(info.value, InvalidInput)


def test_invalid_coordinates_are_refused(osm: RoadNetwork) -> None:
    with pytest.raises(SiteTooFar, match="invalid coordinates"):
        osm.snap("nan", float("nan"), 2.3)
    with pytest.raises(SiteTooFar, match="'swapped'.*outside the area"):
        osm.snap("swapped", 2.32, 48.88)  # latitude and longitude swapped
