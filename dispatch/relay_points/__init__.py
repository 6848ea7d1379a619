"""Relay points (Amistocks): listing, fill reports, opening hours."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "forecast_relay_points": "points", "get_relay_point": "points", "nearest_relay_points": "points",
    "opening_windows": "points", "parse_hhmm": "points", "report_fill": "points",
}
_MODULES: tuple[str, ...] = ("points",)
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
