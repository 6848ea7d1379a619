"""A depot created from its address alone: the position is looked up like a relay point's."""

from __future__ import annotations


def test_depot_created_from_an_address_alone(client):
    r = client.post("/api/v1/depots", json={"name": "Dépôt Archereau 2", "address": "35 r archereau",
                                            "region": "nord"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["address"] == "35 Rue Archereau 75019 Paris" and abs(body["lat"] - 48.891309) < 1e-6
    half = client.post("/api/v1/depots", json={"name": "Dépôt X", "address": "35 r archereau", "lat": 48.89})
    assert half.status_code == 422 and half.json()["field"] == "lon"
