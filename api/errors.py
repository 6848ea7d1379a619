"""Every error leaves the API as RFC 9457 problem details; domain errors map to one status each."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dispatch.errors import DispatchError

log = logging.getLogger("api")

PROBLEM_JSON = "application/problem+json"
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 429: "Too many requests", 404: "Not found", 409: "Conflict", 413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content", 503: "Unavailable"}


def problem(status: int, detail: str, *, field: str | None = None, errors: list | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    if field is not None:
        body["field"] = field
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path"))


def install(app: FastAPI) -> None:
    @app.exception_handler(DispatchError)
    async def _domain(_: Request, exc: DispatchError) -> JSONResponse:
        return problem(exc.status_hint, exc.message, field=exc.field)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _loc(tuple(e.get("loc", ()))) or "body", "reason": e.get("msg", "invalid"), "type": e.get("type")}
            if e.get("type") != "json_invalid" else  # loc is the character position: name the body instead
            {"field": "body", "type": "json_invalid", "reason": f"not valid JSON ({(e.get('ctx') or {}).get('error', 'decode error')} "
             f"at character {_loc(tuple(e.get('loc', ()))) or 0}); send a JSON object encoded in UTF-8"}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field'] or 'body'}: {e['reason']}" for e in errors)
        return problem(422, detail, field=errors[0]["field"] if errors else None, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":  # FastAPI's words
            return problem(400, "the request body could not be decoded: send JSON encoded in UTF-8", field="body")
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        return problem(409, "the change conflicts with existing data (duplicate or still referenced)")

    @app.exception_handler(OperationalError)
    async def _db_unavailable(_: Request, exc: OperationalError) -> JSONResponse:
        # Connection lost, server down, SQLite locked: all temporary from the client's side.
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return problem(503, "the database is unavailable; retry shortly", headers={"Retry-After": "5"})
