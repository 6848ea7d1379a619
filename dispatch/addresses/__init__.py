"""Address search (geocoding): the offline BAN address index, the BAN HTTP API client, resolving an address."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "import_addresses": "importer", "AddressRefused": "refusals", "unavailable_text": "refusals",
    "MAX_ADDRESS_CHARS": "resolve", "check_query": "resolve", "get_geocoder": "resolve",
    "resolve_address": "resolve", "warm_up": "resolve",
}
_MODULES: tuple[str, ...] = ()
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
