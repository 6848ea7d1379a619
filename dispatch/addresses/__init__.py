"""Address search (geocoding): the offline BAN address index, the BAN HTTP API client, resolving an address."""

from __future__ import annotations

import importlib
from typing import Any


# --- The public surface (tests/test_architecture.py: other packages import only these, from here) -----------
# Names are loaded from their module on first use (PEP 562), so importing the package builds nothing and
# the packages that use each other do not import each other at import time.

_PUBLIC: dict[str, str] = {
    "import_addresses": "importer", "AddressRefused": "refusals", "unavailable_text": "refusals",
    "MAX_ADDRESS_CHARS": "resolve", "check_query": "resolve", "get_geocoder": "resolve",
    "resolve_address": "resolve", "warm_up": "resolve",
}
_MODULES: tuple[str, ...] = ()
__all__ = sorted([*_PUBLIC, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
