"""Crew updates the server refused, kept for the coordinator instead of lost (issue 23 item 2).

A crew's phone queues each update (arrived / collected / missed at a stop) with an idempotency key and the time
it was made. When the server refuses one for good (4xx: the link expired, the stop was moved, the plan was
re-published), the sheet keeps it in a visible "not sent" list and hands it over, through any valid round link,
to :func:`hold`: it is stored here with its original time, key and the reason it was refused. The coordinator
lists them (:func:`held_updates`) and applies one to a stop (:func:`apply`), which records the stop event with
the crew's original time and key (so a copy that got through after all is not recorded twice), or dismisses it.

Services take ``*, session``, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.field import events as driver
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import HeldUpdate, Stop, StopEventKind, utcnow

MAX_ITEMS = 200
STATUSES = ("held", "applied", "dismissed")


@dataclass(frozen=True)
class Refused:
    """One update as the phone kept it."""

    stop_id: int
    kind: str
    idempotency_key: str
    occurred_at: dt.datetime
    refused_status: int
    refused_reason: str | None = None
    collected_m3: float | None = None
    remaining_m3: float | None = None
    reason: str | None = None
    note: str | None = None
    round_id: int | None = None  # from the link it was made with, when that link's signature is ours


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def hold(items: list[Refused], *, via_round_id: int, session: Session) -> list[HeldUpdate]:
    """Store refused updates (once per idempotency key: a repeat returns the row already stored)."""
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"at most {MAX_ITEMS} updates at a time: send the rest next", field="updates")
    out = []
    for item in items:
        try:
            kind = StopEventKind(item.kind)
        except ValueError:
            raise InvalidInput(f"kind must be arrived, collected or missed, got {item.kind!r}", field="kind") from None
        key = driver.check_key(item.idempotency_key)  # what a stop event would accept: applied later as it is
        found = session.scalars(select(HeldUpdate).where(HeldUpdate.idempotency_key == key)).first()
        if found is None:
            found = HeldUpdate(
                idempotency_key=key, via_round_id=via_round_id, round_id=item.round_id,
                stop_id=item.stop_id, kind=kind, collected_m3=item.collected_m3, remaining_m3=item.remaining_m3,
                reason=item.reason, note=item.note, occurred_at=_naive_utc(item.occurred_at),
                refused_status=item.refused_status, refused_reason=(item.refused_reason or "")[:500] or None,
            )
            session.add(found)
        out.append(found)
    session.flush()
    return out


def held_updates(*, session: Session, status: str | None = "held", limit: int = 200) -> list[HeldUpdate]:
    """Oldest first (the order the crews made them)."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, got {status!r}", field="status")
    query = select(HeldUpdate)
    if status is not None:
        query = query.where(HeldUpdate.status == status)
    return list(session.scalars(query.order_by(HeldUpdate.occurred_at, HeldUpdate.id).limit(limit)))


def _get(held_id: int, *, session: Session) -> HeldUpdate:
    held = session.get(HeldUpdate, held_id)
    if held is None:
        raise NotFound(f"held update {held_id} does not exist", field="held_id")
    if held.status != "held":
        raise Conflict(f"this update was already {held.status}", field="status")
    return held


def apply(held_id: int, *, session: Session, actor: str, stop_id: int | None = None) -> driver.EventResult:
    """Record the held update at ``stop_id`` (default: the stop it was made at, if it still exists), with
    the crew's original time and idempotency key."""
    held = _get(held_id, session=session)
    target = session.get(Stop, stop_id if stop_id is not None else held.stop_id)
    if target is None:
        raise NotFound("the stop this update was made at no longer exists: choose the stop to apply it to "
                       "(stop_id, from the day's published plan)", field="stop_id")
    result = driver.record_stop_event(
        target.round_id, target.id, held.kind.value, session=session, idempotency_key=held.idempotency_key,
        collected_m3=held.collected_m3, remaining_m3=held.remaining_m3, reason=held.reason, note=held.note,
        at=held.occurred_at,
    )
    held.status, held.applied_stop_id, held.applied_at, held.applied_by = "applied", target.id, utcnow(), actor
    session.flush()
    return result


def dismiss(held_id: int, *, session: Session, actor: str) -> HeldUpdate:
    held = _get(held_id, session=session)
    held.status, held.applied_at, held.applied_by = "dismissed", utcnow(), actor
    session.flush()
    return held
