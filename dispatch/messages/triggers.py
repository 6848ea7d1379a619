"""When donors hear from us: the events of a pickup's life that queue a message (dispatch/messages/outbox.py).

* :func:`pickup_accepted`, :func:`pickup_rescheduled`, :func:`pickup_cancelled`, :func:`pickup_missed`: called
  by the services that make these changes, in their transaction.
* :func:`queue_visit_windows`: the day before (and on the day itself for a plan published that morning), each
  home pickup of a published plan gets its visit window: the planned time ± (30 min + the round's
  uncertainty, 10 % of the time the round has run until then), rounded to 5 minutes and kept within the
  visit's slot.
* :func:`crew_moved_on`: when a crew reports the outcome of a stop, the next home pickup of its round is told
  "on our way" with an expected time (the plan's driving time from the stop just done).
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dispatch.messages.outbox import queue
from dispatch.models import (
    DonorMessage,
    PickupRequest,
    PickupStatus,
    Plan,
    PlanStatus,
    Round,
    Stop,
    StopEvent,
    StopEventKind,
    StopKind,
    utcnow,
)
from dispatch.settings import Settings

BASE_MARGIN = dt.timedelta(minutes=30)
UNCERTAINTY_SHARE = 0.10  # of the time from the round's start to the visit
STEP_MIN = 5


def _settings(settings: Settings | None) -> Settings:
    if settings is None:
        from dispatch.settings import get_settings

        return get_settings()
    return settings


def _last_event_id(pu: PickupRequest, session: Session) -> int:
    from dispatch.models import PickupEvent

    return session.scalar(select(PickupEvent.id).where(PickupEvent.pickup_request_id == pu.id)
                          .order_by(PickupEvent.id.desc()).limit(1)) or 0


def pickup_accepted(pu: PickupRequest, *, session: Session) -> None:
    if pu.status is PickupStatus.ACCEPTED:
        queue(pu, "accepted", session=session, key=f"{pu.date}:{pu.slot.value}", day=pu.date,
              slot=pu.slot.value)


def pickup_rescheduled(pu: PickupRequest, *, session: Session) -> None:
    queue(pu, "rescheduled", session=session, key=f"e{_last_event_id(pu, session)}",
          day=pu.date, slot=pu.slot.value)


def pickup_cancelled(pu: PickupRequest, *, session: Session) -> None:
    queue(pu, "cancelled", session=session, key=f"e{_last_event_id(pu, session)}", day=pu.date)


def pickup_missed(pu: PickupRequest, missed_day: dt.date, *, session: Session,
                  settings: Settings | None = None) -> None:
    """After :func:`dispatch.fleet.pickup_lifecycle.pickup_missed`: the new date, or that we will call."""
    moved = pu.status is PickupStatus.ACCEPTED and pu.date != missed_day
    queue(pu, "missed", session=session, key=str(missed_day),
          day=pu.date if moved else None, slot=pu.slot.value if moved else None)


def _round_to(moment: dt.datetime, *, up: bool) -> dt.datetime:
    minutes = moment.hour * 60 + moment.minute + (moment.second > 0 and up)
    step = (math.ceil if up else math.floor)(minutes / STEP_MIN) * STEP_MIN
    return dt.datetime.combine(moment.date(), dt.time()) + dt.timedelta(minutes=step)


def visit_window(stop: Stop, rnd: Round) -> tuple[dt.datetime, dt.datetime]:
    """The window told to the donor: planned time ± (30 min + 10 % of the round's elapsed time), rounded to
    5 minutes; slid (same width) to stay within the visit's slot, cut only when the slot is narrower."""
    elapsed = max(stop.planned_arrival - rnd.start_at, dt.timedelta())
    margin = BASE_MARGIN + elapsed * UNCERTAINTY_SHARE
    start = _round_to(stop.planned_arrival - margin, up=False)
    end = _round_to(stop.planned_arrival + margin, up=True)
    width = end - start
    low = stop.window_start if stop.window_start is not None and stop.window_start <= stop.planned_arrival else None
    high = stop.window_end if stop.window_end is not None and stop.window_end >= stop.planned_arrival else None
    if low is not None and start < low:  # slid inside the slot, keeping its width
        start, end = low, low + width
    if high is not None and end > high:
        start, end = max(high - width, low or high - width), high
    return start, end


def local_now(settings: Settings, now: dt.datetime | None = None) -> dt.datetime:
    """Wall-clock time where the crews work (plans store local times; ``now`` is naive UTC)."""
    moment = (now or utcnow()).replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(settings.timezone)).replace(tzinfo=None)


