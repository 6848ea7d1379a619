"""A small in-memory sliding-window rate limiter per client IP, for the public endpoints.

One limiter per bucket (``public``: donor pages, nearest relay points, relay-point link posts; ``login``: the
token endpoint and the login page; ``addresses``: address search), created by ``create_app`` from the settings
token endpoint and the login page; ``phone``: per phone number on the donor form and per reference on
tracking, ``DISPATCH_RATE_LIMIT_PHONE_PER_HOUR``), created by ``create_app`` from the settings
``DISPATCH_RATE_LIMIT_PUBLIC_PER_MINUTE`` and ``DISPATCH_RATE_LIMIT_LOGIN_PER_MINUTE``. A client over the
limit gets 429 with ``Retry-After``. In-memory: per process (several API processes each count their own).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from api.deps import get_session


class SlidingWindowLimiter:
    """At most ``limit`` hits per ``window_s`` seconds per key. ``clock`` is injectable (tests)."""

    def __init__(self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.limit, self.window_s, self.clock, self.max_keys = limit, window_s, clock, max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Record a hit; 0 when allowed, else the seconds to wait before the next one is allowed."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._evict(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window_s - now, 0.001)
            hits.append(now)
            return 0.0

    def _evict(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window_s]:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:  # still full: forget the oldest half
            for key in list(self._hits)[: self.max_keys // 2]:
                del self._hits[key]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


def install(app: Any, settings: Any) -> None:
    app.state.rate_limiters = {
        "public": SlidingWindowLimiter(settings.rate_limit_public_per_minute),
        "login": SlidingWindowLimiter(settings.rate_limit_login_per_minute),
        # address autocomplete asks at each pause in typing: a larger allowance than the other public pages
        "addresses": SlidingWindowLimiter(getattr(settings, "rate_limit_addresses_per_minute", 300)),
        # per phone number (the donor form) and per tracking reference (/suivi): an hour's window
        "phone": SlidingWindowLimiter(settings.rate_limit_phone_per_hour, window_s=3600.0),
    }


def limit_key(request: Request, key: str, bucket: str = "phone") -> None:
    """Count a hit for ``key`` (a phone number, a tracking reference) in ``bucket``; 429 when over."""
    limiters = getattr(request.app.state, "rate_limiters", None)
    if not limiters or bucket not in limiters:
        return
    wait = limiters[bucket].hit(f"{bucket}:{key}")
    if wait:
        raise HTTPException(429, detail=f"too many requests for this phone number or reference: retry in "
                            f"{math.ceil(wait)} s", headers={"Retry-After": str(math.ceil(wait))})


def client_ip(request: Request) -> str:
    """The TCP peer, or the client a trusted proxy names (api/proxies.py): never a header it chose itself."""
    return request.client.host if request.client else "unknown"


async def _signed_in_staff(request: Request, session: Any) -> bool:
    """Staff entering requests for donors (the switchboard, one office IP) are not counted as the public."""
    from api.security import SESSION_COOKIE
    from dispatch.access import resolve_token

    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE)
    if not token:  # the public: no database lookup, no thread-pool hop
        return False
    return await to_thread.run_sync(lambda: resolve_token(token, session=session) is not None)


def rate_limited(bucket: str = "public") -> Any:
    """Dependency: count this request against ``bucket`` for the client's IP; 429 with Retry-After when over.
    On the ``public`` and ``addresses`` buckets, signed-in staff are not counted."""
    async def _check(request: Request, session: Annotated[Session, Depends(get_session, scope="function")]) -> None:
        limiters = getattr(request.app.state, "rate_limiters", None)
        if not limiters:
            return
        if bucket in ("public", "addresses") and await _signed_in_staff(request, session):
            return
        wait = limiters[bucket].hit(f"{bucket}:{client_ip(request)}")
        if wait:
            raise HTTPException(429, detail=f"too many requests from this address: retry in {math.ceil(wait)} s",
                                headers={"Retry-After": str(math.ceil(wait))})

    _check.rate_limit_bucket = bucket  # type: ignore[attr-defined]
    return Depends(_check)
