"""Pydantic schemas of planning and edit jobs: a job's start (a day, optionally some regions), the job as it is
polled (phase, progress, the plan made or the conflict met, its links) and the 202 answer to its start."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Instant
from api.schemas.plans import DayOut, PlanIn


class PlanJobIn(PlanIn):
    """A planning job: a day, optionally only some regions (``Depot.region``; default: all)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"date": "2026-12-01"}, {"date": "2026-12-01", "regions": ["north", "south"]}]})

    regions: list[str] | None = Field(default=None, min_length=1, max_length=100,
                                      description="plan only these regions (one Celery task each); default all")


class JobOut(BaseModel):
    id: str
    date: dt.date
    status: str
    phase: str
    time_limit_s: float
    created_at: Instant
    started_at: Instant | None
    finished_at: Instant | None
    elapsed_s: float | None
    best_cost: int | None
    error: str | None
    plan: DayOut | None
    # Scale: the regions planned (None: all) and live progress while running: best cost so far,
    # improving solutions found, solver seconds, per region.
    regions: list[str] | None = None
    progress: dict | None = None
    # Edit jobs: `plan` (plan a day), `reoptimise` (a draft), `replan` (mid-day re-plan of a published plan).
    kind: str = Field(default="plan", description="plan | reoptimise | replan")
    plan_id: int | None = Field(default=None, description="the plan an edit job works on (or the plan made)")
    plan_version: int | None = Field(default=None, description="the version an edit job writes onto, and only onto")
    conflict: dict | None = Field(default=None, description="a failed edit job: the plan's `current_version` and "
                                  "the `changes` made meanwhile (nothing was written)")
    links: dict[str, str] = Field(default_factory=dict, description="`self` (poll), `cancel` (DELETE), `plan`")

    @classmethod
    def from_orm_obj(cls, job, plan: DayOut | None) -> JobOut:
        end = job.finished_at
        elapsed = None
        if job.started_at is not None:
            from dispatch.models import utcnow

            elapsed = round(((end or utcnow()) - job.started_at).total_seconds(), 2)
        progress = getattr(job, "progress", None)
        poll = f"/api/v1/plan-jobs/{job.id}"
        links = {"self": poll, "cancel": poll}
        if job.plan_id is not None:
            links["plan"] = f"/api/v1/plans/{job.plan_id}"
        return cls(
            id=job.id, date=job.date, status=job.status.value, phase=job.phase, time_limit_s=job.time_limit_s,
            created_at=job.created_at, started_at=job.started_at, finished_at=end, elapsed_s=elapsed,
            best_cost=job.best_cost, error=job.error, plan=plan,
            regions=getattr(job, "regions", None), progress=progress,
            kind=getattr(job, "kind", None) or "plan", plan_id=job.plan_id,
            plan_version=getattr(job, "plan_version", None),
            conflict=(progress or {}).get("conflict"), links=links,
        )


class JobAccepted(BaseModel):
    """The answer to a job's start (202): the job, and where to poll it (also in ``Location``)."""

    job: JobOut
    poll: str
