"""Request and response bodies of cancelling and moving home pickups, and of donor messages."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Instant


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "le donateur a déménagé"}]})

    reason: str | None = Field(default=None, max_length=300, description="why (kept in the request's history)")


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"date": "2026-12-07", "slot": "afternoon", "reason": "absent le matin"}]})

    date: dt.date
    slot: Literal["morning", "afternoon"]
    reason: str | None = Field(default=None, max_length=300)


class DonorCancelIn(CancelIn):
    model_config = ConfigDict(extra="forbid")

    phone_last4: str = Field(pattern=r"^[0-9]{4}$", description="the last 4 digits of the request's phone")


class DonorRescheduleIn(RescheduleIn):
    model_config = ConfigDict(extra="forbid")

    phone_last4: str = Field(pattern=r"^[0-9]{4}$")


class ChangeOut(BaseModel):
    ref: str
    status: str
    date: dt.date
    slot: str
    plans_changed: list[int] = Field(description="plans the visit was taken out of (each with a plan change)")


class DonorMessageOut(BaseModel):
    kind: str
    channel: str
    status: str
    attempts: int
    lang: str
    subject: str
    created_at: Instant
    sent_at: Instant | None
    last_error: str | None
