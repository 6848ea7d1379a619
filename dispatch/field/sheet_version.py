"""What a crew's open sheet polls to notice that its round changed (an edit, a mid-day re-plan).

``round_signature`` sums up the round as the crew sees it (its stops, their order and times); the sheet
keeps the signature it was drawn with and, when the server's differs, says "Votre tournée a changé" and
shows the new order (``round_now``). Reads only.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from dispatch.models import PlanStatus, Round, StopKind

VISIT_KINDS = (StopKind.RELAY_POINT, StopKind.PICKUP)


def round_signature(rnd: Round) -> str:
    parts = [f"{s.id}:{s.position}:{s.planned_arrival:%H%M}" for s in rnd.stops]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def _name(stop) -> str:
    if stop.relay_point is not None:
        return stop.relay_point.name
    if stop.pickup_request is not None:
        return stop.pickup_request.donor_name
    return ""


def round_now(rnd: Round, *, session: Session) -> dict:  # noqa: ARG001 - the caller's session loaded rnd
    """The round's signature, its plan's version and status, and its visits in their current order."""
    return {
        "signature": round_signature(rnd),
        "version": rnd.plan.version,
        "published": rnd.plan.status is PlanStatus.PUBLISHED,
        "stops": [{"stop_id": s.id, "position": s.position, "name": _name(s),
                   "time": f"{s.planned_arrival:%H:%M}"} for s in rnd.stops if s.kind in VISIT_KINDS],
    }
