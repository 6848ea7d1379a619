"""The fleet: vans (based at a depot), crews (a new crew's working day, once: :data:`CREW_DEFAULTS`)
and their calendars, vans out of service and crews absent (migration 0008, ``dispatch/fleet/``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, DateSpan
from dispatch.models.network import Depot


class Van(Base):
    __tablename__ = "van"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    plate: Mapped[str | None] = mapped_column(String(20))
    capacity_m3: Mapped[float] = mapped_column(Float)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depot.id"))
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    depot: Mapped[Depot] = relationship()


# One place for a new crew's working day: the models, the API's defaults and the fleet service use it.
CREW_DEFAULTS: dict[str, int] = {
    "shift_start_min": 8 * 60, "shift_end_min": 16 * 60, "break_minutes": 45,
    "break_earliest_min": 11 * 60 + 30, "break_latest_min": 13 * 60 + 30,
}


class Crew(Base):
    __tablename__ = "crew"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    members: Mapped[list[Any]] = mapped_column(JSON, default=list)
    van_id: Mapped[int | None] = mapped_column(ForeignKey("van.id"))
    shift_start_min: Mapped[int] = mapped_column(Integer, default=CREW_DEFAULTS["shift_start_min"])
    shift_end_min: Mapped[int] = mapped_column(Integer, default=CREW_DEFAULTS["shift_end_min"])
    break_minutes: Mapped[int] = mapped_column(Integer, default=CREW_DEFAULTS["break_minutes"])
    break_earliest_min: Mapped[int] = mapped_column(Integer, default=CREW_DEFAULTS["break_earliest_min"])
    break_latest_min: Mapped[int] = mapped_column(Integer, default=CREW_DEFAULTS["break_latest_min"])
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Migration 0018: the crew's own features (e.g. ["three_people"]); the number of members adds
    # two_people / three_people (dispatch/pickups/requirements.py).
    skills: Mapped[list[Any] | None] = mapped_column(JSON, default=list)

    van: Mapped[Van | None] = relationship()


class VanUnavailability(DateSpan, Base):
    """A van out of service from ``start_date`` to ``end_date`` inclusive (maintenance, breakdown)."""

    __tablename__ = "van_unavailability"
    van_id: Mapped[int] = mapped_column(ForeignKey("van.id", ondelete="CASCADE"), index=True)


class CrewUnavailability(DateSpan, Base):
    """A crew absent from ``start_date`` to ``end_date`` inclusive (leave, sickness, training)."""

    __tablename__ = "crew_unavailability"
    crew_id: Mapped[int] = mapped_column(ForeignKey("crew.id", ondelete="CASCADE"), index=True)
