"""Webhooks: subscriptions, a transactional outbox and its dispatcher.

An event is written to ``webhook_delivery`` (one row per subscription) **in the same transaction** as
the change that caused it: if the change is rolled back, so is the event; if the process dies after
the commit, the event waits in the table and is delivered later. :func:`deliver_pending` posts due
deliveries (JSON body signed with HMAC-SHA256 of the subscription's secret in ``X-Dispatch-Signature:
sha256=<hex>``), records every attempt, and retries failures with exponential backoff
(``DISPATCH_WEBHOOK_BACKOFF_S`` × 2^(attempt-1), at most ``DISPATCH_WEBHOOK_MAX_ATTEMPTS`` attempts).
Delivery is at least once: receivers deduplicate on ``X-Dispatch-Delivery`` (the delivery id).

Events: ``plan.published``, ``pickup.scheduled``, ``relay_point.visit_planned``.

Services take ``*, session``, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import functools
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput, NotFound
from dispatch.jobs import PeriodicThread
from dispatch.exchange.webhook_targets import (
    TargetPolicy,
    TargetRefused,
    check_url_target,
    pinned_post,
)
from dispatch.models import (
    Plan,
    StopKind,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookSubscription,
    utcnow,
)

log = logging.getLogger("dispatch.exchange.webhooks")

EVENTS: tuple[str, ...] = ("plan.published", "pickup.scheduled", "relay_point.visit_planned")
SIGNATURE_HEADER = "X-Dispatch-Signature"
#: A donor is told a window around the planned arrival, within the slot.
ARRIVAL_MARGIN = dt.timedelta(minutes=30)
MAX_URL_LENGTH = 2000
#: No inside receiver allowed: what a subscription or delivery gets without the settings' allow-lists.
STRICT = TargetPolicy()
#: What the delivery log says (the subscriber sees it): never the network's detailed answer (connection
#: refused, timeout, HTTP status...) that would make the webhooks a port scanner; the server log has it.
NOT_DELIVERED = "not delivered: the receiver did not answer with a 2xx status; retried later"
NOT_ALLOWED = "not delivered: the receiver's host now resolves to an address webhooks may not reach"


# ------------------------------------------------------------------ subscriptions


def check_url(url: str, policy: TargetPolicy | None = None) -> str:
    """A well-formed http(s) URL whose host is outside (dispatch/exchange/webhook_targets.py), else InvalidInput."""
    url = (url or "").strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"the URL is longer than {MAX_URL_LENGTH} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise InvalidInput(f"{url!r} is not a valid URL", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{url!r} is not an http(s) URL: give e.g. https://example.org/hooks/dispatch",
                           field="url")
    if parts.username or parts.password:
        raise InvalidInput("put no credentials in the URL: deliveries are signed with the subscription secret",
                           field="url")
    if any(c.isspace() for c in url) or port == 0:
        raise InvalidInput(f"{url!r} is not a valid URL", field="url")
    try:
        check_url_target(url, policy or STRICT, require_resolved=False)
    except TargetRefused:
        raise InvalidInput(f"{parts.hostname} is, or resolves to, an address inside a private network "
                           "(loopback, private, link-local, metadata...): webhooks reach outside receivers only; "
                           "an administrator can allow it with DISPATCH_WEBHOOK_ALLOW_HOSTS or "
                           "DISPATCH_WEBHOOK_ALLOW_NETWORKS", field="url") from None
    return url


def check_events(events: list[str]) -> list[str]:
    cleaned = []
    for event in events or []:
        if event not in EVENTS:
            raise InvalidInput(f"unknown event {event!r}: use {', '.join(EVENTS)}", field="events")
        if event not in cleaned:
            cleaned.append(event)
    if not cleaned:
        raise InvalidInput(f"subscribe to at least one event: {', '.join(EVENTS)}", field="events")
    return cleaned


def create_subscription(url: str, events: list[str], *, session: Session, description: str | None = None,
                        policy: TargetPolicy | None = None) -> WebhookSubscription:
    """A new subscription with a generated secret (shown once to the caller, kept to sign bodies).
    ``policy``: the inside receivers allowed (the settings' allow-lists); none by default."""
    sub = WebhookSubscription(url=check_url(url, policy), events=check_events(events), secret=secrets.token_urlsafe(32),
                              description=(description or "").strip()[:200] or None, active=True)
    session.add(sub)
    session.flush()
    return sub


def list_subscriptions(*, session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all())


def get_subscription(subscription_id: int, *, session: Session) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFound(f"webhook subscription {subscription_id} does not exist", field="subscription_id")
    return sub


def delete_subscription(subscription_id: int, *, session: Session) -> None:
    """Delete a subscription and its pending deliveries."""
    session.delete(get_subscription(subscription_id, session=session))
    session.flush()


def deliveries(subscription_id: int, *, session: Session, limit: int = 50) -> list[WebhookDelivery]:
    get_subscription(subscription_id, session=session)
    return list(session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc()).limit(limit)
    ).all())


