"""Signing in (the token endpoint and the /connexion page): per-account back-off and an audit entry each time.

See dispatch/access/signin_guard.py. A failure is recorded in a transaction of its own, since the request
answers an error (and rolls its own back); a success in the request's transaction with the new token.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.ratelimit import client_ip
from dispatch.access import auth as auth_service
from dispatch.access import signin_guard as guard
from dispatch.db import engine_for, session_scope
from dispatch.models import StaffAccount


def _account(username: str, *, session: Session) -> StaffAccount | None:
    name = auth_service.normalise_username(username)
    return session.scalar(select(StaffAccount).where(StaffAccount.username == name)) if name else None


def sign_in(request: Request, username: str, password: str, *, session: Session, settings) -> StaffAccount:  # noqa: ANN001
    """The account, or :class:`auth_service.InvalidCredentials`; HTTP 429 while the username backs off."""
    try:
        guard.check(username, session=session, backoff=guard.Backoff.from_settings(settings))
    except guard.TooManyAttempts as exc:
        raise HTTPException(429, detail=exc.message, headers={"Retry-After": str(exc.retry_after_s)}) from None
    client, path = client_ip(request), request.url.path
    try:
        user = auth_service.authenticate(username, password, session=session)
    except auth_service.InvalidCredentials:
        with session_scope(engine_for(settings.database_url)) as apart:
            guard.record(username, _account(username, session=apart), False, session=apart, path=path,
                         client=client)
        raise
    guard.record(username, user, True, session=session, path=path, client=client)
    return user
