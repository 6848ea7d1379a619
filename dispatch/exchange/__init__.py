"""Data in and out: CSV imports and exports, reports, webhooks."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
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
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
