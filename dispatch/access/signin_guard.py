"""Sign-in per account: exponential back-off after repeated failures, every attempt in the audit log.

Each sign-in attempt writes an audit entry (entity ``sign_in``; status 401 for a failure, 200 for a success;
the client address in ``detail``), for known and unknown usernames alike. The failures for a username since
its last success (within a day) set the back-off: the first ``free`` failures cost nothing, then each attempt
must wait ``base_s × 2^(failures − free)`` seconds (at most ``max_s``) after the last failure; meanwhile even
the right password is refused. The message never says whether the account exists (an unknown username gets
the same back-off). Being stored, the count holds across API processes and restarts.

Services take ``*, session``, flush and never commit (the API writes failures in a transaction of their own:
the request itself answers an error and rolls back).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.access import audit
from dispatch.errors import DispatchError
from dispatch.models import AuditLog, StaffAccount, utcnow

ENTITY = "sign_in"
WINDOW = dt.timedelta(days=1)


class TooManyAttempts(DispatchError):
    """Too many failed sign-ins for this username: wait (HTTP 429, Retry-After)."""

    status_hint = 429

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed sign-ins for this username: retry in {retry_after_s} s",
                         field="username")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Backoff:
    free: int = 5
    base_s: float = 2.0
    max_s: float = 900.0

    @classmethod
    def from_settings(cls, settings) -> Backoff:  # noqa: ANN001 - dispatch.settings.Settings
        return cls(settings.login_free_failures, settings.login_backoff_s, settings.login_backoff_max_s)

    def wait_s(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.base_s * 2 ** (failures - self.free), self.max_s)


def _key(username: str) -> str:
    return (username or "").strip().lower()[:80]


def recent_failures(username: str, *, session: Session, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """(failures since the last success within a day, time of the last failure)."""
    rows = session.execute(
        select(AuditLog.status_code, AuditLog.at)
        .where(AuditLog.entity == ENTITY, AuditLog.username == _key(username), AuditLog.at >= now - WINDOW)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(200)
    ).all()
    failures, last = 0, None
    for status, at in rows:
        if status != 401:
            break
        failures += 1
        last = last or at
    return failures, last


def check(username: str, *, session: Session, backoff: Backoff, now: dt.datetime | None = None) -> None:
    """Raise :class:`TooManyAttempts` while ``username`` is backing off."""
    now = now or utcnow()
    failures, last = recent_failures(username, session=session, now=now)
    wait = backoff.wait_s(failures)
    if wait and last is not None:
        left = (last + dt.timedelta(seconds=wait) - now).total_seconds()
        if left > 0:
            raise TooManyAttempts(max(1, math.ceil(left)))


def record(username: str, user: StaffAccount | None, ok: bool, *, session: Session, path: str,
           client: str, now: dt.datetime | None = None) -> None:
    """One audit entry for one attempt (``user``: the account when the username exists)."""
    audit.record(session=session, user_id=user.id if user is not None else None, username=_key(username),
                 role=user.role.value if user is not None else "", method="POST", path=path,
                 status_code=200 if ok else 401, entity=ENTITY, entity_id=user.id if user is not None else None,
                 detail={"client": client, "outcome": "success" if ok else "failure"}, at=now or utcnow())
