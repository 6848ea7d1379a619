"""SQLAlchemy 2.0 typed models. The schema is created only by Alembic migrations."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e], validate_strings=True)


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


class PlanStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    REPLACED = "replaced"  # a draft superseded by a newer plan of its day: kept, readable in the history


class StopKind(str, enum.Enum):
    RELAY_POINT = "relay_point"
    PICKUP = "pickup"
    BREAK = "break"
    UNLOAD = "unload"  # back at the depot to empty the van, then out again


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
    kind: Mapped[RelayPointKind] = mapped_column(_enum(RelayPointKind))
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
        viewonly=True, order_by="RelayPointClosure.start_date")  # dispatch/fleet/availability.py

    @property
    def fill_ratio(self) -> float:
        return 1.0 if self.full else min(1.0, self.stock_m3 / self.capacity_m3)


class StockReport(Base):
    __tablename__ = "stock_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    relay_point_id: Mapped[int] = mapped_column(ForeignKey("relay_point.id", ondelete="CASCADE"), index=True)
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    source: Mapped[ReportSource] = mapped_column(_enum(ReportSource))
    level_pct: Mapped[float | None] = mapped_column(Float)
    stock_m3: Mapped[float] = mapped_column(Float)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)

    relay_point: Mapped[RelayPoint] = relationship(back_populates="reports")


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
    slot: Mapped[Slot] = mapped_column(_enum(Slot))
    floor: Mapped[int | None] = mapped_column(Integer)
    has_lift: Mapped[bool | None] = mapped_column(Boolean)
    access_code: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[PickupStatus] = mapped_column(_enum(PickupStatus), default=PickupStatus.REQUESTED)
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
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus), default=PlanStatus.DRAFT)
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
    # Vans and crews not used that day and why (maintenance, absence, no crew): see dispatch/fleet/availability.py.
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
    kind: Mapped[StopKind] = mapped_column(_enum(StopKind))
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
    kind: Mapped[StopKind] = mapped_column(_enum(StopKind))
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


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PlanJob(Base):
    """A planning run requested through the API; its plan is stored with its success, atomically."""

    __tablename__ = "plan_job"
    # One queued or running job per day, across API workers and Celery (migration 0016): planning,
    # re-optimising and re-planning a day are serialised by the database itself.
    __table_args__ = (
        Index("uq_plan_job_active_day", "date", unique=True,
              sqlite_where=text("status IN ('queued', 'running')"),
              postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.QUEUED)
    phase: Mapped[str] = mapped_column(String(30), default="queued")
    time_limit_s: Mapped[float] = mapped_column(Float)
    seed: Mapped[int | None] = mapped_column(Integer)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    best_cost: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Scale (migration 0010): the regions to plan (None: all), and live progress while running
    # ({"elapsed_s", "best_cost", "solutions", "region", "regions_done", "regions_total"}).
    regions: Mapped[list[Any] | None] = mapped_column(JSON)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Edit jobs (migration 0011): "plan" (plan a day), "reoptimise" (a draft), "replan" (mid-day, published);
    # an edit job's plan is ``plan_id`` and it writes only onto ``plan_version``; ``params``: actor, at_s, positions.
    kind: Mapped[str] = mapped_column(String(20), default="plan", server_default="plan")
    plan_version: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The process running the job, "host:pid" (migration 0012): a starting API worker fails a running job
    # only when that process is gone (see dispatch.jobs.workers.recover_interrupted).
    worker: Mapped[str | None] = mapped_column(String(120))


# --- Driver route sheets and relay-point links (appended by the pages/manifests work; migration 0002) ---


class StopEventKind(str, enum.Enum):
    ARRIVED = "arrived"
    COLLECTED = "collected"
    MISSED = "missed"


class StopEvent(Base):
    """What a crew reported at a stop from its phone route sheet.

    ``idempotency_key`` is generated by the phone: an update sent twice (offline queue replayed)
    is stored once, and the repeat gets the same answer.
    """

    __tablename__ = "stop_event"
    __table_args__ = (CheckConstraint("collected_m3 IS NULL OR collected_m3 >= 0", name="collected_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stop_id: Mapped[int] = mapped_column(ForeignKey("stop.id", ondelete="CASCADE"), index=True)
    kind: Mapped[StopEventKind] = mapped_column(_enum(StopEventKind))
    collected_m3: Mapped[float | None] = mapped_column(Float)
    remaining_m3: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Crew rules (migration 0016, dispatch/field/crew_rules.py): an outcome that corrects an earlier one names
    # it and why; a volume the crew confirmed despite the checks is flagged to the coordinator.
    corrects_event_id: Mapped[int | None] = mapped_column(Integer)
    correction_reason: Mapped[str | None] = mapped_column(String(300))
    flag: Mapped[str | None] = mapped_column(String(30))

    stop: Mapped[Stop] = relationship()


class RelayPointLink(Base):
    """A permanent, revocable link for a relay point's page. Only a hash of the token is stored."""

    __tablename__ = "relay_point_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    relay_point_id: Mapped[int] = mapped_column(ForeignKey("relay_point.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    relay_point: Mapped[RelayPoint] = relationship()


