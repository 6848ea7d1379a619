"""The online booking's abuse guard, for the switchboard: the day's count and cap, held requests, releases.

See dispatch/access/booking_guard.py. A held request is accepted with the usual override
(``POST /api/v1/pickup-requests/{id}/override``); releasing raises the day's cap for the requests to come.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SessionDep, SettingsDep
from api.security import Role, StaffUser, require
from dispatch.access import booking_guard as service
from dispatch.workdays import local_today

router = APIRouter(prefix="/api/v1/online-bookings", tags=["home pickups"])
Staff = Annotated[StaffUser, require(Role.SWITCHBOARD, Role.COORDINATOR)]


class HeldOut(BaseModel):
    id: int
    ref: str
    date: dt.date
    slot: str
    created_at: dt.datetime
    reasons: list[str] = Field(description="the guard's reason codes: online_open_limit, online_daily_cap")


class GuardOut(BaseModel):
    date: dt.date
    online_requests: int = Field(description="requests received through the public form that day")
    cap: int = Field(description="DISPATCH_ONLINE_DAILY_CAP plus what was released for the day")
    released: int
    held: list[HeldOut]


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date | None = Field(default=None, description="default: today")
    extra: int = Field(ge=1, le=10_000, description="how many more online requests to let through that day")
    note: str | None = Field(default=None, max_length=500)


def _status(day: dt.date, session, settings) -> GuardOut:  # noqa: ANN001
    status = service.day_status(day, session=session, settings=settings)
    return GuardOut(date=status.day, online_requests=status.online_requests, cap=status.cap,
                    released=status.released, held=[
                        HeldOut(id=p.id, ref=p.ref, date=p.date, slot=p.slot.value, created_at=p.created_at,
                                reasons=[r["code"] for r in (p.decision or {}).get("reasons", [])
                                         if r.get("code", "").startswith("online_")])
                        for p in status.held])


@router.get("", summary="Online requests of a day: count, cap, and the requests the abuse guard held")
def guard_status(user: Staff, session: SessionDep, settings: SettingsDep,
                 date: Annotated[dt.date | None, Query()] = None) -> GuardOut:
    return _status(date or local_today(settings.timezone), session, settings)


@router.post("/release", summary="Let more online requests through for a day (recorded with your account)")
def release(body: ReleaseIn, user: Staff, session: SessionDep, settings: SettingsDep) -> GuardOut:
    today = local_today(settings.timezone)
    day = body.date or today
    service.release(day, body.extra, by=user.username, note=body.note, session=session, today=today)
    return _status(day, session, settings)
