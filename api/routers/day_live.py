"""The coordinator's day as it happens (polled by the /jour page): rounds' progress, relay points full today,
alerts needing a decision; in the coordinator's language."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request

from api.deps import SessionDep, SettingsDep
from api.security import Role, require
from dispatch.documents import i18n
from dispatch.field import live

router = APIRouter(prefix="/api/v1/days", tags=["planning"], dependencies=[require(Role.COORDINATOR)])


@router.get("/{day}/live", response_model=dict,
            summary="The day as it happens: each round's progress from the crews' updates, relay points that "
                    "called full today, and alerts (missed booked pickups, late rounds, volumes to check)")
def day_live(day: dt.date, request: Request, session: SessionDep, settings: SettingsDep) -> dict:
    lang = i18n.negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
    return live.day_live(day, session=session, timezone=settings.timezone, lang=lang)
