"""The outboxes, written in the same transaction as the change they tell and delivered later with
retries: webhook subscriptions and their deliveries (migration 0009, ``dispatch/exchange/webhooks.py``),
and the e-mails and SMS to donors (migration 0013, ``dispatch/messages/``).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, enum_column, utcnow
from dispatch.models.pickups import PickupRequest


class WebhookDeliveryStatus(str, enum.Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the maximum number of attempts


class WebhookSubscription(Base):
    """A receiver of events (``plan.published`` ...). ``secret`` signs each body (HMAC-SHA256)."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WebhookDelivery(Base):
    """The outbox: one event for one subscription, written in the same transaction as the change."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[WebhookDeliveryStatus] = mapped_column(
        enum_column(WebhookDeliveryStatus), default=WebhookDeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    subscription: Mapped[WebhookSubscription] = relationship()


class DonorMessageStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the maximum number of attempts
    SKIPPED = "skipped"  # the channel is not configured on this server: never attempted


class DonorMessage(Base):
    """One message to a donor on one channel, written in the same transaction as the change it tells.

    ``dedupe_key`` (kind, pickup, date, channel) makes a message queued twice stored once. The text is
    rendered when queued, in the donor's language, with no more personal data than the reference, date and
    times; ``recipient`` is the address or number it goes to (cleared by the retention job)."""

    __tablename__ = "donor_message"

    id: Mapped[int] = mapped_column(primary_key=True)

    pickup_request_id: Mapped[int] = mapped_column(ForeignKey("pickup_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    recipient: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[DonorMessageStatus] = mapped_column(
        enum_column(DonorMessageStatus), default=DonorMessageStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    pickup_request: Mapped[PickupRequest] = relationship()
