"""Road network for the collection vans: loading, snapping, travel matrices, leg geometry.

Nothing is read or built at import time; every function takes explicit arguments.
"""

from dispatch.surface import lazy_attributes
from dispatch.roads.errors import RoadFetchError, RoadGraphError, SiteTooFar, SiteUnreachable
from dispatch.roads.fetch import default_graph_path, fetch_graph
from dispatch.roads.legs import Leg
from dispatch.roads.matrix_cache import MatrixCache
from dispatch.roads.network import Matrices, RoadNetwork, SnappedSite
from dispatch.roads.speeds import (
    DEFAULT_SPEEDS_KPH,
    DRIVABLE_HIGHWAYS,
    RECOMMENDED_VAN_SPEED_FACTOR,
    parse_maxspeed,
)
from dispatch.roads.timeofday import DEFAULT_TIME_BANDS, TimeBand, TimeOfDayProfile

__all__ = [
    "RoadNetwork",
    "SnappedSite",
    "Matrices",
    "Leg",
    "MatrixCache",
    "TimeOfDayProfile",
    "TimeBand",
    "DEFAULT_TIME_BANDS",
    "DEFAULT_SPEEDS_KPH",
    "DRIVABLE_HIGHWAYS",
    "RECOMMENDED_VAN_SPEED_FACTOR",
    "parse_maxspeed",
    "SiteTooFar",
    "SiteUnreachable",
    "RoadGraphError",
    "RoadFetchError",
    "default_graph_path",
    "fetch_graph",
    "get_network",
]

# Loaded on first use (dispatch/surface.py): the cache reads the settings and warns through ``dispatch.pickups``.
_PUBLIC: dict[str, str] = {"get_network": "cache"}
__getattr__ = lazy_attributes(__name__, _PUBLIC)
