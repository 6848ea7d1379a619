"""Long work as jobs: planning jobs in a child process or on Celery."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "CeleryRunner": "celery_app", "PeriodicThread": "periodic", "ProcessRunner": "process",
}
_MODULES: tuple[str, ...] = ("records", "runner", "workers")
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
