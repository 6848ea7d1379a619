"""Planning jobs: a planning, re-optimising or re-planning run requested through the API, its
progress and its plan (``dispatch/jobs/``).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.models.base import Base, enum_column, utcnow


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
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED)
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
