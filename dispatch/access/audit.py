"""The audit log: who changed what, written in the same transaction as the change.

The API records every successful state-changing staff request (api/security.py); other code may call
:func:`record` directly. Passwords, tokens and secrets are never stored: keys that look like them are dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from dispatch.models import AuditLog, utcnow

_SECRET_KEY = re.compile(r"pass|token|secret|authorization|cookie|key", re.IGNORECASE)


def scrub(value: Any) -> Any:
    """A JSON-able copy of ``value`` without anything that looks like a password, token or secret."""
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items() if not _SECRET_KEY.search(str(k))}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)[:500]


def scrub_path(path: str) -> str:
    """Link pages carry their secret in the path (/r/<token>, /p/<token>): keep the prefix only."""
    for prefix in ("/r/", "/p/"):
        if path.startswith(prefix):
            return prefix + "…"
    return path[:500]


def record(*, session: Session, user_id: int | None, username: str, role: str, method: str, path: str,
           status_code: int, entity: str | None = None, entity_id: str | int | None = None,
           detail: dict[str, Any] | None = None, at: dt.datetime | None = None) -> int:
    """Store one entry (one INSERT: every change a staff member makes writes one); returns its id."""
    return session.execute(insert(AuditLog).values(
        at=at or utcnow(), user_id=user_id, username=username, role=role, method=method.upper(),
        path=scrub_path(path), status_code=status_code, entity=entity,
        entity_id=None if entity_id is None else str(entity_id)[:64], detail=scrub(detail) if detail else None,
    ).returning(AuditLog.id)).scalar_one()


def list_entries(*, session: Session, since: dt.datetime | None = None, username: str | None = None,
                 limit: int = 100, offset: int = 0) -> list[AuditLog]:
    """Newest first."""
    query = select(AuditLog)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if username:
        query = query.where(AuditLog.username == username.strip().lower())
    return list(session.scalars(query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset)))
