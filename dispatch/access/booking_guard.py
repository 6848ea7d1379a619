"""The public booking's abuse guard (no captcha): per phone number, and a daily cap the switchboard releases.

A request made through the public form (``channel = "online"``) is still stored whatever happens (nothing a
donor typed is lost), but it is **refused** with a reason the switchboard may override when:

- the phone number already has ``DISPATCH_ONLINE_MAX_OPEN_PER_PHONE`` open requests (requested, accepted or
  scheduled, today or later; any channel, numbers compared by their digits): reason ``online_open_limit``;
- ``DISPATCH_ONLINE_DAILY_CAP`` online requests were already received today (Paris day), plus what the
  switchboard released for the day: reason ``online_daily_cap``.

The switchboard sees the day's count, cap and held requests (:func:`day_status`) and releases more
(:func:`release`, recorded with the signed-in account); a held request is accepted with the usual override.
Services take ``*, session``, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput
from dispatch.models import OnlineBookingRelease, PickupRequest, PickupStatus, utcnow
from dispatch.pickups import RuleReason
from dispatch.pickups import REASON_FIELDS

ONLINE = "online"
_OPEN = (PickupStatus.REQUESTED, PickupStatus.ACCEPTED, PickupStatus.SCHEDULED)


def digits(phone: str) -> str:
    return "".join(c for c in phone or "" if c.isdigit())


def _day_bounds(day: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The Paris day as naive UTC datetimes (how ``created_at`` is stored)."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    return start, end.replace(tzinfo=None)


def online_count(day: dt.date, *, session: Session, timezone: str) -> int:
    start, end = _day_bounds(day, timezone)
    return session.scalar(select(func.count()).select_from(PickupRequest).where(
        PickupRequest.channel == ONLINE, PickupRequest.created_at >= start, PickupRequest.created_at < end)) or 0


def released(day: dt.date, *, session: Session) -> int:
    return session.scalar(select(func.coalesce(func.sum(OnlineBookingRelease.extra), 0))
                          .where(OnlineBookingRelease.day == day)) or 0


def open_requests(phone: str, *, session: Session, today: dt.date) -> int:
    wanted = digits(phone)
    if not wanted:
        return 0
    phones = session.scalars(select(PickupRequest.phone).where(
        PickupRequest.status.in_(_OPEN), PickupRequest.date >= today)).all()
    return sum(1 for p in phones if digits(p) == wanted)


def reasons_for(phone: str, *, session: Session, settings, today: dt.date) -> list[RuleReason]:  # noqa: ANN001
    """The guard's refusals for one more online request from ``phone`` today (empty: let the rules judge)."""
    found = []
    open_now = open_requests(phone, session=session, today=today)
    if open_now >= settings.online_max_open_per_phone:
        found.append(RuleReason("online_open_limit", REASON_FIELDS["online_open_limit"], {"open": open_now}))
    cap = settings.online_daily_cap + released(today, session=session)
    if online_count(today, session=session, timezone=settings.timezone) >= cap:
        found.append(RuleReason("online_daily_cap", REASON_FIELDS["online_daily_cap"], {"cap": cap}))
    return found


@dataclass
class DayStatus:
    day: dt.date
    online_requests: int
    cap: int
    released: int
    held: list[PickupRequest] = field(default_factory=list)


def day_status(day: dt.date, *, session: Session, settings) -> DayStatus:  # noqa: ANN001
    """What the switchboard sees: the day's online requests, the cap, releases, and requests the guard held."""
    start, end = _day_bounds(day, settings.timezone)
    candidates = session.scalars(select(PickupRequest).where(
        PickupRequest.channel == ONLINE, PickupRequest.created_at >= start, PickupRequest.created_at < end,
        PickupRequest.status == PickupStatus.REFUSED).order_by(PickupRequest.id)).all()
    held = [p for p in candidates if any(r.get("code", "").startswith("online_")
                                         for r in (p.decision or {}).get("reasons", []))]
    extra = released(day, session=session)
    return DayStatus(day, online_count(day, session=session, timezone=settings.timezone),
                     settings.online_daily_cap + extra, extra, held)


def release(day: dt.date, extra: int, *, by: str, note: str | None, session: Session,
            today: dt.date) -> OnlineBookingRelease:
    """Raise ``day``'s cap by ``extra`` (today or later), on ``by``'s account (the signed-in user)."""
    if day < today:
        raise InvalidInput(f"{day.isoformat()} is past: release today's or a later day's cap", field="day")
    if not 1 <= extra <= 10_000:
        raise InvalidInput("release between 1 and 10000 more online requests", field="extra")
    row = OnlineBookingRelease(day=day, extra=extra, released_by=by, released_at=utcnow(),
                               note=(note or "").strip()[:500] or None)
    session.add(row)
    session.flush()
    return row
