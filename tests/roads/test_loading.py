from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import networkx as nx
import osmnx as ox
import pytest

from dispatch.roads import (
    DEFAULT_SPEEDS_KPH,
    DRIVABLE_HIGHWAYS,
    RoadFetchError,
    RoadGraphError,
    RoadNetwork,
    TimeBand,
    TimeOfDayProfile,
    default_graph_path,
    fetch_graph,
    parse_maxspeed,
)
from dispatch.roads.speeds import as_list, is_drivable

from .conftest import OSM_TEST_GRAPH


def test_bundled_paris_graph_loads_offline(paris: RoadNetwork) -> None:
    assert default_graph_path().is_file()
    assert paris.n == 11_348  # whole graph is one strongly connected component
    assert not paris.dropped_nodes
    assert paris.csr_time.shape == (paris.n, paris.n)
    assert paris.csr_time.nnz == paris.csr_length.nnz > 20_000
    assert not paris.tagged
    assert paris.contains(48.8905, 2.3795)  # depot, 19e
    assert not paris.contains(48.95, 2.35)  # Saint-Denis
    assert not paris.contains(45.76, 4.83)  # Lyon


def test_osm_test_graph_loads_and_keeps_only_drivable_edges(osm: RoadNetwork) -> None:
    assert osm.tagged
    raw = ox.load_graphml(OSM_TEST_GRAPH)
    assert any("pedestrian" in as_list(d.get("highway")) for *_, d in raw.edges(data=True))
    for *_, d in osm.graph.edges(data=True):
        assert all(h in DRIVABLE_HIGHWAYS for h in as_list(d["highway"]))
        assert d["travel_time"] > 0
    assert osm.dropped_edges > 100  # the 72 pedestrian + 64 cycleway + 18 path edges, at least
    assert 0 < len(osm.dropped_nodes) < 0.2 * osm.graph.number_of_nodes()


