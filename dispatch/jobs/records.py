"""Planning job records: create, read and cancel jobs; one active job per day.

``create_job`` (plan a day) and ``create_edit_job`` (re-optimise a draft, re-plan a published plan at the
version the client saw) record a queued job in the caller's transaction; a second job of a day that has one
queued or running is refused with ``DayBusy`` (HTTP 409), by this check and by the database's unique index.
The runner (:mod:`dispatch.jobs.runner`) executes them. Services take ``*, session`` and flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import JobStatus, PlanJob, utcnow
from dispatch.planning import check_regions
from dispatch.settings import Settings
from dispatch.workdays import why_not_collection_day

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
PLAN_KIND = "plan"
EDIT_KINDS = ("reoptimise", "replan")
KIND_TEXT = {"plan": "planning", "reoptimise": "re-optimisation", "replan": "re-plan"}


class DayBusy(Conflict):
    """Another planning, re-optimisation or re-plan job of the day is queued or running (HTTP 409);
    ``job_id`` names it."""

    def __init__(self, job: PlanJob) -> None:
        what = KIND_TEXT.get(job.kind or PLAN_KIND, job.kind)
        super().__init__(f"a {what} job for {job.date.isoformat()} is already {job.status.value} (job {job.id}): "
                         f"wait for it or cancel it (DELETE /api/v1/plan-jobs/{job.id})", field="date")
        self.job_id, self.kind = job.id, job.kind or PLAN_KIND


def active_job(day: dt.date, *, session: Session) -> PlanJob | None:
    """The day's queued or running job, if any (at most one: a unique partial index, migration 0016)."""
    return session.scalars(select(PlanJob).where(PlanJob.date == day, PlanJob.status.in_(ACTIVE))
                           .order_by(PlanJob.created_at)).first()


def _check_no_active_job(day: dt.date, *, session: Session) -> None:
    """One job at a time per day: a planning job replaces the draft an edit job would write, and two
    edit jobs of one plan would conflict anyway."""
    active = active_job(day, session=session)
    if active is not None:
        raise DayBusy(active)


def _add_job(job: PlanJob, *, session: Session) -> PlanJob:
    """Insert the job; the database refuses a second active job of its day even when two workers checked
    at the same moment (the unique index uq_plan_job_active_day): that request gets the 409 too."""
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        other = active_job(job.date, session=session)
        if other is None:  # pragma: no cover - the other job ended between the insert and this read
            raise Conflict(f"another job for {job.date.isoformat()} was started at the same moment: "
                           "try again", field="date") from None
        raise DayBusy(other) from None
    return job


def create_job(day: dt.date, *, session: Session, time_limit_s: float, seed: int | None = None,
               regions: list[str] | None = None, balance: bool | None = None, actor: str | None = None) -> PlanJob:
    """Record a job for ``day`` (``regions``: only those regions' depots, vans and visits; None: all;
    ``balance``: balance the crews' working time, None: the setting; ``actor``: who asked for it)."""
    not_a_day = why_not_collection_day(day)
    if not_a_day:
        raise InvalidInput(not_a_day, field="date")
    regions = check_regions(regions, session=session)
    _check_no_active_job(day, session=session)
    job = PlanJob(id=uuid.uuid4().hex, kind=PLAN_KIND, date=day, status=JobStatus.QUEUED, phase="queued",
                  time_limit_s=time_limit_s, seed=seed, regions=regions,
                  params={k: v for k, v in (("balance", balance), ("actor", actor)) if v is not None} or None)
    return _add_job(job, session=session)


def with_job_balance(settings: Settings, job: PlanJob) -> Settings:
    """The settings a planning job runs with: its own ``balance`` choice, if it made one."""
    balance = (job.params or {}).get("balance") if (job.kind or PLAN_KIND) == PLAN_KIND else None
    return settings if balance is None else settings.model_copy(update={"balance_work_time": bool(balance)})


def create_edit_job(kind: str, plan, *, session: Session, time_limit_s: float, seed: int | None,
                    actor: str, params: dict | None = None) -> PlanJob:
    """Record a re-optimisation or re-plan of ``plan`` (already checked at the version the client sent:
    :func:`dispatch.planning.versions.open_plan`); the job will write only onto that version."""
    if kind not in EDIT_KINDS:
        raise InvalidInput(f"unknown job kind {kind!r}: one of {', '.join(EDIT_KINDS)}", field="kind")
    _check_no_active_job(plan.date, session=session)
    job = PlanJob(id=uuid.uuid4().hex, kind=kind, date=plan.date, status=JobStatus.QUEUED, phase="queued",
                  time_limit_s=time_limit_s, seed=seed, plan_id=plan.id, plan_version=plan.version,
                  params={"actor": actor, **(params or {})})
    return _add_job(job, session=session)


def get_job(job_id: str, *, session: Session) -> PlanJob:
    job = session.get(PlanJob, job_id)
    if job is None:
        raise NotFound(f"planning job {job_id} does not exist", field="job_id")
    return job


def cancel_job(job_id: str, *, session: Session) -> PlanJob:
    """A queued job is cancelled at once; a running one stops before it stores its plan."""
    job = get_job(job_id, session=session)
    if job.status not in ACTIVE:
        raise Conflict(f"planning job {job_id} is already {job.status.value}")
    job.cancel_requested = True
    if job.status is JobStatus.QUEUED:
        job.status, job.phase, job.finished_at = JobStatus.CANCELLED, "cancelled", utcnow()
    session.flush()
    return job


def queued_job_ids(*, session: Session) -> list[str]:
    return list(session.scalars(
        select(PlanJob.id).where(PlanJob.status == JobStatus.QUEUED).order_by(PlanJob.created_at)
    ).all())
