"""Shared helpers of the HTML pages: language, rendering, friendly error pages instead of problem JSON."""

from __future__ import annotations

import logging
from urllib.parse import quote
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch.documents import i18n
from dispatch.errors import DispatchError
from dispatch.documents import render_html

log = logging.getLogger("api.pages")


def page_lang(request: Request) -> str:
    return i18n.negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


def lang_suffix(lang: str) -> str:
    return "?lang=en" if lang == "en" else ""


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = context.pop("lang", None) or page_lang(request)
    html = render_html(template, lang=lang, request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def error_page(request: Request, status: int, detail: str | None = None,
               headers: dict[str, str] | None = None) -> HTMLResponse:
    lang = page_lang(request)
    request.state.error_status = status  # nothing is audited for a page that ended in an error
    key = f"error_{status}" if status in (401, 403, 404, 409, 422, 429) else "error_other"
    page = render(request, "error.html", status_code=status, lang=lang, status=status,
                  message=i18n.text(key, lang), detail=detail)
    page.headers.update(headers or {})
    return page


def login_redirect(request: Request) -> RedirectResponse:
    """A staff page opened without signing in: to the sign-in page, then back here."""
    request.state.error_status = 401
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    lang = "&lang=en" if page_lang(request) == "en" else ""
    return RedirectResponse(f"/connexion?next={quote(here, safe='')}{lang}", status_code=303)


class HTMLErrorRoute(APIRoute):
    """A route whose errors become a friendly French (or English) page with the right status, never a 500."""

    def get_route_handler(self) -> Callable:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
                request.state.response_status = response.status_code  # for the audit log (api/security.py)
                return response
            except DispatchError as exc:
                return error_page(request, exc.status_hint, exc.message)
            except RequestValidationError as exc:
                fields = ", ".join(".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path", "body"))
                                   for e in exc.errors())
                return error_page(request, 404 if "token" in fields or "date" in fields else 422, fields or None)
            except StarletteHTTPException as exc:
                if exc.status_code == 401:
                    return login_redirect(request)
                return error_page(request, exc.status_code, exc.detail if exc.status_code in (403, 429) else None,
                                  headers={k: v for k, v in (exc.headers or {}).items() if k == "Retry-After"})
            except OperationalError:
                log.warning("database unavailable while rendering %s", request.url.path)
                return error_page(request, 503, None, headers={"Retry-After": "5"})

        return handler
