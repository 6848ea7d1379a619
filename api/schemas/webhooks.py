"""Pydantic schemas of webhooks: a subscription (URL and events), as listed and as created (with its signing
secret, shown once), and the deliveries with their attempts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Instant


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": "https://example.org/hooks/amistock", "events": ["plan.published", "pickup.scheduled"],
         "description": "SMS reminders to donors"}]})

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL receiving JSON POSTs")
    events: list[Literal["plan.published", "pickup.scheduled", "relay_point.visit_planned"]] = Field(
        min_length=1, max_length=3)
    description: str | None = Field(default=None, max_length=200)


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: Instant

    @classmethod
    def from_orm_obj(cls, sub) -> WebhookOut:
        return cls(id=sub.id, url=sub.url, events=list(sub.events or []), description=sub.description,
                   active=sub.active, created_at=sub.created_at)


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="signs every delivery (HMAC-SHA256); shown only once: keep it now")


class WebhookDeliveryOut(BaseModel):
    id: int
    event: str
    status: str
    attempts: int
    next_attempt_at: Instant
    last_attempt_at: Instant | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: Instant | None
    payload: dict

    @classmethod
    def from_orm_obj(cls, d) -> WebhookDeliveryOut:
        return cls(id=d.id, event=d.event, status=d.status.value, attempts=d.attempts,
                   next_attempt_at=d.next_attempt_at, last_attempt_at=d.last_attempt_at,
                   last_status_code=d.last_status_code, last_error=d.last_error, delivered_at=d.delivered_at,
                   payload=d.payload)
