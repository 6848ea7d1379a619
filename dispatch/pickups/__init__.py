"""Home pickups: collection rules as data, requests, slot offers."""

from dispatch.surface import lazy_attributes

# The public surface: what other packages may import from here (dispatch/surface.py).
_PUBLIC: dict[str, str] = {
    "warn_once": "coverage", "SLOT_WINDOWS_S": "requests", "booked_slots": "requests", "decision_of": "requests",
    "get_pickup": "requests", "rules_config": "requests", "Feature": "requirements", "RuleReason": "rule_decision",
    "REASON_FIELDS": "rules_file", "offer_slots": "slots", "with_trial_insertion": "slots",
}
_MODULES: tuple[str, ...] = ("changes", "coverage", "requests", "requirements", "rule_decision", "rules")
__all__ = sorted([*_PUBLIC, *_MODULES])
__getattr__ = lazy_attributes(__name__, _PUBLIC, _MODULES)
