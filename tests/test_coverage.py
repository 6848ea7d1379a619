"""What the rules accept, the map can reach: served communes checked against the road graph."""

from __future__ import annotations

import json
import logging

from dispatch.pickups import coverage
from dispatch.pickups.rules_file import DEFAULT_RULES_PATH, load_rules


def _rules_with_neighbours(tmp_path):
    data = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    data["served_zone"]["extra_communes"] = [{"name": "Pantin", "postcode": "93500"},
                                             {"name": "Montreuil", "postcode": "93100"},
                                             {"name": "Ville-Inconnue", "postcode": "93999"}]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_bundled_rules_only_accept_what_the_bundled_graph_reaches(paris_network):
    rules = load_rules()
    assert len(coverage.served(rules)) == 21  # the 20 arrondissements and 75116
    assert coverage.unreachable_communes(rules, paris_network, max_snap_distance_m=300) == []


def test_communes_off_the_graph_are_named(tmp_path, paris_network):
    rules = load_rules(_rules_with_neighbours(tmp_path))
    gaps = coverage.unreachable_communes(rules, paris_network, max_snap_distance_m=300)
    assert [(g.name, g.postcode) for g in gaps] == [("Pantin", "93500"), ("Montreuil", "93100"),
                                                     ("Ville-Inconnue", "93999")]
    assert gaps[1].why == "outside the road graph" and "no reference point" in gaps[2].why


def test_a_clear_warning_when_the_graph_is_loaded_with_such_rules(tmp_path, paris_network, caplog, monkeypatch):
    import dispatch.roads.cache as cache
    from dispatch.settings import Settings

    monkeypatch.setattr(cache, "_load", lambda path, factor: paris_network)
    settings = Settings(rules_file=_rules_with_neighbours(tmp_path), database_url="sqlite://", _env_file=None)
    with caplog.at_level(logging.WARNING, logger="dispatch.coverage"):
        assert cache.get_network(settings) is paris_network
        cache.get_network(settings)  # once per (graph, rules)
    warnings = [r.getMessage() for r in caplog.records if r.name == "dispatch.coverage"]
    assert len(warnings) == 1
    assert "serve 3 commune(s) the road graph" in warnings[0]
    assert "Pantin (93500): too far from a street" in warnings[0] and "Montreuil (93100): outside" in warnings[0]
    assert "DISPATCH_GRAPH_PATH" in warnings[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dispatch.coverage"):
        cache.get_network(Settings(database_url="sqlite://", _env_file=None))  # the bundled rules: nothing to say
    assert not [r for r in caplog.records if r.name == "dispatch.coverage"]


def test_roads_info_says_which_served_communes_the_graph_reaches(tmp_path, monkeypatch, capsys):
    from api.cli import main
    from dispatch.settings import get_settings

    monkeypatch.setenv("DISPATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.setenv("DISPATCH_RULES_FILE", str(_rules_with_neighbours(tmp_path)))
    monkeypatch.delenv("DISPATCH_GRAPH_PATH", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["roads", "info"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "served communes reached: 21 of 24" in out and "not reached: Montreuil (93100): outside" in out


def test_roads_fetch_takes_several_places_for_one_graph(tmp_path, monkeypatch, capsys):
    import osmnx as ox

    from api.cli import main
    from tests.roads.test_loading import OSM_TEST_GRAPH

    asked = []

    def fake(query, network_type):
        asked.append(query)
        return ox.load_graphml(OSM_TEST_GRAPH)

    monkeypatch.setattr(ox, "graph_from_place", fake)
    out = tmp_path / "paris-and-neighbours.graphml.gz"
    assert main(["roads", "fetch", "Paris, France", "Pantin, France", "--out", str(out)]) == 0
    assert asked == [["Paris, France", "Pantin, France"]] and out.exists()
    assert "Paris, France + Pantin, France" in capsys.readouterr().out
