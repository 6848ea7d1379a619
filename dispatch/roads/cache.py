"""The road network the planner uses, loaded once per (file, speed settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dispatch.roads import RoadNetwork, default_graph_path
from dispatch.settings import Settings


@lru_cache(maxsize=4)
def _load(path: str, van_speed_factor: float) -> RoadNetwork:
    return RoadNetwork.load(Path(path), van_speed_factor=van_speed_factor)


def get_network(settings: Settings) -> RoadNetwork:
    """The road network; the first time a graph is used with a rules file, the communes the rules serve
    are checked against it and a warning names those it does not reach (dispatch/pickups/coverage.py)."""
    path = settings.graph_path or default_graph_path()
    network = _load(str(path), settings.van_speed_factor)
    from dispatch.pickups import warn_once

    warn_once(settings, network, str(path))
    return network
