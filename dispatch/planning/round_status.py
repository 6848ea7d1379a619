"""A round's status from its crew's updates, and the stops a crew has reported at.

planned (no update yet) -> in_progress (first update) -> done (every visit collected or missed):
:func:`update_round_status` runs on most crew updates, so its statements are built once.
:func:`stop_outcomes` and :func:`arrived_stops` tell which stops a crew reported at (the mid-day
re-plan keeps them where they are). Services flush, never commit.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dispatch.models import Round, Stop, StopEvent, StopEventKind
from dispatch.planning.edit_context import VISIT_KINDS

ROUND_PLANNED, ROUND_IN_PROGRESS, ROUND_DONE = "planned", "in_progress", "done"


def stop_outcomes(stop_ids: list[int], *, session: Session) -> dict[int, StopEvent]:
    """Per stop, its last collected/missed event."""
    if not stop_ids:
        return {}
    events = session.scalars(
        select(StopEvent).where(StopEvent.stop_id.in_(stop_ids), StopEvent.kind != StopEventKind.ARRIVED)
        .order_by(StopEvent.recorded_at, StopEvent.id)
    ).all()
    return {ev.stop_id: ev for ev in events}


def arrived_stops(stop_ids: list[int], *, session: Session) -> set[int]:
    """The stops a crew said it arrived at."""
    if not stop_ids:
        return set()
    return set(session.scalars(select(StopEvent.stop_id).where(StopEvent.stop_id.in_(stop_ids),
                                                               StopEvent.kind == StopEventKind.ARRIVED)).all())


# Built once: this runs for most crew updates (building a statement costs more CPU than running it).
_ROUND_STOPS = select(Stop.id, Stop.kind).where(Stop.round_id == bindparam("round_id"))
_ANY_EVENT = select(StopEvent.id).where(StopEvent.stop_id.in_(bindparam("ids", expanding=True))).limit(1)
_OUTCOMES = select(StopEvent.stop_id).distinct().where(StopEvent.stop_id.in_(bindparam("ids", expanding=True)),
                                                       StopEvent.kind != StopEventKind.ARRIVED)


def update_round_status(rnd: Round, *, session: Session, has_event: bool = False) -> str:
    """planned (no update yet) -> in_progress (first update) -> done (every visit collected or missed).
    ``has_event``: the caller has just recorded an update of this round."""
    stops = session.execute(_ROUND_STOPS, {"round_id": rnd.id}).all()
    ids = [i for i, _ in stops]
    visits = [i for i, kind in stops if kind in VISIT_KINDS]
    any_event = has_event or (bool(ids) and session.execute(_ANY_EVENT, {"ids": ids}).scalar())
    # which visits have an outcome (ids only: a busy round has many "arrived" and repeated updates)
    outcomes = set(session.execute(_OUTCOMES, {"ids": visits}).scalars()) if visits else set()
    if visits and all(i in outcomes for i in visits):
        status = ROUND_DONE
    elif any_event:
        status = ROUND_IN_PROGRESS
    else:
        status = ROUND_PLANNED
    if rnd.status != status:
        rnd.status = status
        session.flush()
    return status
