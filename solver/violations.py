"""Structured checker findings: :class:`Violation` (like VROOM's violations) and its cause codes.

Pure standard library; ``check.py`` produces them, ``plan.py`` returns them, callers read the
fields (never parse ``detail``, which is for people).
"""

from __future__ import annotations

from dataclasses import dataclass

# Violation causes: what rule a plan breaks, or which of its recorded figures is wrong.
CAUSES = {
    "time_window": "a service starts outside every window of its visit",
    "capacity": "the load on board exceeds the vehicle's capacity",
    "shift_start": "the vehicle leaves before its shift starts",
    "shift_end": "the vehicle is back after its shift ends",
    "max_work_time": "the route lasts longer than the vehicle's max_work_time",
    "skill": "the vehicle lacks a skill the visit needs",
    "vehicle_lock": "the visit is locked to another vehicle",
    "break": "a break is missing, taken twice, outside its window, of the wrong length or overlapping",
    "reload": "an unloading stop the vehicle cannot make (none allowed, wrong place or length, too many)",
    "timing": "a step is reached sooner than travel (and breaks) allow, or has a negative wait",
    "precedence": "a locked sequence is served out of order or by another vehicle",
    "route": "a route's shape is wrong (start / end steps and locations, step types, locations)",
    "unknown": "an id that the problem does not have (vehicle, visit)",
    "duplicate": "a vehicle with two routes, or a visit served or listed twice",
    "missing": "a visit neither served nor listed unassigned",
    "status": "the status disagrees with the mandatory visits served",
    "inconsistent": "a figure recorded on a step or route differs from its recomputation",
    "summary": "a summary figure differs from the routes' total",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing wrong with a solution: ``cause`` (a key of :data:`CAUSES`), the vehicle and
    visit ids concerned (None when it is not about one), and the plain-English ``detail``."""

    cause: str
    vehicle: str | None
    visit: str | None
    detail: str

    def __str__(self) -> str:
        return self.detail
