"""Who may do what: accounts and tokens, the audit log, data retention."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "resolve_token": "auth", "anonymise_old_data": "retention",
}
_MODULES: tuple[str, ...] = ("audit", "auth", "backups", "booking_guard", "donors", "signin_guard")
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
