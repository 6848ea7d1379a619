"""Vans, crews and calendars: who and what works on a day."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "fleet_for_day": "calendars", "depot_window": "depots", "MIN_RELAY_CAPACITY_M3": "relay_points",
    "MIN_VAN_CAPACITY_M3": "vans_and_crews", "get_crew": "vans_and_crews", "minutes_hhmm": "vans_and_crews",
}
_MODULES: tuple[str, ...] = (
    "calendars", "depots", "features", "pickup_lifecycle", "relay_point_blocks", "relay_points",
    "vans_and_crews",
)
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
