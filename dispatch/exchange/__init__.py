"""Data in and out: CSV imports and exports, reports, webhooks."""

from __future__ import annotations

import importlib
from typing import Any


# --- The public surface (tests/test_architecture.py: other packages import only these, from here) -----------
# Names are loaded from their module on first use (PEP 562), so importing the package builds nothing and
# the packages that use each other do not import each other at import time.

_PUBLIC: dict[str, str] = {
    "ImportRejected": "csv_import", "UnsupportedFile": "csv_import", "check_pickup_text": "fields",
    "check_relay_fields": "fields", "check_text": "fields", "for_display": "fields",
    "pickup_field_problems": "fields", "safe_filename": "fields", "BadValue": "import_rows",
    "parse_opening_hours": "import_rows", "import_pickups": "pickup_import", "import_relay_points": "relay_import",
    "TargetPolicy": "webhook_targets", "DeliveryThread": "webhooks", "deliver_with_settings": "webhooks",
}
_MODULES: tuple[str, ...] = (
    "csv_import", "depot_import", "exports", "pickup_import", "relay_import", "reports", "webhooks",
)
__all__ = sorted([*_PUBLIC, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
