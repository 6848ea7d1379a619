"""What the rules accept, the map can reach: every served commune checked against the road graph.

The collection rules serve Paris postcodes and extra communes (``served_zone``); the planner routes
over one road graph (``DISPATCH_GRAPH_PATH``, default the bundled Paris graph, which stops at the city
limit). A commune the rules accept but the graph does not reach would have every request refused as
off the map. :func:`unreachable_communes` checks a reference point of each served postcode
(``dispatch/data/rules/commune_centres.json``, near the town hall) against the graph: inside its area
and within the snapping distance of a drivable street. :func:`warn_once` logs a clear warning naming
them the first time a (graph, rules) pair is used (``dispatch.roads.cache.get_network``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dispatch.errors import InvalidInput

CENTRES_PATH = Path(__file__).resolve().parent.parent / "data" / "rules" / "commune_centres.json"
logger = logging.getLogger("dispatch.coverage")


@dataclass(frozen=True)
class Gap:
    postcode: str
    name: str
    why: str  # "outside the road graph" | "too far from a street of the road graph" | "no reference point"

    def __str__(self) -> str:
        return f"{self.name} ({self.postcode}): {self.why}"


@lru_cache(maxsize=2)
def centres(path: str = str(CENTRES_PATH)) -> dict[str, dict]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def served(config) -> list[tuple[str, str]]:
    """(postcode, name) of every postcode the rules serve, Paris first."""
    names = {c.postcode: c.name for c in config.served_zone.extra_communes}
    known = centres()
    out = [(p, known.get(p, {}).get("name", p)) for p in config.served_zone.paris_postcodes]
    return out + [(p, n) for p, n in names.items() if p not in config.served_zone.paris_postcodes]


def unreachable_communes(config, network, *, max_snap_distance_m: float) -> list[Gap]:
    """The served postcodes whose reference point the road graph does not reach."""
    gaps = []
    known = centres()
    for postcode, name in served(config):
        point = known.get(postcode)
        if point is None:
            gaps.append(Gap(postcode, name, "no reference point in commune_centres.json: cannot check it"))
        elif not network.contains(point["lat"], point["lon"], margin_m=0.0):
            gaps.append(Gap(postcode, name, "outside the road graph"))
        else:
            try:
                network.snap(f"commune:{postcode}", point["lat"], point["lon"], max_distance_m=max_snap_distance_m)
            except InvalidInput:  # handled: reported as a gap in the startup warning
                gaps.append(Gap(postcode, name, "too far from a street of the road graph"))
    return gaps


def message(gaps: list[Gap], graph: str, rules: str) -> str:
    return (f"the collection rules ({rules}) serve {len(gaps)} commune(s) the road graph ({graph}) does not reach: "
            + "; ".join(str(g) for g in gaps) + ". Every request there will be refused as off the map. Fetch a "
            "graph that covers them (dispatch roads fetch, see docs) and set DISPATCH_GRAPH_PATH, or remove them "
            "from served_zone in the rules file.")


def warn_once(settings, network, graph: str) -> list[Gap]:
    """Check the configured rules against ``network`` once per (graph, rules file); log a warning naming
    the communes it does not reach. Returns them."""
    from dispatch.pickups.requests import rules_config

    rules = str(settings.rules_file or "the bundled rules")
    key = (graph, rules, float(settings.max_snap_distance_m))
    if key in _WARNED:
        return list(_WARNED[key])
    gaps = unreachable_communes(rules_config(settings), network, max_snap_distance_m=settings.max_snap_distance_m)
    _WARNED[key] = tuple(gaps)
    if gaps:
        logger.warning(message(gaps, graph, rules))
    return gaps


_WARNED: dict[tuple, tuple[Gap, ...]] = {}