# --- Availability calendars and the pickup lifecycle (migration 0008, dispatch/fleet/availability.py) ---


class _DateSpan:
    """Columns of a calendar entry: from ``start_date`` to ``end_date`` inclusive, with why."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (CheckConstraint("end_date >= start_date", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class RelayPointClosure(_DateSpan, Base):
    """A relay point closed from ``start_date`` to ``end_date`` inclusive (host absent, holidays, works)."""

    __tablename__ = "relay_point_closure"
    relay_point_id: Mapped[int] = mapped_column(ForeignKey("relay_point.id", ondelete="CASCADE"), index=True)


class VanUnavailability(_DateSpan, Base):
    """A van out of service from ``start_date`` to ``end_date`` inclusive (maintenance, breakdown)."""

    __tablename__ = "van_unavailability"
    van_id: Mapped[int] = mapped_column(ForeignKey("van.id", ondelete="CASCADE"), index=True)


class CrewUnavailability(_DateSpan, Base):
    """A crew absent from ``start_date`` to ``end_date`` inclusive (leave, sickness, training)."""

    __tablename__ = "crew_unavailability"
    crew_id: Mapped[int] = mapped_column(ForeignKey("crew.id", ondelete="CASCADE"), index=True)


class PickupEvent(Base):
    """One step of a home pickup's life: requested, accepted, refused, scheduled, collected, missed..."""

    __tablename__ = "pickup_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    pickup_request_id: Mapped[int] = mapped_column(ForeignKey("pickup_request.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[PickupStatus] = mapped_column(_enum(PickupStatus))
    date: Mapped[dt.date | None] = mapped_column(Date)
    slot: Mapped[Slot | None] = mapped_column(_enum(Slot))
    detail: Mapped[str | None] = mapped_column(Text)


# --- Staff accounts, API tokens and the audit log (migration 0006, dispatch/access/auth.py, dispatch/access/audit.py) ---


class StaffRole(str, enum.Enum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    SWITCHBOARD = "switchboard"


class StaffAccount(Base):
    """A staff member who signs in (coordination, switchboard, administration). Passwords: scrypt hashes."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole))
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    """An opaque bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[StaffAccount] = relationship()


class AuditLog(Base):
    """One successful state-changing staff request, written in the same transaction as the change."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"), index=True)
    username: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int] = mapped_column(Integer)
    entity: Mapped[str | None] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- Data exchange: webhook subscriptions and their outbox (migration 0009) ---


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
        _enum(WebhookDeliveryStatus), default=WebhookDeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    subscription: Mapped[WebhookSubscription] = relationship()


# --- Plan editing: versions and the change log (migration 0007, dispatch/planning/editing.py) ---


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


class OnlineBookingRelease(Base):
    """The switchboard raised a day's cap of online bookings by ``extra`` (migration 0014)."""

    __tablename__ = "online_booking_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    extra: Mapped[int] = mapped_column(Integer)
    released_by: Mapped[str] = mapped_column(String(80))
    released_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
# --- Donor messages: the outbox of e-mails and SMS to donors (migration 0013, dispatch/messages/) ---


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
        _enum(DonorMessageStatus), default=DonorMessageStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    pickup_request: Mapped[PickupRequest] = relationship()


# --- Crew updates the server refused, kept for the coordinator (migration 0015, dispatch/field/held.py) ---


class HeldUpdate(Base):
    """An update a crew's phone could not record (expired link, stop moved, plan re-published), sent later
    through a valid link: the coordinator sees it and applies it to a stop with its original time and key."""

    __tablename__ = "held_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    via_round_id: Mapped[int | None] = mapped_column(Integer)  # the round of the valid link that sent it
    round_id: Mapped[int | None] = mapped_column(Integer)  # the round of the link it was made with, if signed
    stop_id: Mapped[int] = mapped_column(Integer)  # the stop it was made at (may no longer exist)
    kind: Mapped[StopEventKind] = mapped_column(_enum(StopEventKind))
    collected_m3: Mapped[float | None] = mapped_column(Float)
    remaining_m3: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # when the crew made it (phone's clock)
    refused_status: Mapped[int] = mapped_column(Integer)
    refused_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="held", server_default="held", index=True)
    applied_stop_id: Mapped[int | None] = mapped_column(Integer)
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    applied_by: Mapped[str | None] = mapped_column(String(100))
