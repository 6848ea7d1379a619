"""The collection network: depots, relay points (their kind, host constraints and pause), the
stock reports they receive, and their closures (migration 0008, ``dispatch/fleet/relay_points.py``).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dispatch.models.base import Base, DateSpan, enum_column, utcnow


class RelayPointKind(str, enum.Enum):
    TOWN_HALL = "town_hall"
    LIBRARY = "library"
    SHOP = "shop"
    COMPANY = "company"
    ASSOCIATION = "association"
    HOME = "home"


class ReportSource(str, enum.Enum):
    RELAY_POINT = "relay_point"
    DRIVER = "driver"
    STAFF = "staff"


class Depot(Base):
    __tablename__ = "depot"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # Multi-depot (migration 0010): the planning region of this depot; None = the "default" region.
    # A relay point or pickup belongs to the region of its nearest depot (dispatch/planning/scale.py).
    region: Mapped[str | None] = mapped_column(String(60), index=True)
    # Migration 0018: when vans may leave and must be back, [{"days", "open", "close"}] like a relay point's;
    # None or [] = no limit beyond the crews' shifts (dispatch/fleet/depots.py).
    opening_hours: Mapped[list[Any] | None] = mapped_column(JSON, default=list)


class RelayPoint(Base):
    __tablename__ = "relay_point"
    __table_args__ = (
        CheckConstraint("capacity_m3 > 0", name="capacity_positive"),
        CheckConstraint("stock_m3 >= 0", name="stock_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RelayPointKind] = mapped_column(enum_column(RelayPointKind))
    address: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(10))
    arrondissement: Mapped[int | None] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    capacity_m3: Mapped[float] = mapped_column(Float)
    stock_m3: Mapped[float] = mapped_column(Float, default=0.0)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_rate_m3: Mapped[float] = mapped_column(Float, default=0.1)
    # [{"days": [0..6], "open": "HH:MM", "close": "HH:MM"}, ...] Monday = 0.
    opening_hours: Mapped[list[Any]] = mapped_column(JSON, default=list)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    access_notes: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    stock_updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Availability (migration 0008): a paused relay point is not visited; the host's constraints.
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    pause_reason: Mapped[str | None] = mapped_column(Text)
    no_visit_weekdays: Mapped[list[Any] | None] = mapped_column(JSON, default=list)  # Monday = 0
    max_visits_per_week: Mapped[int | None] = mapped_column(Integer)  # per ISO week; None: no limit
    # Migration 0018: what a crew needs to serve it, set by hand (e.g. ["tail_lift"]); see dispatch/pickups/requirements.py.
    requirements: Mapped[list[Any] | None] = mapped_column(JSON, default=list)

    reports: Mapped[list[StockReport]] = relationship(back_populates="relay_point", order_by="StockReport.id")
    closures: Mapped[list[RelayPointClosure]] = relationship(
        viewonly=True, order_by="RelayPointClosure.start_date")  # dispatch/fleet/relay_points.py

    @property
    def fill_ratio(self) -> float:
        return 1.0 if self.full else min(1.0, self.stock_m3 / self.capacity_m3)


class StockReport(Base):
    __tablename__ = "stock_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    relay_point_id: Mapped[int] = mapped_column(ForeignKey("relay_point.id", ondelete="CASCADE"), index=True)
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    source: Mapped[ReportSource] = mapped_column(enum_column(ReportSource))
    level_pct: Mapped[float | None] = mapped_column(Float)
    stock_m3: Mapped[float] = mapped_column(Float)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)

    relay_point: Mapped[RelayPoint] = relationship(back_populates="reports")


class RelayPointClosure(DateSpan, Base):
    """A relay point closed from ``start_date`` to ``end_date`` inclusive (host absent, holidays, works)."""

    __tablename__ = "relay_point_closure"
    relay_point_id: Mapped[int] = mapped_column(ForeignKey("relay_point.id", ondelete="CASCADE"), index=True)
