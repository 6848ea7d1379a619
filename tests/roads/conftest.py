from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.roads import RoadNetwork, default_graph_path

DATA = Path(__file__).resolve().parent.parent / "data"
OSM_TEST_GRAPH = DATA / "paris08_17_osm.graphml"


@pytest.fixture(scope="session")
def paris(paris_network) -> RoadNetwork:
    """The bundled whole-Paris graph, loaded once per session by ``tests/conftest.py``."""
    assert paris_network.source == str(default_graph_path())
    return paris_network


@pytest.fixture(scope="session")
def osm() -> RoadNetwork:
    """Real OSM extract of Paris 8e/17e (highway/maxspeed/oneway tags, includes footways)."""
    return RoadNetwork.load(OSM_TEST_GRAPH)


@pytest.fixture()
def fresh_paris(paris: RoadNetwork) -> RoadNetwork:
    paris.clear_cache()
    return paris
