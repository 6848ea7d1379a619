"""Staff accounts and API tokens.

Passwords are hashed with scrypt from the standard library (``hashlib.scrypt``, n=2**14, r=8, p=1, a 16-byte
random salt); the parameters are part of the stored string (``scrypt$n=16384,r=8,p=1$salt$hash``) so they can
be raised later without breaking existing hashes (:func:`needs_rehash`). Tokens are opaque random strings given
to the client once; only their SHA-256 is stored. Services take ``*, session``, flush, never commit.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from dispatch.errors import Conflict, DispatchError, InvalidInput, NotFound
from dispatch.models import ApiToken, StaffAccount, StaffRole, utcnow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN, SALT_BYTES = 2**14, 8, 1, 32, 16
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,79}$")
DEFAULT_TOKEN_TTL_MINUTES = 600


class InvalidCredentials(DispatchError):
    """Unknown user, wrong password or deactivated account: one message for all, so nothing leaks (HTTP 401)."""

    status_hint = 401

    def __init__(self) -> None:
        super().__init__("unknown username or wrong password", field="password")


def _now() -> dt.datetime:
    """Current UTC time (naive, like the stored datetimes). Tests replace it to move the clock."""
    return utcnow()


# ------------------------------------------------------------------ passwords


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=SCRYPT_DKLEN,
                            maxmem=256 * n * r * p)
    return f"scrypt$n={n},r={r},p={p}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[dict[str, int], bytes, bytes] | None:
    try:
        scheme, params, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return None
        values = {k: int(v) for k, v in (item.split("=") for item in params.split(","))}
        if set(values) != {"n", "r", "p"}:
            return None
        return values, base64.b64decode(salt), base64.b64decode(digest)
    except (ValueError, TypeError):
        return None


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored scrypt string."""
    parsed = _parse(stored)
    if parsed is None or len(password) > MAX_PASSWORD_LENGTH:
        return False
    params, salt, expected = parsed
    n, r, p = params["n"], params["r"], params["p"]
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(expected),
                            maxmem=256 * n * r * p)
    return hmac.compare_digest(digest, expected)


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` was made with weaker parameters than today's (rehash it at the next login)."""
    parsed = _parse(stored)
    if parsed is None:
        return True
    params = parsed[0]
    return (params["n"], params["r"], params["p"]) < (SCRYPT_N, SCRYPT_R, SCRYPT_P)


# A hash of nothing in particular, so that an unknown username costs as much time as a wrong password.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(16))
    return _DUMMY_HASH


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters "
                           "(a few unrelated words make a good one)", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"the password is too long (at most {MAX_PASSWORD_LENGTH} characters)", field="password")
    return password


def _role(role: StaffRole | str) -> StaffRole:
    try:
        return StaffRole(role)
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}: use one of " + ", ".join(r.value for r in StaffRole),
                           field="role") from None


# ------------------------------------------------------------------ users


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def create_user(username: str, password: str, role: StaffRole | str, *, session: Session,
                display_name: str = "") -> StaffAccount:
    name = normalise_username(username)
    if not USERNAME_RE.match(name):
        raise InvalidInput("a username is 2 to 80 characters: letters, digits and . _ @ - (e.g. 'marie.dupont')",
                           field="username")
    if session.scalar(select(StaffAccount.id).where(StaffAccount.username == name)) is not None:
        raise Conflict(f"the username {name!r} is already taken: choose another one", field="username")
    user = StaffAccount(username=name, display_name=(display_name or "").strip()[:200], role=_role(role),
                        password_hash=hash_password(_check_password(password)), active=True, created_at=_now())
    session.add(user)
    session.flush()
    return user


def get_user(user_id: int, *, session: Session) -> StaffAccount:
    user = session.get(StaffAccount, user_id)
    if user is None:
        raise NotFound(f"no staff user {user_id}: list them with GET /api/v1/users", field="user_id")
    return user


def get_user_by_name(username: str, *, session: Session) -> StaffAccount:
    user = session.scalar(select(StaffAccount).where(StaffAccount.username == normalise_username(username)))
    if user is None:
        raise NotFound(f"no staff user named {username!r} (see `dispatch user list`)", field="username")
    return user


def list_users(*, session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def _other_active_admins(user: StaffAccount, *, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StaffAccount).where(
        StaffAccount.role == StaffRole.ADMIN, StaffAccount.active.is_(True), StaffAccount.id != user.id)) or 0


def set_password(user_id: int, password: str, *, session: Session) -> StaffAccount:
    """A new password; the user's tokens are revoked (signed-in sessions must sign in again)."""
    user = get_user(user_id, session=session)
    user.password_hash = hash_password(_check_password(password))
    revoke_all(user.id, session=session)
    session.flush()
    return user


def set_role(user_id: int, role: StaffRole | str, *, session: Session) -> StaffAccount:
    user = get_user(user_id, session=session)
    new = _role(role)
    if user.role is StaffRole.ADMIN and new is not StaffRole.ADMIN and user.active \
            and not _other_active_admins(user, session=session):
        raise Conflict("this is the last active admin: make another user admin first", field="role")
    user.role = new
    session.flush()
    return user


def set_active(user_id: int, active: bool, *, session: Session) -> StaffAccount:
    user = get_user(user_id, session=session)
    if not active:
        return deactivate(user_id, session=session)
    user.active = True
    session.flush()
    return user


def deactivate(user_id: int, *, session: Session) -> StaffAccount:
    """The account can no longer sign in, and every token it holds stops working now."""
    user = get_user(user_id, session=session)
    if user.active and user.role is StaffRole.ADMIN and not _other_active_admins(user, session=session):
        raise Conflict("this is the last active admin: make another user admin first", field="active")
    user.active = False
    revoke_all(user.id, session=session)
    session.flush()
    return user


def authenticate(username: str, password: str, *, session: Session) -> StaffAccount:
    """The active user with this username and password, else :class:`InvalidCredentials` (same error for all)."""
    name = normalise_username(username)
    user = session.scalar(select(StaffAccount).where(StaffAccount.username == name)) if name else None
    ok = verify_password(password or "", user.password_hash if user is not None else _dummy_hash())
    if user is None or not ok or not user.active:
        raise InvalidCredentials()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


# ------------------------------------------------------------------ tokens


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: StaffAccount, *, session: Session, ttl_minutes: int = DEFAULT_TOKEN_TTL_MINUTES
                ) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``: the token (give it to the client; it is not stored) and its record."""
    if not user.active:
        raise InvalidCredentials()
    token = secrets.token_urlsafe(32)
    now = _now()
    record = ApiToken(token_hash=token_hash(token), user_id=user.id, created_at=now,
                      expires_at=now + dt.timedelta(minutes=ttl_minutes))
    session.add(record)
    session.flush()
    return token, record


@dataclass(frozen=True)
class TokenHolder:
    """Who a valid bearer token belongs to (what every staff request needs to know)."""
    user_id: int
    username: str
    display_name: str
    role: StaffRole


# Built once: every staff request runs it (building a statement costs more CPU than running it).
_TOKEN_HOLDER = (
    select(ApiToken.id, ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at, StaffAccount.id,
           StaffAccount.username, StaffAccount.display_name, StaffAccount.role, StaffAccount.active)
    .join(StaffAccount, StaffAccount.id == ApiToken.user_id).where(ApiToken.token_hash == bindparam("hash"))
)


def token_holder(token: str, *, session: Session) -> TokenHolder | None:
    """The staff member behind a valid token (not expired, not revoked, active user), else None.

    One column query and no ORM objects: every staff request comes through here. ``last_used_at`` is
    written at most once a minute per token."""
    if not token or len(token) > 200:
        return None
    row = session.execute(_TOKEN_HOLDER, {"hash": token_hash(token)}).first()
    now = _now()
    if row is None:
        return None
    token_id, expires_at, revoked_at, last_used_at, user_id, username, display_name, role, active = row
    if revoked_at is not None or expires_at <= now or not active:
        return None
    if last_used_at is None or now - last_used_at > LAST_USED_EVERY:
        _touch(token_id, now, session=session)
    return TokenHolder(user_id, username, display_name, role)


LAST_USED_EVERY = dt.timedelta(minutes=1)


def _touch(token_id: int, now: dt.datetime, *, session: Session) -> None:
    """Write ``last_used_at`` unless another request is writing it right now.

    When the minute is up, every request in flight with that token wants to write it. Waiting for the row lock
    would chain them (each holds it until its own request commits): under load, a convoy of half a second
    once a minute. On PostgreSQL the row is taken with SKIP LOCKED: whoever holds it is already writing it.
    SQLite has no row locks (one writer at a time) and needs no such care."""
    stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_EVERY)
    if session.get_bind().dialect.name == "postgresql":
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.id == token_id, stale)
                                  .with_for_update(skip_locked=True))
        if token_id is None:
            return
    session.execute(update(ApiToken).where(ApiToken.id == token_id, stale).values(last_used_at=now)
                    .execution_options(synchronize_session=False))


def resolve_token(token: str, *, session: Session) -> StaffAccount | None:
    """The staff account behind a valid token, else None (the checks of :func:`token_holder`)."""
    holder = token_holder(token, session=session)
    return session.get(StaffAccount, holder.user_id) if holder is not None else None


def revoke_token(token: str, *, session: Session) -> bool:
    """Revoke one token (logout). False when it was unknown or already revoked."""
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token or "")))
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = _now()
    session.flush()
    return True


def revoke_all(user_id: int, *, session: Session) -> int:
    """Revoke every live token of a user; returns how many were revoked."""
    result = session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                             .values(revoked_at=_now()).execution_options(synchronize_session="fetch"))
    session.flush()
    return result.rowcount or 0
