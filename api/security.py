"""Who may call what: staff roles on every endpoint (issue 5 item 5).

Interface used by the routers (stable, other work depends on it):

- ``Role``: ``admin``, ``coordinator``, ``switchboard``.
- ``require(*roles)``: a FastAPI dependency; the caller must be a staff member with one of ``roles``
  (``admin`` always passes). Use as ``dependencies=[require(Role.COORDINATOR)]`` on a router or a route,
  or as a parameter ``user: Annotated[StaffUser, require(Role.COORDINATOR)]`` to know who acts.
- ``public()``: marks an endpoint as deliberately open (donors, links, health); it does nothing else.

The caller is identified by ``Authorization: Bearer <token>`` (``POST /api/v1/auth/token``) or, for the staff
HTML pages, by the ``dispatch_session`` cookie set by ``/connexion``. Missing, unknown, expired or revoked:
401 with ``WWW-Authenticate: Bearer``; a role that is not allowed: 403. Every successful state-changing request
(POST, PUT, PATCH, DELETE) made through ``require`` is written to the audit log in the request's own
transaction (queued with ``api.deps.before_commit``: it runs just before the request session commits).
``require`` attaches the allowed roles to its dependency function (``.roles``), so tests and tools can read who
may call a route.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from anyio import to_thread
from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.deps import before_commit, get_session
from dispatch.access import audit
from dispatch.access import auth as auth_service

SESSION_COOKIE = "dispatch_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Declares the bearer scheme in the OpenAPI schema (the "Authorize" button of /docs); never errors by itself.
bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
_SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class Role(str, enum.Enum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    SWITCHBOARD = "switchboard"


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    role: Role
    display_name: str = ""
    via_cookie: bool = False


class NotAuthenticated(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _token_from(request: Request, bearer: str | None) -> tuple[str | None, bool]:
    if bearer:
        return bearer, False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def same_origin(request: Request) -> bool:
    """A cookie-authenticated change (and the sign-in form, against login CSRF) must come from our own pages:
    Origin/Referer, when sent, match this host, and the browser does not call the request cross-site."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None
    return urlsplit(source).netloc == request.headers.get("host", request.url.netloc)


def authenticate_request(request: Request, session: Session, bearer: str | None) -> StaffUser | None:
    """The staff user behind the request's token or cookie; None without credentials; 401 when they are bad."""
    token, via_cookie = _token_from(request, bearer)
    if token is None:
        return None
    holder = auth_service.token_holder(token, session=session)
    if holder is None:
        raise NotAuthenticated("the token is unknown, expired or revoked: sign in again (POST /api/v1/auth/token)")
    user = StaffUser(id=holder.user_id, username=holder.username, role=Role(holder.role.value),
                     display_name=holder.display_name, via_cookie=via_cookie)
    request.state.staff_user = user
    request.state.staff_token = token
    return user


def _audit_entity(request: Request) -> tuple[str | None, str | None]:
    ids = [(k, v) for k, v in request.path_params.items() if k == "id" or k.endswith("_id")]
    if ids:
        key, value = ids[-1]
        return (key[:-3] if key.endswith("_id") else "id"), str(value)
    parts = [p for p in request.url.path.split("/") if p and p not in ("api", "v1")]
    return (parts[0].replace("-", "_") if parts else None), None


def note(request: Request, *, entity: str | None = None, entity_id: Any = None, **detail: Any) -> None:
    """Let an endpoint name what it changed (e.g. the id it created) in its audit entry."""
    current = getattr(request.state, "audit_note", {})
    if entity is not None:
        current["entity"] = entity
    if entity_id is not None:
        current["entity_id"] = str(entity_id)
    current.setdefault("detail", {}).update(detail)
    request.state.audit_note = current


def _record(request: Request, response: Response, session: Session, user: StaffUser) -> None:
    if getattr(request.state, "audit_claimed", False) or getattr(request.state, "error_status", None):
        return  # already recorded by another require() of the same request, or a page rendered an error
    request.state.audit_claimed = True
    route = request.scope.get("route")
    status = (getattr(request.state, "response_status", None) or response.status_code
              or getattr(route, "status_code", None) or 200)
    entity, entity_id = _audit_entity(request)
    extra = getattr(request.state, "audit_note", {})
    detail = {"route": getattr(route, "name", None)}
    if request.query_params:
        detail["query"] = dict(request.query_params)
    detail.update(extra.get("detail", {}))
    audit.record(session=session, user_id=user.id or None, username=user.username, role=user.role.value,
                 method=request.method, path=request.url.path, status_code=int(status),
                 entity=extra.get("entity", entity), entity_id=extra.get("entity_id", entity_id), detail=detail)


_REQUIRE_CACHE: dict[frozenset[Role], Any] = {}


