"""The value types and the error body the other schema modules share: ``Instant`` (a moment, UTC with its
offset in JSON), ``LocalDateTime`` (a planned time, the association's wall clock, without an offset) and
``Problem`` (RFC 9457 problem details, every error's body)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, PlainSerializer, WithJsonSchema


def _instant_json(value: dt.datetime) -> str:
    """A moment in time with its offset (RFC 3339): the database keeps naive UTC, so naive means UTC."""
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value.isoformat().replace("+00:00", "Z")


# A moment (when something was recorded, created, sent): UTC with its offset, e.g. "2026-11-28T20:00:48.44Z".
Instant = Annotated[dt.datetime, PlainSerializer(_instant_json, return_type=str, when_used="json"),
                    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-28T20:00:48Z"]},
                                   mode="serialization")]
# A planned time of a round: the association's local wall-clock time (DISPATCH_TIMEZONE), without an offset.
LocalDateTime = Annotated[dt.datetime, WithJsonSchema({
    "type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
    "description": "local time of the association (DISPATCH_TIMEZONE, Europe/Paris), without an offset",
    "examples": ["2026-12-01T08:00:00"]}, mode="serialization")]


class Problem(BaseModel):
    """RFC 9457 problem details, with the field at fault when there is one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[dict] | None = None
