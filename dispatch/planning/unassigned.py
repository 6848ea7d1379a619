"""The parameters stored with an unassigned visit, so its reason can be said in any language later.

``UnassignedVisit.reason`` is a stable code; ``UnassignedVisit.params`` holds what the sentence needs
(volumes, windows, requirements and why, the weekday...). :mod:`dispatch.documents.plan_texts`
renders them in French or English. Pure functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def solver_params(reason: str, cand: Any, largest_m3: float) -> dict[str, Any]:
    """Parameters of a visit the solver left out (``cand``: the planner's Candidate, whose ``skills`` are
    what the solver's visit needed; ``largest_m3``: the largest van of the day). Needs no solver problem:
    a region solved elsewhere comes back without one."""
    if reason == "capacity":
        return {"m3": round(cand.expected_m3, 2), "largest_m3": largest_m3}
    if reason == "time_window":
        return {"windows": [list(w) for w in (cand.shown_windows or cand.windows)]}
    if reason == "skill":
        return {"needs": sorted(cand.skills), "why": list(getattr(cand, "why", ()) or ())}
    if reason == "cost":
        optional = not cand.mandatory and cand.penalty is not None
        return {"optional": optional, "m3": round(cand.expected_m3, 2),
                "km": round(cand.penalty / 1000) if optional else None}
    return {}


def excluded_params(reason: str, detail_en: str, day: dt.date, note: Mapping[str, Any] | None) -> dict[str, Any]:
    """Parameters of a visit left out before solving (closed, paused, off the map...)."""
    if note and note.get("reason_fr"):  # an availability block: its own sentence in both languages
        return {"fr": note["reason_fr"], "en": detail_en}
    if reason == "closed":
        return {"weekday": day.weekday()}
    if reason == "unreachable":
        return {"site": True}
    return {}
