"""The relay point's page, /p/{token}: its fill level, opened by the link the relay point was given (the token is
the authentication), where its staff report it full or at a level; the report redirects back with a thank-you
(or says it was already reported)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import SessionDep, in_unit_of_work
from api.pages.common import HTMLErrorRoute, page_lang, render
from api.ratelimit import rate_limited
from api.security import public
from dispatch.documents import i18n
from dispatch.errors import InvalidInput
from dispatch.field import events as driver
from dispatch.field import links

router = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False, dependencies=[public()])


@router.get("/p/{token}", response_class=HTMLResponse)
def relay_point_page(token: str, request: Request, session: SessionDep,
                     ok: Annotated[str | None, Query(pattern="^(full|level|dup)$")] = None,
                     level: Annotated[int | None, Query(ge=0, le=100)] = None) -> HTMLResponse:
    rp = links.relay_point_from_token(token, session=session)
    lang = page_lang(request)
    message = None
    if ok == "full":
        message = i18n.text("rp_thanks", lang)
    elif ok == "level":
        message = i18n.text("rp_thanks_level", lang, level=level if level is not None else "?")
    elif ok == "dup":
        message = i18n.text("rp_duplicate", lang)
    return render(request, "relay_point.html", lang=lang, token=token, rp=driver.relay_point_status(rp, session=session),
                  levels=driver.RELAY_LEVELS, message=message)


@router.post("/p/{token}", response_class=HTMLResponse, dependencies=[rate_limited("public")])
async def relay_point_report(token: str, request: Request, session: SessionDep) -> Any:
    form = await request.form()
    # The database work and its commit run in one thread-pool hop: waiting for a lock in the event loop would
    # stall every request, and a lock held until the loop gets round to the commit would stall the next report.
    lang = page_lang(request)
    return await in_unit_of_work(request, lambda: _relay_point_report(token, dict(form), lang, session))


def _relay_point_report(token: str, form: dict, lang: str, session) -> Any:
    rp = links.relay_point_from_token(token, session=session)
    action = str(form.get("action") or "")
    if action == "full":
        result = driver.flag_relay_point(rp.id, session=session, full=True)
    else:
        try:
            level = int(str(form.get("level") or ""))
        except ValueError:
            raise InvalidInput(i18n.text("field_invalid", lang, field="level"), field="level") from None
        result = driver.flag_relay_point(rp.id, session=session, level_pct=level)
    ok = "dup" if result.duplicate else ("full" if result.full else "level")
    query = f"?ok={ok}&level={result.level_pct}" + ("&lang=en" if lang == "en" else "")
    return RedirectResponse(f"/p/{token}{query}", status_code=303)
