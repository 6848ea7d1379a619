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
    path = settings.graph_path or default_graph_path()
    return _load(str(path), settings.van_speed_factor)
