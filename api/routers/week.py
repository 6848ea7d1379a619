"""The week ahead for coordinators: each collection day's relay points and why, m³ per van-day, booked
home pickups, and the overloaded days with what would fix them (``dispatch/planning/week.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import SessionDep, SettingsDep
from api.security import Role, require
from dispatch.planning import week as service

router = APIRouter(prefix="/api/v1", tags=["planning"], dependencies=[require(Role.COORDINATOR)])


@router.get("/week", summary="The next collection days: visits, load per van-day, overloaded days and fixes")
def week_ahead(session: SessionDep, settings: SettingsDep,
               start: Annotated[dt.date | None, Query(alias="from", description="first day (default: today)")] = None,
               days: Annotated[int, Query(ge=1, le=service.MAX_DAYS)] = 5) -> dict[str, Any]:
    first = start or dt.date.today()
    return service.week_dict(service.week_ahead(first, settings, session=session, days=days))
