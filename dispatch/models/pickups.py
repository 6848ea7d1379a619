"""Home pickups: the request with its rules decision, its slot (and the slots' hours, once:
:data:`SLOT_WINDOWS_S`), the steps of its life (:class:`PickupEvent`, migration 0008) and the
switchboard's raises of a day's cap of online bookings (migration 0014).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.models.base import Base, enum_column, utcnow


class PickupStatus(str, enum.Enum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    SCHEDULED = "scheduled"
    COLLECTED = "collected"
    MISSED = "missed"
    CANCELLED = "cancelled"  # by the donor or the switchboard (migration 0013, dispatch/pickups/changes.py)


class Slot(str, enum.Enum):
    MORNING = "morning"
    AFTERNOON = "afternoon"


# One place for the slots' hours (seconds since midnight): planning, slot offers and every text use it.
SLOT_WINDOWS_S: dict[Slot, tuple[int, int]] = {Slot.MORNING: (8 * 3600, 12 * 3600),
                                                Slot.AFTERNOON: (13 * 3600, 16 * 3600)}


class PickupRequest(Base):
    __tablename__ = "pickup_request"
    __table_args__ = (CheckConstraint("volume_m3 > 0", name="volume_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    donor_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    volume_m3: Mapped[float] = mapped_column(Float)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    slot: Mapped[Slot] = mapped_column(enum_column(Slot))
    floor: Mapped[int | None] = mapped_column(Integer)
    has_lift: Mapped[bool | None] = mapped_column(Boolean)
    access_code: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[PickupStatus] = mapped_column(enum_column(PickupStatus), default=PickupStatus.REQUESTED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    # The collection rules' decision: reason codes and parameters (shown in any language), alternatives.
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    overridden_by: Mapped[str | None] = mapped_column(String(100))
    override_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reschedule_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # after missed visits
    # The door it came through: "online" (the public form /donner, counted by the abuse guard,
    # dispatch/access/booking_guard.py); None for staff entries and imports (migration 0014).
    channel: Mapped[str | None] = mapped_column(String(20))
    # Donor messages (migration 0013, dispatch/messages/): an optional e-mail address, the language the donor
    # asked for ("fr" or "en"), and an opt-out from every message.
    email: Mapped[str | None] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(2), default="fr", server_default="fr")
    messages_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Migration 0018: requirements set by hand (e.g. ["two_people"]), added to those the rules file derives.
    requirements: Mapped[list[Any] | None] = mapped_column(JSON, default=list)


class PickupEvent(Base):
    """One step of a home pickup's life: requested, accepted, refused, scheduled, collected, missed..."""

    __tablename__ = "pickup_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    pickup_request_id: Mapped[int] = mapped_column(ForeignKey("pickup_request.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[PickupStatus] = mapped_column(enum_column(PickupStatus))
    date: Mapped[dt.date | None] = mapped_column(Date)
    slot: Mapped[Slot | None] = mapped_column(enum_column(Slot))
    detail: Mapped[str | None] = mapped_column(Text)


class OnlineBookingRelease(Base):
    """The switchboard raised a day's cap of online bookings by ``extra`` (migration 0014)."""

    __tablename__ = "online_booking_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    extra: Mapped[int] = mapped_column(Integer)
    released_by: Mapped[str] = mapped_column(String(80))
    released_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
