"""Depots managed through the API (list, add, change, vans attached), without SQL."""

from __future__ import annotations

SOUTH = {"name": "Dépôt Sud", "address": "92 boulevard Masséna, 75013 Paris", "lat": 48.8215, "lon": 2.3675,
         "opening_hours": [{"days": [0, 1, 2, 3, 4, 5], "open": "07:00", "close": "18:00"}], "region": "sud"}


def test_list_add_change_depot_and_attach_a_van(client):
    depots = client.get("/api/v1/depots")
    assert depots.status_code == 200, depots.text
    first = depots.json()[0]
    assert first["region"] == "default" and len(first["van_ids"]) == 4
    r = client.post("/api/v1/depots", json=SOUTH)
    assert r.status_code == 201, r.text
    south = r.json()
    assert south["region"] == "sud" and south["van_ids"] == []
    assert south["opening_hours"] == SOUTH["opening_hours"]
    van_id = first["van_ids"][-1]
    moved = client.patch(f"/api/v1/vans/{van_id}", json={"depot_id": south["id"]})
    assert moved.status_code == 200 and moved.json()["depot_id"] == south["id"]
    assert client.get(f"/api/v1/depots/{south['id']}").json()["van_ids"] == [van_id]
    assert [v["id"] for v in client.get(f"/api/v1/depots/{south['id']}/vans").json()] == [van_id]
    changed = client.patch(f"/api/v1/depots/{south['id']}", json={"name": "Dépôt Masséna", "region": "south"})
    assert changed.status_code == 200 and changed.json()["name"] == "Dépôt Masséna"
    assert changed.json()["region"] == "south" and changed.json()["address"] == SOUTH["address"]


def test_depot_bad_input_names_the_field(client):
    cases = [
        (SOUTH | {"lat": 40.0, "lon": 2.0}, "lat"),  # far from any street of the road graph
        (SOUTH | {"opening_hours": [{"days": [1], "open": "18:00", "close": "07:00"}]}, "opening_hours[0].close"),
        (SOUTH | {"region": "Sud Est!"}, "region"),
        ({k: v for k, v in SOUTH.items() if k != "address"}, "address"),
    ]
    for body, field in cases:
        r = client.post("/api/v1/depots", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"].startswith(field), (body, r.json())
    first = client.get("/api/v1/depots").json()[0]
    dup = client.post("/api/v1/depots", json=SOUTH | {"name": first["name"].upper()})
    assert dup.status_code == 409 and first["name"] in dup.json()["detail"]
    assert client.patch("/api/v1/depots/424242", json={"name": "x"}).status_code == 404
    assert client.patch("/api/v1/vans/1", json={"depot_id": 424242}).status_code == 404


def test_switchboard_cannot_change_depots(client_as):
    sb = client_as("switchboard")
    assert sb.post("/api/v1/depots", json=SOUTH).status_code == 403