def test_gzip_graphml_and_repr(tmp_path: Path) -> None:
    gz = tmp_path / "g.graphml.gz"
    with open(OSM_TEST_GRAPH, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    a = RoadNetwork.load(gz)
    b = RoadNetwork.load(OSM_TEST_GRAPH)
    assert a.fingerprint == b.fingerprint
    assert "fingerprint=" in repr(a)


def test_fingerprint_depends_on_speed_parameters(osm: RoadNetwork) -> None:
    slower = RoadNetwork.load(OSM_TEST_GRAPH, van_speed_factor=0.85)
    night = RoadNetwork.load(OSM_TEST_GRAPH, time_of_day=TimeOfDayProfile.flat(0.9))
    assert len({osm.fingerprint, slower.fingerprint, night.fingerprint}) == 3
    assert RoadNetwork.load(OSM_TEST_GRAPH).fingerprint == osm.fingerprint


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="48.8800" lon="2.3000"/>
  <node id="2" lat="48.8800" lon="2.3020"/>
  <node id="3" lat="48.8815" lon="2.3020"/>
  <node id="4" lat="48.8815" lon="2.3000"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="highway" v="residential"/><tag k="maxspeed" v="30"/><tag k="oneway" v="yes"/></way>
  <way id="11"><nd ref="1"/><nd ref="3"/><tag k="highway" v="footway"/></way>
</osm>
"""


def test_osm_xml_loads(tmp_path: Path) -> None:
    path = tmp_path / "tiny.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    net = RoadNetwork.load(path)
    assert net.tagged
    assert all(d["highway"] == "residential" for *_, d in net.graph.edges(data=True))  # footway gone
    a = net.snap("a", 48.8800, 2.3005)
    b = net.snap("b", 48.8800, 2.3015)
    m = net.matrices([a, b])
    assert m.distances[0][1] == pytest.approx(73, abs=2)  # 0.001 deg lon at 48.88 N
    assert m.distances[1][0] > 400  # one-way loop: all the way round
    assert m.durations[0][1] == round(m.distances[0][1] / (30 / 3.6))


def _tiny_graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs="epsg:4326")
    g.add_node(1, x=2.30, y=48.88)
    g.add_node(2, x=2.31, y=48.88)
    g.add_edge(1, 2, length=730.0, travel_time=60.0)
    g.add_edge(2, 1, length=730.0, travel_time=60.0)
    return g


def test_validation_messages_say_what_is_missing() -> None:
    g = _tiny_graph()
    RoadNetwork.from_graph(g)  # valid
    with pytest.raises(RoadGraphError, match="directed"):
        RoadNetwork.from_graph(nx.MultiGraph(g))
    bad = _tiny_graph()
    del bad.nodes[2]["y"]
    with pytest.raises(RoadGraphError, match=r"'y' \(latitude\)"):
        RoadNetwork.from_graph(bad)
    bad = _tiny_graph()
    del bad[1][2][0]["length"]
    with pytest.raises(RoadGraphError, match="'length'"):
        RoadNetwork.from_graph(bad)
    bad = _tiny_graph()
    del bad[1][2][0]["travel_time"]
    with pytest.raises(RoadGraphError, match="'highway' tags .* 'travel_time'"):
        RoadNetwork.from_graph(bad)
    with pytest.raises(ValueError, match="van_speed_factor"):
        RoadNetwork.from_graph(g, van_speed_factor=0)


def test_missing_or_foreign_file(tmp_path: Path) -> None:
    with pytest.raises(RoadGraphError, match="not found"):
        RoadNetwork.load(tmp_path / "nope.graphml")
    other = tmp_path / "x.graphml"
    other.write_text("hello", encoding="utf-8")
    with pytest.raises(RoadGraphError, match="neither GraphML nor OSM XML"):
        RoadNetwork.load(other)


def test_untagged_graph_uses_travel_time_scaled_by_van_factor() -> None:
    g = _tiny_graph()
    net = RoadNetwork.from_graph(g, van_speed_factor=0.8)
    a, b = net.snap("a", 48.88, 2.30), net.snap("b", 48.88, 2.31)
    assert net.matrices([a, b]).durations[0][1] == 75  # 60 s / 0.8


@pytest.mark.parametrize(
    "raw,kph",
    [
        ("30", 30),
        ("50", 50),
        ("FR:urban", 50),
        ("FR:zone30", 30),
        ("FR:rural", 80),
        ("20 mph", 32.18688),
        (["30", "50"], 30),
        ("['30', 'walk']", 6),
        ("30;50", 30),
        ("walk", 6),
        ("none", None),
        (None, None),
        ("signals", None),
    ],
)
def test_parse_maxspeed(raw, kph) -> None:
    assert parse_maxspeed(raw) == (pytest.approx(kph) if kph is not None else None)


def test_drivable_filter() -> None:
    assert is_drivable({"highway": "residential"})
    assert is_drivable({"highway": "service", "access": "permit"})
    for bad in (
        {"highway": "footway"},
        {"highway": "pedestrian"},
        {"highway": "cycleway"},
        {"highway": "path"},
        {"highway": "steps"},
        {"highway": "track"},
        {"highway": "['residential', 'pedestrian']"},
        {"highway": "residential", "access": "private"},
        {"highway": "residential", "access": "no"},
        {"highway": "residential", "motor_vehicle": "no"},
        {"highway": "service", "service": "emergency_access"},
        {},
    ):
        assert not is_drivable(bad), bad
    assert set(DEFAULT_SPEEDS_KPH) == set(DRIVABLE_HIGHWAYS)
    assert DEFAULT_SPEEDS_KPH["residential"] == 30


def test_time_of_day_profile() -> None:
    p = TimeOfDayProfile.default()
    assert p.factor_at(8 * 3600) == 1.30
    assert p.factor_at(12 * 3600) == 1.0
    assert p.factor_at(17 * 3600) == 1.35
    assert p.factor_at(23 * 3600) == 0.85
    assert p.factor_at(2 * 3600) == 0.85
    assert p.factor_at(2 * 3600 + 86_400) == 0.85  # modulo one day
    assert TimeOfDayProfile.flat().factor_at(8 * 3600) == 1.0
    with pytest.raises(ValueError, match="overlap"):
        TimeOfDayProfile(bands=(TimeBand(0, 3600, 1.1, "a"), TimeBand(1800, 7200, 1.2, "b")))
    with pytest.raises(ValueError):
        TimeBand(7200, 3600, 1.0)


def test_fetch_graph_offline_gives_a_clear_error(monkeypatch, tmp_path: Path) -> None:
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to establish a new connection: [Errno -3] name resolution")

    monkeypatch.setattr(ox, "graph_from_place", offline)
    with pytest.raises(RoadFetchError, match="Internet access"):
        fetch_graph("Paris, France", tmp_path / "paris.graphml")
    assert not list(tmp_path.iterdir())


def test_fetch_graph_writes_gzip_graphml(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ox, "graph_from_place", lambda place, network_type: ox.load_graphml(OSM_TEST_GRAPH))
    out = fetch_graph("Paris 8e", tmp_path / "p8.graphml")
    assert out.name == "p8.graphml.gz"
    assert RoadNetwork.load(out).tagged
