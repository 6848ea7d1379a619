"""Street-level geometry of a planned round: legs over the road network and numbered stops, as GeoJSON."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.errors import NotFound
from dispatch.models import Round, StopKind
from dispatch.roads import RoadNetwork


def round_geojson(round_id: int, *, session: Session, network: RoadNetwork, max_snap_distance_m: float) -> dict:
    """Legs depot -> stops -> depot along the streets (km and minutes each) and one Point per stop."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(f"round {round_id} does not exist", field="round_id")
    depot = rnd.van.depot
    points = [("depot", depot.name, depot.lat, depot.lon, 0)]
    for stop in rnd.stops:
        if stop.kind is StopKind.RELAY_POINT and stop.relay_point is not None:
            points.append((f"stop:{stop.position}", stop.relay_point.name, stop.relay_point.lat,
                           stop.relay_point.lon, stop.position))
        elif stop.kind is StopKind.PICKUP and stop.pickup_request is not None:
            points.append((f"stop:{stop.position}", stop.pickup_request.address, stop.pickup_request.lat,
                           stop.pickup_request.lon, stop.position))
        elif stop.kind is StopKind.UNLOAD:
            points.append((f"unload:{stop.position}", depot.name, depot.lat, depot.lon, stop.position))
    points.append(("depot:end", depot.name, depot.lat, depot.lon, len(rnd.stops) + 1))
    sites = [network.snap(key, lat, lon, max_distance_m=max_snap_distance_m) for key, _, lat, lon, _ in points]
    legs = network.legs_geojson(sites)
    stops = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"key": key, "name": name, "position": position},
        }
        for key, name, lat, lon, position in points
    ]
    for feature in legs["features"]:
        feature["properties"]["kind"] = "leg"
    for feature in stops:
        key = feature["properties"]["key"]
        feature["properties"]["kind"] = key.split(":")[0] if key.startswith(("depot", "unload")) else "stop"
    return {
        "type": "FeatureCollection",
        "features": legs["features"] + stops,
        "properties": {
            "round_id": rnd.id,
            "van": rnd.van.name,
            "km": round(sum(f["properties"]["km"] for f in legs["features"]), 2),
            "minutes": round(sum(f["properties"]["minutes"] for f in legs["features"]), 1),
        },
    }