def require(*roles: Role) -> Any:
    """Dependency: a signed-in staff member with one of ``roles`` (admin always passes); 401 / 403 otherwise."""
    allowed = frozenset(Role(r) for r in roles) | {Role.ADMIN}
    if allowed in _REQUIRE_CACHE:  # one function per role set: FastAPI runs it once per request
        return _REQUIRE_CACHE[allowed]

    # Async: the token lookup is the only blocking work (one thread-pool hop); the audit entry is queued to run
    # in the hop that commits the request's transaction.
    async def _require(request: Request, response: Response, session: _SessionDep,
                       bearer: Annotated[str | None, Depends(bearer_scheme)]) -> StaffUser:
        user = await _authenticate(request, session, bearer)
        if user is None:
            raise NotAuthenticated("sign in first: send 'Authorization: Bearer <token>' "
                                   "(get a token from POST /api/v1/auth/token)")
        if user.role not in allowed:
            names = " or ".join(sorted(r.value for r in allowed))
            raise HTTPException(403, detail=f"your role ({user.role.value}) may not do this: it needs {names}")
        if user.via_cookie and request.method in UNSAFE_METHODS and not same_origin(request):
            raise HTTPException(403, detail="cross-site request refused: use the application's own pages")
        # Written in the request's transaction just before it commits, only if the endpoint returned normally.
        if request.method in UNSAFE_METHODS:
            before_commit(request, lambda: _record(request, response, session, user))
        return user

    _require.roles = allowed  # type: ignore[attr-defined]
    _require.__name__ = "require_" + "_".join(sorted(r.value for r in allowed))
    dependency = Depends(_require, scope="function")
    _REQUIRE_CACHE[allowed] = dependency
    return dependency


async def _authenticate(request: Request, session: Session, bearer: str | None) -> StaffUser | None:
    """``authenticate_request`` without a thread-pool hop when the request carries no credentials."""
    if _token_from(request, bearer)[0] is None:
        return None
    return await to_thread.run_sync(authenticate_request, request, session, bearer)


async def _optional_staff(request: Request, session: _SessionDep,
                          bearer: Annotated[str | None, Depends(bearer_scheme)]) -> StaffUser | None:
    return await _authenticate(request, session, bearer)


_optional_staff.optional = True  # type: ignore[attr-defined]

# For endpoints open to everyone that show more to staff: None for anonymous callers, 401 for a bad token.
OptionalStaff = Annotated[StaffUser | None, Depends(_optional_staff)]


async def _public() -> None:  # async: no thread-pool hop
    return None


_public.public = True  # type: ignore[attr-defined]


def public() -> Any:
    return Depends(_public)


def roles_of(dependant: Any) -> frozenset[Role] | None:
    """The roles a route's dependency tree requires (None: no ``require``), for tests and documentation."""
    found: frozenset[Role] | None = None
    for dep in getattr(dependant, "dependencies", ()):
        roles = getattr(dep.call, "roles", None)
        if roles is not None:
            found = roles if found is None else found & roles
        inner = roles_of(dep)
        if inner is not None:
            found = inner if found is None else found & inner
    return found


# ------------------------------------------------------------------ what anonymous callers may see


def redact_day(day: Any, postcodes: dict[int, str]) -> Any:
    """A day's rounds without donors' personal details: a home-pickup stop keeps its postcode (``postcodes``:
    pickup request id -> postcode) and a position rounded to about 1 km; its name, street address, phone,
    access code and notes are not shown; nor are staff usernames (who dropped a visit)."""
    def hidden(s: Any) -> Any:
        return s.model_copy(update={"name": "home pickup", "address": postcodes.get(s.pickup_request_id),
                                    "lat": None if s.lat is None else round(s.lat, 2),
                                    "lon": None if s.lon is None else round(s.lon, 2)})

    rounds = [rnd.model_copy(update={"stops": [hidden(s) if s.kind == "pickup" else s for s in rnd.stops]})
              for rnd in day.rounds]
    # No staff name either: "dropped by <username>" becomes "dropped by the coordination".
    unassigned = [u.model_copy(update={"name": "home pickup"} if u.kind == "pickup" else {}) for u in day.unassigned]
    unassigned = [u.model_copy(update={"detail": _NAMED.sub(_ANONYMOUS, u.detail or "")}) for u in unassigned]
    explanation = _NAMED.sub(_ANONYMOUS, day.explanation) if day.explanation else day.explanation
    return day.model_copy(update={"rounds": rounds, "unassigned": unassigned, "explanation": explanation})


#: "dropped by <username>" in the texts of a plan (dispatch/planning/editing.py): staff names are not public.
_NAMED = re.compile(r"\bdropped by [^\s(),;:]+")
_ANONYMOUS = "dropped by the coordination"


def pickup_postcodes(day: Any, *, session: Session) -> dict[int, str]:
    """Postcodes of the day's home pickups (what anonymous callers may see of them)."""
    from sqlalchemy import select

    from dispatch.models import PickupRequest

    ids = {s.pickup_request_id for r in day.rounds for s in r.stops if s.pickup_request_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(PickupRequest.id, PickupRequest.postcode).where(PickupRequest.id.in_(ids))).all())
