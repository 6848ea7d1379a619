"""Sign-in (OAuth2 password flow → opaque bearer token), staff accounts (admin) and the audit log (admin)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Id, SessionDep, SettingsDep
from api.ratelimit import rate_limited
from api.signin import sign_in
from api.schemas.common import Instant
from api.security import NotAuthenticated, Role, StaffUser, note, public, require
from dispatch.access import audit
from dispatch.access import auth as service
from dispatch.models import AuditLog, StaffAccount

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
users = APIRouter(prefix="/api/v1/users", tags=["staff users"], dependencies=[require(Role.ADMIN)])
audit_router = APIRouter(prefix="/api/v1/audit", tags=["audit"], dependencies=[require(Role.ADMIN)])

AnyStaff = Annotated[StaffUser, require(Role.COORDINATOR, Role.SWITCHBOARD)]
RoleName = Annotated[str, Field(pattern="^(admin|coordinator|switchboard)$")]


class TokenOut(BaseModel):
    access_token: str = Field(description="opaque; send it as 'Authorization: Bearer <token>'. Shown once.")
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the token expires (DISPATCH_TOKEN_TTL_MINUTES)")


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    created_at: Instant

    @classmethod
    def from_orm_obj(cls, u: StaffAccount) -> UserOut:
        return cls(id=u.id, username=u.username, display_name=u.display_name, role=u.role.value, active=u.active,
                   created_at=u.created_at)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"username": "marie.dupont", "display_name": "Marie Dupont", "role": "coordinator",
         "password": "une phrase assez longue"}]})

    username: str = Field(min_length=2, max_length=80)
    display_name: str = Field(default="", max_length=200)
    role: RoleName
    password: str = Field(min_length=service.MIN_PASSWORD_LENGTH, max_length=service.MAX_PASSWORD_LENGTH)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"role": "switchboard"},
                                                                              {"active": False}]})

    role: RoleName | None = None
    active: bool | None = None
    display_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=service.MIN_PASSWORD_LENGTH,
                                 max_length=service.MAX_PASSWORD_LENGTH)


class RevokedOut(BaseModel):
    user_id: int
    revoked: int


class AuditOut(BaseModel):
    id: int
    at: Instant
    user_id: int | None
    username: str
    role: str
    method: str
    path: str
    status_code: int
    entity: str | None
    entity_id: str | None
    detail: dict | None

    @classmethod
    def from_orm_obj(cls, a: AuditLog) -> AuditOut:
        return cls(**{f: getattr(a, f) for f in cls.model_fields})


@router.post("/token", dependencies=[public(), rate_limited("login")],
             responses={401: {"description": "unknown username or wrong password, or an inactive account"},
                        429: {"description": "too many failed sign-ins for this username (or address): Retry-After"}},
             summary="Sign in: username and password (form fields, OAuth2 password flow) give a bearer token")
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep,
          settings: SettingsDep) -> TokenOut:
    try:
        user = sign_in(request, form.username, form.password, session=session, settings=settings)
    except service.InvalidCredentials as exc:
        raise NotAuthenticated(exc.message) from None
    token, _ = service.issue_token(user, session=session, ttl_minutes=settings.token_ttl_minutes)
    return TokenOut(access_token=token, expires_in=settings.token_ttl_minutes * 60)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out: the current token stops working")
def logout(user: AnyStaff, request: Request, session: SessionDep) -> Response:
    service.revoke_token(request.state.staff_token, session=session)
    note(request, entity="user", entity_id=user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", summary="Who the current token belongs to")
def me(user: AnyStaff, session: SessionDep) -> UserOut:
    return UserOut.from_orm_obj(service.get_user(user.id, session=session))


@users.get("", summary="Staff accounts (admin)")
def list_users(session: SessionDep) -> list[UserOut]:
    return [UserOut.from_orm_obj(u) for u in service.list_users(session=session)]


@users.post("", status_code=status.HTTP_201_CREATED, summary="Create a staff account (admin)")
def create_user(body: UserIn, request: Request, session: SessionDep) -> UserOut:
    user = service.create_user(body.username, body.password, body.role, session=session,
                               display_name=body.display_name)
    note(request, entity="user", entity_id=user.id, username=user.username, role=user.role.value)
    return UserOut.from_orm_obj(user)


@users.patch("/{user_id}", summary="Change a staff account's role, active flag, display name or password (admin)",
             description="Deactivating an account or changing its password revokes its tokens.")
def update_user(user_id: Id, body: UserPatch, request: Request, session: SessionDep) -> UserOut:
    user = service.get_user(user_id, session=session)
    if body.role is not None:
        service.set_role(user_id, body.role, session=session)
    if body.display_name is not None:
        user.display_name = body.display_name.strip()
    if body.password is not None:
        service.set_password(user_id, body.password, session=session)
    if body.active is not None:
        service.set_active(user_id, body.active, session=session)
    session.flush()
    changed = sorted(k for k, v in body.model_dump().items() if v is not None)
    note(request, changed=["password_changed" if k == "password" else k for k in changed],
         role=body.role, active=body.active)
    return UserOut.from_orm_obj(user)


@users.post("/{user_id}/revoke-tokens", summary="Sign a staff member out everywhere (admin)")
def revoke_tokens(user_id: Id, session: SessionDep) -> RevokedOut:
    service.get_user(user_id, session=session)
    return RevokedOut(user_id=user_id, revoked=service.revoke_all(user_id, session=session))


@audit_router.get("", summary="The audit log, newest first (admin)")
def list_audit(session: SessionDep, since: dt.datetime | None = None,
               user: Annotated[str | None, Query(max_length=80, description="username")] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[AuditOut]:
    if since is not None and since.tzinfo is not None:
        since = since.astimezone(dt.UTC).replace(tzinfo=None)
    return [AuditOut.from_orm_obj(a) for a in audit.list_entries(session=session, since=since, username=user,
                                                                 limit=limit, offset=offset)]
