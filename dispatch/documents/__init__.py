"""What people read: manifests, maps, texts in French and English."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "round_geojson": "geometry", "MISSED_REASONS": "i18n", "format_date": "i18n", "slot_hours": "i18n",
    "STATIC_DIR": "manifests", "render_html": "manifests", "write_day_manifests": "manifests",
    "day_map_svg": "maps", "round_colour": "maps",
}
_MODULES: tuple[str, ...] = ("i18n", "manifests")
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
