"""The coordinators' week page, /semaine: the week ahead of ``dispatch/planning/week.py`` in French
(English with ?lang=en), each overloaded day flagged with what would fix it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.pages.common import HTMLErrorRoute, lang_suffix, page_lang, render
from api.security import Role, require
from dispatch.planning import week as service

router = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False, tags=["staff"],
                   dependencies=[require(Role.COORDINATOR)])


@router.get("/semaine", response_class=HTMLResponse)
def week_page(request: Request, session: SessionDep, settings: SettingsDep,
              start: Annotated[dt.date | None, Query(alias="du")] = None,
              days: Annotated[int, Query(alias="jours", ge=1, le=service.MAX_DAYS)] = 5) -> HTMLResponse:
    lang = page_lang(request)
    week = service.week_ahead(start or dt.date.today(), settings, session=session, days=days)
    return render(request, "week.html", lang=lang, week=week, suffix=lang_suffix(lang))
