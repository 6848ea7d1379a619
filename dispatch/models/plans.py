"""Plans of a day: the plan (draft, published, replaced; its version), its rounds, their stops
and the visits left unassigned, and the change log of plan editing (migration 0007,
``dispatch/planning/versions.py``).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, enum_column, utcnow
from dispatch.models.fleet import Crew, Van
from dispatch.models.network import RelayPoint
from dispatch.models.pickups import PickupRequest


class PlanStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    REPLACED = "replaced"  # a draft superseded by a newer plan of its day: kept, readable in the history


class StopKind(str, enum.Enum):
    RELAY_POINT = "relay_point"
    PICKUP = "pickup"
    BREAK = "break"
    UNLOAD = "unload"  # back at the depot to empty the van, then out again


class Plan(Base):
    __tablename__ = "plan"
    # Ids are never reused (SQLite reuses the highest deleted id without AUTOINCREMENT):
    # a replaced draft's id must not come back as another plan.
    # One published plan per day, whatever the number of API workers (migration 0016).
    __table_args__ = (
        Index("uq_plan_published_day", "date", unique=True, sqlite_where=text("status = 'published'"),
              postgresql_where=text("status = 'published'")),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus), default=PlanStatus.DRAFT)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    solve_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    matrix_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    time_limit_s: Mapped[float] = mapped_column(Float, default=0.0)
    cost: Mapped[int] = mapped_column(Integer, default=0)
    distance_m: Mapped[int] = mapped_column(Integer, default=0)
    load_m3: Mapped[float] = mapped_column(Float, default=0.0)
    solver_status: Mapped[str] = mapped_column(String(20), default="solved")
    explanation: Mapped[str | None] = mapped_column(Text)
    # Per relay point: the rolling-horizon decision (mandatory / optional / skip), its reason and risk.
    relay_point_decisions: Mapped[list[Any] | None] = mapped_column(JSON)
    # Optimistic concurrency (migration 0007): +1 on every change (edit, re-optimise, publish, re-plan).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Vans and crews not used that day and why (maintenance, absence, no crew): see dispatch/fleet/calendars.py.
    vans_out: Mapped[list[Any] | None] = mapped_column(JSON)
    # Migration 0018: the plan was asked to balance the crews' working time (fair work).
    balanced: Mapped[bool | None] = mapped_column(Boolean)

    rounds: Mapped[list[Round]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Round.id"
    )
    unassigned: Mapped[list[UnassignedVisit]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="UnassignedVisit.id"
    )


class Round(Base):
    __tablename__ = "round"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    van_id: Mapped[int] = mapped_column(ForeignKey("van.id"))
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crew.id"))
    start_at: Mapped[dt.datetime] = mapped_column(DateTime)
    end_at: Mapped[dt.datetime] = mapped_column(DateTime)
    distance_m: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[int] = mapped_column(Integer)
    load_m3: Mapped[float] = mapped_column(Float)
    # Plan editing (migration 0007): planned -> in_progress -> done; hard-rule violations kept by force.
    status: Mapped[str] = mapped_column(String(20), default="planned", server_default="planned")
    warnings: Mapped[list[Any] | None] = mapped_column(JSON)

    plan: Mapped[Plan] = relationship(back_populates="rounds")
    van: Mapped[Van] = relationship()
    crew: Mapped[Crew | None] = relationship()
    stops: Mapped[list[Stop]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Stop.position"
    )


class Stop(Base):
    __tablename__ = "stop"
    __table_args__ = (UniqueConstraint("round_id", "position", name="round_position"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[StopKind] = mapped_column(enum_column(StopKind))
    relay_point_id: Mapped[int | None] = mapped_column(ForeignKey("relay_point.id"))
    pickup_request_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_request.id"))
    planned_arrival: Mapped[dt.datetime] = mapped_column(DateTime)
    service_s: Mapped[int] = mapped_column(Integer, default=0)
    waiting_s: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime | None] = mapped_column(DateTime)
    window_end: Mapped[dt.datetime | None] = mapped_column(DateTime)
    expected_m3: Mapped[float] = mapped_column(Float, default=0.0)
    load_after_m3: Mapped[float] = mapped_column(Float, default=0.0)
    distance_from_start_m: Mapped[int] = mapped_column(Integer, default=0)
    # Plan editing (migration 0007): a locked stop keeps its round and order when the plan is re-optimised.
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Migration 0018: what the visit needs of the crew and why, as planned: {"needs": [...], "why": [...]}.
    requirements: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    round: Mapped[Round] = relationship(back_populates="stops")
    relay_point: Mapped[RelayPoint | None] = relationship()
    pickup_request: Mapped[PickupRequest | None] = relationship()


class UnassignedVisit(Base):
    __tablename__ = "unassigned_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    kind: Mapped[StopKind] = mapped_column(enum_column(StopKind))
    relay_point_id: Mapped[int | None] = mapped_column(ForeignKey("relay_point.id"))
    pickup_request_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_request.id"))
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text)  # English, for the API and logs; pages render reason + params
    # Migration 0018: what the reason's sentence needs, rendered in the reader's language (documents/plan_texts.py).
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    plan: Mapped[Plan] = relationship(back_populates="unassigned")
    relay_point: Mapped[RelayPoint | None] = relationship()
    pickup_request: Mapped[PickupRequest | None] = relationship()


class PlanChange(Base):
    """One change to a plan: written with the change, so a client holding an old version learns what changed."""

    __tablename__ = "plan_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the plan's version after this change
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    op: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
