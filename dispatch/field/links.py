"""Links without accounts: signed round links for crews, revocable relay-point links.

* A round link carries ``round id`` and an expiry, signed with HMAC-SHA256 and the secret key
  (``DISPATCH_SECRET_KEY``; if unset, one is generated once into ``var/secret_key``, mode 600).
* A relay-point link is a random token; only its SHA-256 is stored (``relay_point_link``). It is
  permanent until revoked; creating a new one revokes the previous ones.

Nothing is read at import time: the key is read when a link is made or checked.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import DispatchError, NotFound
from dispatch.models import RelayPoint, RelayPointLink, Round, utcnow

ROUND_LINK_GRACE = dt.timedelta(hours=12)  # a round link works until the end of its day + 12 h


class LinkInvalid(DispatchError):
    """A link that is malformed, forged, expired or revoked (HTTP 403)."""

    status_hint = 403


def default_key_file() -> Path:
    return Path.cwd() / "var" / "secret_key"


def secret_key(settings=None, *, key_file: Path | None = None) -> bytes:
    """The signing key: settings.secret_key, else $DISPATCH_SECRET_KEY, else var/secret_key (created once)."""
    configured = getattr(settings, "secret_key", None) or os.environ.get("DISPATCH_SECRET_KEY")
    if configured:
        value = configured.get_secret_value() if hasattr(configured, "get_secret_value") else str(configured)
        return value.encode()
    path = key_file or default_key_file()
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, b"round:" + payload.encode(), hashlib.sha256).digest())


def round_link_expiry(day: dt.date, timezone: str = "Europe/Paris") -> dt.datetime:
    """End of the round's day (local time) plus 12 hours, as an aware UTC datetime."""
    end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(timezone))
    return (end_of_day + ROUND_LINK_GRACE).astimezone(dt.UTC)


def _now() -> dt.datetime:
    """The clock round links are checked against (one place: the tests set the day they play)."""
    return dt.datetime.now(dt.UTC)


def make_round_token(round_id: int, expires_at: dt.datetime, key: bytes) -> str:
    payload = f"{round_id}.{int(expires_at.timestamp())}"
    return f"{payload}.{_sign(key, payload)}"


def read_round_token(token: str, key: bytes, *, now: dt.datetime | None = None) -> int:
    """The round id of a valid token; LinkInvalid if it is malformed, forged or expired."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(token) > 200:
        raise LinkInvalid("this link is not valid", field="token")
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_sign(key, payload), parts[2]):
        raise LinkInvalid("this link is not valid", field="token")
    now = now or _now()
    if int(parts[1]) < now.timestamp():
        raise LinkInvalid("this link has expired: ask the coordinator for today's link", field="token")
    return int(parts[0])


def round_link(round_id: int, *, session: Session, settings=None, key: bytes | None = None) -> tuple[str, dt.datetime]:
    """(token, expiry) for a round's route sheet."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(f"round {round_id} does not exist", field="round_id")
    expires = round_link_expiry(rnd.plan.date, getattr(settings, "timezone", "Europe/Paris"))
    return make_round_token(rnd.id, expires, key or secret_key(settings)), expires


def round_id_from_token(token: str, *, settings=None, key: bytes | None = None,
                        now: dt.datetime | None = None) -> int:
    """The round id a valid round link names (signature and expiry checked, no database read: whether the
    round still exists is checked by the caller's own query)."""
    return read_round_token(token, key or secret_key(settings), now=now)


def round_from_token(token: str, *, session: Session, settings=None, key: bytes | None = None,
                     now: dt.datetime | None = None) -> Round:
    rnd = session.get(Round, round_id_from_token(token, settings=settings, key=key, now=now))
    if rnd is None:  # the draft it belonged to was replaced
        raise LinkInvalid("this round no longer exists (the day was re-planned): ask for a new link", field="token")
    return rnd


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_relay_point_link(relay_point_id: int, *, session: Session) -> str:
    """A new link token for the relay point (returned once, stored hashed); older links are revoked."""
    rp = session.get(RelayPoint, relay_point_id)
    if rp is None:
        raise NotFound(f"relay point {relay_point_id} does not exist", field="relay_point_id")
    revoke_relay_point_links(relay_point_id, session=session)
    token = secrets.token_urlsafe(24)
    session.add(RelayPointLink(relay_point_id=rp.id, token_hash=_hash(token)))
    session.flush()
    return token


def revoke_relay_point_links(relay_point_id: int, *, session: Session) -> int:
    """Revoke every active link of the relay point; returns how many were revoked."""
    if session.get(RelayPoint, relay_point_id) is None:
        raise NotFound(f"relay point {relay_point_id} does not exist", field="relay_point_id")
    links = session.scalars(
        select(RelayPointLink).where(RelayPointLink.relay_point_id == relay_point_id,
                                     RelayPointLink.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for link in links:
        link.revoked_at = now
    session.flush()
    return len(links)


def relay_point_from_token(token: str, *, session: Session) -> RelayPoint:
    if not token or len(token) > 200:
        raise LinkInvalid("this link is not valid", field="token")
    # the link and its relay point in one query: a shop's page is opened and posted often
    row = session.execute(select(RelayPointLink.revoked_at, RelayPoint)
                          .join(RelayPoint, RelayPoint.id == RelayPointLink.relay_point_id)
                          .where(RelayPointLink.token_hash == _hash(token)).limit(1)).first()
    if row is None:
        raise LinkInvalid("this link is not valid", field="token")
    if row.revoked_at is not None:
        raise LinkInvalid("this link has been revoked: ask Emmaüs Défi for the new one", field="token")
    return row.RelayPoint