def queue_visit_windows(*, session: Session, settings: Settings, now: dt.datetime | None = None) -> int:
    """Queue the visit window of every home pickup in today's and tomorrow's published plans not told yet
    (today: only visits still more than an hour away). Returns how many pickups were told."""
    here = local_now(settings, now)
    days = (here.date(), here.date() + dt.timedelta(days=1))
    plans = session.scalars(select(Plan).where(Plan.date.in_(days), Plan.status == PlanStatus.PUBLISHED)).all()
    told = 0
    for plan in plans:
        already = set(session.scalars(select(DonorMessage.pickup_request_id).where(
            DonorMessage.kind == "visit_window", DonorMessage.dedupe_key.like(f"visit_window:%:{plan.date}:%"))))
        for rnd in plan.rounds:
            for stop in rnd.stops:
                pu = stop.pickup_request if stop.kind is StopKind.PICKUP else None
                if pu is None or pu.id in already or pu.status is not PickupStatus.SCHEDULED or pu.date != plan.date:
                    continue
                if plan.date == here.date() and stop.planned_arrival < here + dt.timedelta(hours=1):
                    continue
                start, end = visit_window(stop, rnd)
                if queue(pu, "visit_window", session=session, key=str(plan.date),
                         day=plan.date, start=start, end=end, now=now):
                    told += 1
    return told


def crew_moved_on(round_id: int, stop_id: int, *, session: Session, at: dt.datetime,
                  settings: Settings | None = None) -> None:
    """The crew reported the outcome of ``stop_id``: the next visit of its round, when it is a home pickup
    not visited yet, is told "on our way" with an expected time. Column queries only: this runs for crew
    updates, the busiest requests of a morning."""
    done = session.execute(_DONE_STOP, {"stop_id": stop_id}).first()
    if done is None:
        return
    nxt = session.execute(_NEXT_VISIT, {"round_id": round_id, "position": done.position}).first()
    if nxt is None or nxt.kind is not StopKind.PICKUP or nxt.pickup_request_id is None:
        return
    if session.execute(_REPORTED, {"stop_id": nxt.id}).first() is not None:
        return
    pu = session.get(PickupRequest, nxt.pickup_request_id)
    if pu is None or pu.status is not PickupStatus.SCHEDULED:
        return
    departure = done.planned_arrival + dt.timedelta(seconds=done.service_s)
    drive = max(nxt.planned_arrival - dt.timedelta(seconds=nxt.waiting_s) - departure, dt.timedelta())
    here = local_now(_settings(settings), at)
    expected = _round_to(here + drive, up=True)
    queue(pu, "on_the_way", session=session, key=str(done.planned_arrival.date()), day=done.planned_arrival.date(),
          at=expected, now=at)


_DONE_STOP = select(Stop.position, Stop.planned_arrival, Stop.service_s).where(Stop.id == bindparam("stop_id"))
_NEXT_VISIT = (select(Stop.id, Stop.kind, Stop.pickup_request_id, Stop.planned_arrival, Stop.waiting_s)
               .where(Stop.round_id == bindparam("round_id"), Stop.position > bindparam("position"),
                      Stop.kind.in_([StopKind.RELAY_POINT, StopKind.PICKUP]))
               .order_by(Stop.position).limit(1))
_REPORTED = select(StopEvent.id).where(StopEvent.stop_id == bindparam("stop_id"),
                                       StopEvent.kind != StopEventKind.ARRIVED).limit(1)
