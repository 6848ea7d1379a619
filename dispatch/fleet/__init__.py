"""Vans, crews and calendars: who and what works on a day."""

from __future__ import annotations

import importlib
from typing import Any


# --- The public surface (tests/test_architecture.py: other packages import only these, from here) -----------
# Names are loaded from their module on first use (PEP 562), so importing the package builds nothing and
# the packages that use each other do not import each other at import time.

_PUBLIC: dict[str, str] = {
    "fleet_for_day": "calendars", "depot_window": "depots", "MIN_RELAY_CAPACITY_M3": "relay_points",
    "MIN_VAN_CAPACITY_M3": "vans_and_crews", "get_crew": "vans_and_crews", "minutes_hhmm": "vans_and_crews",
}
_MODULES: tuple[str, ...] = (
    "calendars", "depots", "features", "pickup_lifecycle", "relay_point_blocks", "relay_points",
    "vans_and_crews",
)
__all__ = sorted([*_PUBLIC, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