# ------------------------------------------------------------------ the outbox


def emit(event: str, data: dict[str, Any], *, session: Session, now: dt.datetime | None = None) -> int:
    """Queue ``event`` for every active subscription to it, in the caller's transaction. Returns the count."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    when = now or utcnow()
    subs = [s for s in session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True)))
            .all() if event in (s.events or [])]
    for sub in subs:
        session.add(WebhookDelivery(
            subscription_id=sub.id, event=event, status=WebhookDeliveryStatus.PENDING, attempts=0,
            next_attempt_at=when, created_at=when,
            payload={"event": event, "created_at": when.isoformat(timespec="seconds"), "data": data},
        ))
    if subs:
        session.flush()
    return len(subs)


def _t(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def plan_published(plan: Plan, *, session: Session) -> int:
    """Queue the events of a plan just published: the plan, each scheduled pickup, each relay-point visit."""
    wanted = {e for s in session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True)))
              .all() for e in (s.events or [])}
    if not wanted:
        return 0
    count = 0
    day = plan.date.isoformat()
    if "plan.published" in wanted:
        count += emit("plan.published", {
            "plan_id": plan.id, "date": day, "rounds": len(plan.rounds),
            "stops": sum(1 for r in plan.rounds for s in r.stops if s.kind in (StopKind.RELAY_POINT, StopKind.PICKUP)),
            "unassigned": len(plan.unassigned), "solver_status": plan.solver_status,
        }, session=session)
    for rnd in plan.rounds:
        for stop in rnd.stops:
            if stop.kind is StopKind.PICKUP and stop.pickup_request is not None and "pickup.scheduled" in wanted:
                start = stop.planned_arrival - ARRIVAL_MARGIN
                end = stop.planned_arrival + ARRIVAL_MARGIN
                if stop.window_start is not None:
                    start = max(start, stop.window_start)
                if stop.window_end is not None:
                    end = min(end, stop.window_end)
                count += emit("pickup.scheduled", {
                    "ref": stop.pickup_request.ref, "date": day, "plan_id": plan.id,
                    "slot": stop.pickup_request.slot.value, "planned_arrival": _t(stop.planned_arrival),
                    "window": {"start": _t(start), "end": _t(end)},
                }, session=session)
            elif stop.kind is StopKind.RELAY_POINT and stop.relay_point is not None \
                    and "relay_point.visit_planned" in wanted:
                start = stop.planned_arrival - ARRIVAL_MARGIN
                end = stop.planned_arrival + ARRIVAL_MARGIN
                if stop.window_start is not None:
                    start = max(start, stop.window_start)
                if stop.window_end is not None:
                    end = min(end, stop.window_end)
                count += emit("relay_point.visit_planned", {
                    "code": stop.relay_point.code, "name": stop.relay_point.name, "date": day,
                    "plan_id": plan.id, "planned_arrival": _t(stop.planned_arrival),
                    "window": {"start": _t(start), "end": _t(end)},
                    "opening_hours": {"start": _t(stop.window_start), "end": _t(stop.window_end)},
                    "expected_m3": round(stop.expected_m3, 2),
                }, session=session)
    return count


# ------------------------------------------------------------------ delivery


def body_of(delivery: WebhookDelivery) -> bytes:
    payload = {"id": delivery.id, **delivery.payload}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(body, secret), signature or "")


HttpPost = Callable[[str, bytes, dict[str, str], float], int]


def _attempt(post: HttpPost, sub: WebhookSubscription, delivery: WebhookDelivery, body: bytes,
             headers: dict[str, str], timeout_s: float) -> tuple[int | None, str | None]:
    """(status code when delivered, neutral error when not); the detail goes to the server log."""
    try:
        status = int(post(sub.url, body, headers, timeout_s))
    except TargetRefused:
        log.warning("webhook delivery %s refused: subscription %s's host resolves inside", delivery.id, sub.id)
        return None, NOT_ALLOWED
    except Exception as exc:  # noqa: BLE001 - any failure to deliver is recorded and retried
        log.info("webhook delivery %s to subscription %s failed: %s: %s", delivery.id, sub.id,
                 type(exc).__name__, str(exc)[:300])
        return None, NOT_DELIVERED
    if 200 <= status < 300:
        return status, None
    log.info("webhook delivery %s to subscription %s answered HTTP %s", delivery.id, sub.id, status)
    return None, NOT_DELIVERED


@dataclass
class DeliveryStats:
    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def deliver_pending(
    *, session: Session, http_post: HttpPost | None = None, clock: Callable[[], dt.datetime] = utcnow,
    limit: int = 100, max_attempts: int = 8, backoff_s: float = 30.0, timeout_s: float = 10.0,
    policy: TargetPolicy | None = None,
) -> DeliveryStats:
    """Post the deliveries that are due; record each attempt; schedule retries with exponential backoff.

    The default transport resolves each receiver again, refuses inside addresses (``policy``: the allowed
    ones) and connects to the address it checked (:func:`pinned_post`). Failures are logged in detail on the
    server; the delivery row keeps a neutral reason.

    Reads first, posts, then writes: no write lock is held while waiting for receivers (SQLite). On
    PostgreSQL the due rows are locked (``SKIP LOCKED``) so that two dispatchers never post the same one.
    """
    now = clock()
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == WebhookDeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    due = list(session.scalars(query).all())
    post = http_post or functools.partial(pinned_post, policy=policy or STRICT)
    outcomes: list[tuple[WebhookDelivery, int | None, str | None]] = []
    for delivery in due:
        sub = delivery.subscription
        body = body_of(delivery)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "amistock-dispatch-webhooks/1",
            SIGNATURE_HEADER: sign(body, sub.secret),
            "X-Dispatch-Event": delivery.event,
            "X-Dispatch-Delivery": str(delivery.id),
        }
        outcomes.append((delivery, *_attempt(post, sub, delivery, body, headers, timeout_s)))
    stats = DeliveryStats()
    finished = clock()
    for delivery, status, error in outcomes:
        stats.attempted += 1
        delivery.attempts += 1
        delivery.last_attempt_at = finished
        delivery.last_status_code = status
        delivery.last_error = error
        if error is None:
            delivery.status = WebhookDeliveryStatus.DELIVERED
            delivery.delivered_at = finished
            stats.delivered += 1
        elif delivery.attempts >= max_attempts:
            delivery.status = WebhookDeliveryStatus.FAILED
            stats.failed += 1
        else:
            delivery.next_attempt_at = now + dt.timedelta(seconds=backoff_s * 2 ** (delivery.attempts - 1))
            stats.retrying += 1
    session.flush()
    return stats


def deliver_with_settings(*, session: Session, settings, http_post: HttpPost | None = None) -> DeliveryStats:
    return deliver_pending(session=session, http_post=http_post, max_attempts=settings.webhook_max_attempts,
                           backoff_s=settings.webhook_backoff_s, timeout_s=settings.webhook_timeout_s,
                           policy=TargetPolicy.from_settings(settings))


class DeliveryThread(PeriodicThread):
    """The in-process dispatcher of the API: every ``interval`` seconds, deliver what is due."""

    def __init__(self, engine, settings, *, interval_s: float) -> None:
        def deliver() -> None:
            from dispatch.db import session_scope

            with session_scope(engine) as session:
                deliver_with_settings(session=session, settings=settings)

        super().__init__("webhook delivery", interval_s, deliver, log)
