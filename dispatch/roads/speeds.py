"""Which OSM edges a van may use, and how fast it drives on them."""

from __future__ import annotations

import ast
import math
import re
from typing import Any

__all__ = [
    "DRIVABLE_HIGHWAYS",
    "DEFAULT_SPEEDS_KPH",
    "FALLBACK_SPEED_KPH",
    "RECOMMENDED_VAN_SPEED_FACTOR",
    "MAXSPEED_ZONES_KPH",
    "parse_maxspeed",
    "as_list",
    "is_drivable",
    "edge_speed_kph",
]

# Free-flow speeds (km/h) for a CAR when the edge has no usable ``maxspeed`` tag. Paris has been a
# 30 km/h city since 2021 ("Paris ville 30"): most streets, including most primary/secondary
# roads, are 30; the axes still at 50 are normally tagged maxspeed=50 in OSM. The boulevard
# périphérique (motorway) was lowered from 70 to 50 km/h on 1 October 2024.
DEFAULT_SPEEDS_KPH: dict[str, float] = {
    "motorway": 50.0,  # boulevard périphérique (50 since 2024-10-01; was 70)
    "motorway_link": 30.0,
    "trunk": 50.0,
    "trunk_link": 30.0,
    "primary": 30.0,
    "primary_link": 30.0,
    "secondary": 30.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "road": 30.0,
    "living_street": 20.0,  # zone de rencontre
    "service": 15.0,  # courtyards, alleys, parking access
}
FALLBACK_SPEED_KPH = 30.0

# Highway values a van may drive on (an allow-list: anything else — footway, pedestrian,
# cycleway, path, steps, track, bridleway, corridor, busway, construction, proposed, ... — is
# dropped).
DRIVABLE_HIGHWAYS = frozenset(DEFAULT_SPEEDS_KPH)

# Vans are slower than cars (acceleration, size, parking manoeuvres). Multiply car speeds by this.
# ``RoadNetwork.load`` defaults to 1.0 (no adjustment); settings should pass this value.
RECOMMENDED_VAN_SPEED_FACTOR = 0.85

_DENIED_ACCESS = frozenset({"no", "private"})  # access=permit/destination/delivery stay allowed
_DENIED_SERVICE = frozenset({"emergency_access"})

# Implicit limits ("FR:urban" etc.; generic "urban"/"rural" too).
MAXSPEED_ZONES_KPH: dict[str, float] = {
    "urban": 50.0,
    "rural": 80.0,  # France since 2018 (two-lane roads)
    "zone30": 30.0,
    "zone20": 20.0,
    "motorway": 130.0,
    "trunk": 110.0,
    "walk": 6.0,  # "au pas": pedestrian areas where vehicles are tolerated
    "living_street": 20.0,
}
_MPH = 1.609344
_NUM = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.I)


def as_list(value: Any) -> list[str]:
    """OSM tag values may be a scalar, a list (merged ways) or a stringified list from GraphML."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):  # handled: not a number in the OSM tag: the default speed applies
            parsed = None
        if isinstance(parsed, (list, tuple)):
            return [str(v) for v in parsed]
    return [text]


def _parse_one(text: str) -> float | None:
    text = text.strip().lower()
    if not text:
        return None
    m = _NUM.match(text)
    if m:
        val = float(m.group(1).replace(",", "."))
        if m.group(2) and m.group(2).lower() == "mph":
            val *= _MPH
        return val if val > 0 else None
    zone = text.split(":", 1)[1] if ":" in text else text  # "FR:urban" -> "urban"
    return MAXSPEED_ZONES_KPH.get(zone)


def parse_maxspeed(value: Any) -> float | None:
    """Parse an OSM ``maxspeed`` into km/h; ``None`` if absent or unparseable.

    Handles "30", "50 mph", "FR:urban" (50), "FR:zone30" (30), "walk" (6), "30;50" and lists
    (the minimum wins: a merged edge is as slow as its slowest part).
    """
    speeds = []
    for item in as_list(value):
        for part in re.split(r"[;|]", item):
            s = _parse_one(part)
            if s is not None:
                speeds.append(s)
    return min(speeds) if speeds else None


def is_drivable(data: dict[str, Any]) -> bool:
    """True if a van may use this OSM edge. Every highway value of a merged edge must be drivable."""
    highways = as_list(data.get("highway"))
    if not highways or any(h not in DRIVABLE_HIGHWAYS for h in highways):
        return False
    if any(a.lower() in _DENIED_ACCESS for a in as_list(data.get("access"))):
        return False
    for tag in ("motor_vehicle", "motorcar", "vehicle"):
        if any(a.lower() in _DENIED_ACCESS for a in as_list(data.get(tag))):
            return False
    if any(s.lower() in _DENIED_SERVICE for s in as_list(data.get("service"))):
        return False
    if any(a.lower() == "yes" for a in as_list(data.get("area"))):
        return False
    return True


def edge_speed_kph(data: dict[str, Any], speeds: dict[str, float] | None = None) -> float:
    """Car speed on an OSM edge: its ``maxspeed`` if parseable, else the per-highway default."""
    parsed = parse_maxspeed(data.get("maxspeed"))
    if parsed is not None:
        return parsed
    table = DEFAULT_SPEEDS_KPH if speeds is None else speeds
    candidates = [table[h] for h in as_list(data.get("highway")) if h in table]
    return min(candidates) if candidates else FALLBACK_SPEED_KPH
