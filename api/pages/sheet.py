"""The crew's route sheet, /r/{token}: a round's stops in order, opened by the link the crew was given (the token
is the authentication), with the reasons a visit may be missed and the round's signature the page polls to
reload when the round changes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.pages.common import HTMLErrorRoute, render
from api.security import public
from dispatch.documents import i18n
from dispatch.field import events as driver
from dispatch.field import links, sheet_version

router = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False, dependencies=[public()])


@router.get("/r/{token}", response_class=HTMLResponse)
def route_sheet_page(token: str, request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    rnd = links.round_from_token(token, session=session, settings=settings)
    sheet = driver.route_sheet(rnd, session=session)
    return render(request, "sheet.html", sheet=sheet, token=token, missed_reasons=i18n.MISSED_REASONS,
                  signature=sheet_version.round_signature(rnd), poll_ms=settings.sheet_poll_ms)
