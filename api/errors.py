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
        headers = {"Retry-After": "10"} if exc.status_hint == 503 else None
        return problem(exc.status_hint, exc.message, field=exc.field, headers=headers)

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


# ------------------------------------------------------------------ the errors in the OpenAPI schema

_DESCRIPTIONS = {
    400: "the request body could not be decoded, or the request is not acceptable",
    401: "no, an unknown, an expired or a revoked token: sign in (POST /api/v1/auth/token)",
    403: "your role may not do this (or a cross-site form posted with the sign-in cookie)",
    404: "no such resource (an id or reference in the path, the body or the query is unknown)",
    409: "the change conflicts with the current state or with existing data",
    413: "request body larger than DISPATCH_MAX_BODY_BYTES",
    422: "invalid input: `field` names the input at fault, `errors` lists every problem",
    429: "too many requests from this address: retry after `Retry-After` seconds",
    503: "the database (or the road network) is unavailable; retry shortly",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
_UNSAFE = {"post", "put", "patch", "delete"}


def _walk(dependant):
    yield dependant
    for dep in getattr(dependant, "dependencies", ()):
        yield from _walk(dep)


def _error_statuses(route, method: str, operation: dict) -> set[int]:
    """The error statuses a route can answer, from what it depends on (roles, rate limits, links, parameters)."""
    from api.security import bearer_scheme, roles_of

    calls = [d.call for d in _walk(route.dependant)]
    statuses = {503}  # every route reads the database
    if any(c is bearer_scheme for c in calls):
        statuses.add(401)  # a bad token is refused even where signing in is optional
    if roles_of(route.dependant) is not None:
        statuses |= {401, 403}
    if any(getattr(c, "rate_limit_bucket", None) for c in calls):
        statuses.add(429)
    if "{token}" in route.path:
        statuses.add(403)  # a link that is malformed, forged, expired or revoked
    # an id in the path, or one in the body or a required query (a depot, a day's plan) may not exist
    if route.dependant.path_params or "requestBody" in operation or any(
            p.get("required") and p.get("in") == "query" for p in operation.get("parameters", ())):
        statuses.add(404)
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413}
    if method in _UNSAFE:
        statuses.add(409)
    return statuses


def document(app: FastAPI) -> None:
    """Declare every error a route can answer in the OpenAPI schema, as problem details (``Problem``).

    FastAPI documents only 422 (as its own ``HTTPValidationError`` JSON); the API answers problem+json for
    every error. Routes keep what they declare themselves (``responses=``), with the problem+json content.
    """
    from fastapi.routing import iter_route_contexts

    from api.schemas.common import Problem

    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        problem_content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for route in iter_route_contexts(app.routes):
            if getattr(route, "dependant", None) is None or not getattr(route, "include_in_schema", False):
                continue
            for method in route.methods - {"HEAD"}:
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status in _error_statuses(route, method.lower(), operation):
                    responses.setdefault(str(status), {"description": _DESCRIPTIONS[status]})
                for code, response in responses.items():
                    if not code.isdigit() or int(code) < 400:
                        continue
                    response["content"] = problem_content
                    if response.get("description") in (None, "", "Validation Error"):
                        response["description"] = _DESCRIPTIONS.get(int(code), TITLES.get(int(code), "Error"))
                    if code == "401":
                        response.setdefault("headers", {})["WWW-Authenticate"] = {
                            "description": "Bearer", "schema": {"type": "string"}}
                    if code in ("429", "503"):
                        response.setdefault("headers", {}).update(_RETRY_AFTER)
                operation["responses"] = dict(sorted(responses.items()))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
