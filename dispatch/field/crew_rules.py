"""What a crew may report at a stop, and when: the stop's state machine, the round's day, volumes to confirm.

* **State machine.** ``arrived`` (any number of times, it changes no outcome) -> ``collected`` | ``missed``.
  An outcome already recorded is changed only by a *correction*: the new event names its reason
  (``correction_reason``) and the event it corrects (``StopEvent.corrects_event_id``). One correction per
  stop: a further change (collected -> missed -> collected, each flip re-dating the donor's pickup) is
  refused; the coordination changes it.
* **Day.** Nothing is recorded before the round's day (local time of ``Settings.timezone``).
* **Volumes.** A collected volume far above the expected one (more than twice it and more than 1 m³ over
  it), or above what is left in the van since its last unloading, must be confirmed (``confirm=true``);
  the confirmed event carries a ``flag`` the coordinator sees on the day page.

Refusals carry a ``code`` and ``params`` so that the sheet says them in the crew's language
(:data:`TEXT_KEYS`, dispatch/documents/i18n.py). Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import Stop, StopEvent, StopEventKind, StopKind

FAR_ABOVE_FACTOR = 2.0
FAR_ABOVE_MARGIN_M3 = 1.0
FLAG_VOLUME_HIGH = "volume_high"
FLAG_OVER_CAPACITY = "over_capacity"


class CrewRefusal(Conflict):
    """An update the stop's state or the round's day does not allow (HTTP 409), said in the crew's words."""

    def __init__(self, message: str, code: str, field: str, **params) -> None:
        super().__init__(message, field=field)
        self.code, self.params = code, params


class NotInRound(NotFound):
    """A stop that is not (or no longer) in this crew's round (HTTP 404: a link answers only for its own
    round's stops, and says nothing of the others), said in the crew's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="stop_id")
        self.code, self.params = "not_in_round", {}


class NeedsConfirmation(InvalidInput):
    """A collected volume to confirm on the sheet (HTTP 422, field ``confirm``)."""

    def __init__(self, message: str, code: str, **params) -> None:
        super().__init__(message, field="confirm")
        self.code, self.params = code, params


# code -> text key of the crew's message (dispatch/documents/i18n.py)
TEXT_KEYS = {
    "correction_reason": "ev_refused_correction_reason", "corrected": "ev_refused_corrected",
    "before_day": "ev_refused_before_day", FLAG_VOLUME_HIGH: "ev_confirm_volume_high",
    FLAG_OVER_CAPACITY: "ev_confirm_over_capacity", "not_in_round": "ev_refused_not_in_round",
}

_OUTCOMES = (
    select(StopEvent.id, StopEvent.kind, StopEvent.corrects_event_id)
    .where(StopEvent.stop_id == bindparam("stop_id"), StopEvent.kind != StopEventKind.ARRIVED)
    .order_by(StopEvent.recorded_at, StopEvent.id)
)


def check_day(plan_day: dt.date, at: dt.datetime, timezone: str, days_before: int = 0) -> None:
    """``at`` (naive UTC) must fall on or after the round's day, in local time (or ``days_before`` days
    before it: ``Settings.crew_updates_days_before``)."""
    local = at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).date()
    if local < plan_day - dt.timedelta(days=days_before):
        raise CrewRefusal(f"this round is for {plan_day.isoformat()}: nothing can be recorded before that day",
                          "before_day", "kind", date=plan_day)


def check_transition(stop_id: int, kind: StopEventKind, correction_reason: str | None, *,
                     session: Session) -> int | None:
    """The event an outcome corrects (None: the first outcome, or an arrival); refuses what the state
    machine does not allow."""
    if kind is StopEventKind.ARRIVED:
        return None
    outcomes = session.execute(_OUTCOMES, {"stop_id": stop_id}).all()
    if not outcomes:
        return None
    last = outcomes[-1]
    if any(o.corrects_event_id is not None for o in outcomes):
        raise CrewRefusal(f"stop {stop_id} was already corrected once (now {last.kind.value}): ask the "
                          "coordination to change it", "corrected", "kind", state=last.kind.value)
    if not (correction_reason or "").strip():
        raise CrewRefusal(f"stop {stop_id} is already recorded as {last.kind.value}: to correct it, give the "
                          "reason (correction_reason)", "correction_reason", "correction_reason",
                          state=last.kind.value)
    return last.id


def _left_in_van(stop: Stop, capacity_m3: float, *, session: Session) -> float:
    """What is left in the van when it reaches ``stop``: its capacity less what the crew reported collected
    at the round's earlier stops since its last unloading (each stop's last outcome)."""
    stops = session.execute(select(Stop.id, Stop.position, Stop.kind).where(Stop.round_id == stop.round_id)).all()
    last_unload = max((p for _, p, k in stops if k is StopKind.UNLOAD and p < stop.position), default=0)
    before = [i for i, p, k in stops if last_unload < p < stop.position]
    if not before:
        return capacity_m3
    last: dict[int, float] = {}
    for stop_id, kind, volume in session.execute(
            select(StopEvent.stop_id, StopEvent.kind, StopEvent.collected_m3)
            .where(StopEvent.stop_id.in_(before), StopEvent.kind != StopEventKind.ARRIVED)
            .order_by(StopEvent.recorded_at, StopEvent.id)).all():
        last[stop_id] = (volume or 0.0) if kind is StopEventKind.COLLECTED else 0.0
    return max(0.0, capacity_m3 - sum(last.values()))


def check_volume(stop_id: int, collected_m3: float, capacity_m3: float | None, confirm: bool, *,
                 session: Session) -> str | None:
    """The flag of a volume to confirm (None: an ordinary volume); raises :class:`NeedsConfirmation`
    when it is not confirmed."""
    stop = session.get(Stop, stop_id)
    expected = stop.expected_m3 or 0.0
    flag, params = None, {}
    if capacity_m3 is not None:
        left = _left_in_van(stop, capacity_m3, session=session)
        if collected_m3 > left + 1e-9:
            flag, params = FLAG_OVER_CAPACITY, {"volume": collected_m3, "left": round(left, 1)}
    if flag is None and collected_m3 > max(FAR_ABOVE_FACTOR * expected, expected + FAR_ABOVE_MARGIN_M3):
        flag, params = FLAG_VOLUME_HIGH, {"volume": collected_m3, "expected": round(expected, 1)}
    if flag is not None and not confirm:
        what = ("more than is left in the van ({left:g} m³)" if flag == FLAG_OVER_CAPACITY
                else "far above the expected {expected:g} m³").format(**params)
        raise NeedsConfirmation(f"{collected_m3:g} m³ collected is {what}: check it, then send it again "
                                "with confirm=true", flag, **params)
    return flag
