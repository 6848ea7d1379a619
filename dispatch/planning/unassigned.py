"""The parameters stored with an unassigned visit, so its reason can be said in any language later.

``UnassignedVisit.reason`` is a stable code; ``UnassignedVisit.params`` holds what the sentence needs
(volumes, windows, requirements and why, the weekday...). :mod:`dispatch.documents.plan_texts`
renders them in French or English. Pure functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

LITRES_PER_M3 = 1000


def solver_params(reason: str, cand: Any, problem: Any) -> dict[str, Any]:
    """Parameters of a visit the solver left out (``cand``: the planner's Candidate, ``problem``: the
    solver problem built by ``dispatch.planning.problem``)."""
    if reason == "capacity":
        largest = max((v.capacity[0] for v in problem.vehicles), default=0)
        return {"m3": round(cand.expected_m3, 2), "largest_m3": largest / LITRES_PER_M3}
    if reason == "time_window":
        return {"windows": [list(w) for w in (cand.shown_windows or cand.windows)]}
    if reason == "skill":
        visit = next((v for v in problem.visits if v.id == cand.key), None)
        needs = sorted(visit.skills) if visit is not None else []
        return {"needs": needs, "why": list(getattr(cand, "why", ()) or ())}
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
