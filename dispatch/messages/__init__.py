"""Messages to donors: the outbox (e-mail over SMTP, SMS through an HTTP gateway), their texts and triggers."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "MessageThread": "worker", "run": "worker",
}
_MODULES: tuple[str, ...] = ("outbox", "triggers")
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
