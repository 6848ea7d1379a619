"""The field: crews' stop events and the signed links of crews and relay points."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "LinkInvalid": "links",
}
_MODULES: tuple[str, ...] = ("crew_rules", "events", "held", "links", "live", "sheet_version")
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
