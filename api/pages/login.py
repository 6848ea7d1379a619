"""Staff sign-in page for the HTML staff pages (/jour/...): sets the ``dispatch_session`` HttpOnly cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import SessionDep, SettingsDep
from api.pages.common import HTMLErrorRoute, page_lang, render
from api.ratelimit import rate_limited
from api.security import SESSION_COOKIE, public, same_origin
from dispatch.access import auth as auth_service
from dispatch.documents import i18n
from api.signin import sign_in
from dispatch.workdays import local_today, next_collection_day

router = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False, tags=["staff"])


def _safe_next(value: str | None, settings) -> str:
    """Only a path of this site (never another host): open redirects are refused."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and "\n" not in value \
            and "\r" not in value and len(value) < 500:
        return value
    today = local_today(settings.timezone)
    return f"/jour/{next_collection_day(today).isoformat()}"


@router.get("/connexion", response_class=HTMLResponse, dependencies=[public()])
def login_page(request: Request, settings: SettingsDep,
               next: Annotated[str | None, Query(max_length=500)] = None,
               out: Annotated[str | None, Query(pattern="^1$")] = None) -> HTMLResponse:
    lang = page_lang(request)
    message = i18n.text("logged_out", lang) if out else (i18n.text("login_required", lang) if next else None)
    return render(request, "login.html", lang=lang, next=_safe_next(next, settings), username="", message=message,
                  error=False)


@router.post("/connexion", dependencies=[public(), rate_limited("login")])
def login_submit(request: Request, session: SessionDep, settings: SettingsDep,
                 username: Annotated[str, Form(max_length=80)] = "",
                 password: Annotated[str, Form(max_length=1024)] = "",
                 next: Annotated[str | None, Form(max_length=500)] = None):
    lang = page_lang(request)
    target = _safe_next(next, settings)
    if not same_origin(request):  # login CSRF: another site must not sign a browser in to its account
        return render(request, "login.html", status_code=403, lang=lang, next=target, username="",
                      message=i18n.text("login_cross_site", lang), error=True)
    try:
        user = sign_in(request, username, password, session=session, settings=settings)
    except auth_service.InvalidCredentials:  # handled: answered: the sign-in page again, with its 401
        return render(request, "login.html", status_code=401, lang=lang, next=target, username=username[:80],
                      message=i18n.text("login_failed", lang), error=True)
    token, _ = auth_service.issue_token(user, session=session, ttl_minutes=settings.token_ttl_minutes)
    if lang == "en" and "lang=" not in target:
        target += ("&" if "?" in target else "?") + "lang=en"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.token_ttl_minutes * 60, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")
    return response


@router.post("/deconnexion", dependencies=[public()])
def logout_submit(request: Request, session: SessionDep) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth_service.revoke_token(token, session=session)
    lang = page_lang(request)
    response = RedirectResponse("/connexion?out=1" + ("&lang=en" if lang == "en" else ""), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
