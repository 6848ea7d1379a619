"""Running planning jobs: a long solve never blocks a request.

A runner executes ``run_job``, which plans and stores the result in ONE transaction, so a job that fails
or whose worker dies leaves no half-written plan (jobs are recorded by :mod:`dispatch.jobs.records`). The
embedded default runs jobs in a thread of the API process (:class:`dispatch.jobs.workers.InProcessRunner`);
the same ``run_job`` can run on other workers (a child process, Celery).

Jobs have a ``kind``: ``plan`` (plan a day), ``reoptimise`` (re-solve a draft) and ``replan`` (mid-day
re-plan of a published plan), the last two from :func:`dispatch.jobs.records.create_edit_job`. An edit job
remembers the plan version it was asked on; it reads the plan, solves with no transaction open, and writes
only if the plan is still at that version: if someone edited it meanwhile, the job fails with the conflict
(who changed what, in ``progress["conflict"]``) and writes nothing. Every runner (thread, child process,
Celery) calls ``run_job``, which runs either kind. Never raises: the outcome is recorded on the job.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from dispatch.db import session_scope
from dispatch.errors import DispatchError, NotFound
from dispatch.jobs.records import ACTIVE, KIND_TEXT, PLAN_KIND, with_job_balance
from dispatch.jobs.workers import worker_id
from dispatch.models import JobStatus, PlanJob, utcnow
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings

log = logging.getLogger("dispatch.jobs.runner")


def _set(engine: Engine, job_id: str, **values) -> PlanJob | None:
    with session_scope(engine) as session:
        job = session.get(PlanJob, job_id)
        if job is not None:
            for key, value in values.items():
                setattr(job, key, value)
        return job


def _locked_job(session: Session, job_id: str) -> PlanJob | None:
    """The job, locked until the transaction ends, on both databases: a no-op UPDATE first takes PostgreSQL's
    row lock and SQLite's write lock (SELECT ... FOR UPDATE does nothing there), then the row is read afresh.
    So a region's progress never overwrites another's (a lost update), and a job stored as finished was not
    cancelled between the check and the write."""
    session.execute(update(PlanJob).where(PlanJob.id == job_id).values(phase=PlanJob.phase)
                    .execution_options(synchronize_session=False))
    return session.get(PlanJob, job_id, populate_existing=True)


def run_job(
    job_id: str, *, engine: Engine, settings: Settings, network: RoadNetwork,
    fan_out: Callable[[str, list[str], float, int | None], bool] | None = None, reclaim_running: bool = False,
) -> None:
    """Execute one job. Never raises: the outcome is recorded on the job.

    Phases: ``building`` (database, road matrices), ``solving`` (region by region; live progress at
    most once a second), ``storing``. With ``fan_out`` (Celery) and several regions, the region names are
    handed to ``fan_out(job_id, names, limit, seed)``, which returns True once it has taken them:
    their tasks then call :func:`build_and_solve_region` and :func:`finish_job`."""
    from dispatch.planning import scale

    # Claim the job in one conditional UPDATE, so that two processes handed the same job (every API
    # worker resubmits the queued jobs when it starts) never both run it. RUNNING is claimed again only
    # with ``reclaim_running`` (Celery): the broker redelivered a job whose worker died; nothing of it
    # was stored.
    claimable = ACTIVE if reclaim_running else (JobStatus.QUEUED,)
    with session_scope(engine) as session:
        claimed = session.execute(
            update(PlanJob).where(PlanJob.id == job_id, PlanJob.status.in_(claimable))
            .values(status=JobStatus.RUNNING, phase="building", started_at=utcnow(),
                    progress={"phase": "building"}, worker=worker_id())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return
        job = session.get(PlanJob, job_id)
        day, limit, seed, regions = job.date, job.time_limit_s, job.seed, job.regions
        kind = job.kind or PLAN_KIND
        settings = with_job_balance(settings, job)
    if kind != PLAN_KIND:
        _run_edit_job(job_id, kind, engine=engine, settings=settings, network=network)
        return
    try:
        if fan_out is not None:
            with session_scope(engine) as session:
                names = scale.region_names(day, session=session, regions=regions)
            if len(names) > 1:  # each region's task builds its own problem, then solves it
                _set(engine, job_id, phase="solving",
                     progress={"phase": "solving", "regions_total": len(names), "regions_done": 0, "regions": {}})
                if fan_out(job_id, names, limit, seed):
                    return
        parts, solutions = _plan_here(job_id, day, regions, engine=engine, settings=settings, network=network,
                                      time_limit_s=limit, seed=seed)
    except BaseException as exc:  # noqa: BLE001 - recorded, never lost
        record_failure(engine, job_id, exc)
        return
    finish_job(job_id, parts, solutions, engine=engine, time_limit_s=limit)


def _run_edit_job(job_id: str, kind: str, *, engine: Engine, settings: Settings, network: RoadNetwork) -> None:
    """A re-optimisation or re-plan: read the plan at the job's version (no lock kept), solve with live
    progress, then in ONE transaction check the plan is still at that version and write it with the
    job's success. Never raises (the outcome is on the job)."""
    from dispatch.planning import reoptimise, replan, resolve, resolve_write, versions

    try:
        with session_scope(engine) as session:  # reads only: no lock is held during the solve
            job = session.get(PlanJob, job_id)
            params = dict(job.params or {})
            plan_id, version, limit, seed = job.plan_id, job.plan_version, job.time_limit_s, job.seed
            if plan_id is None:
                raise NotFound("the plan of this job was deleted (replaced by a new plan of the day?); "
                               "nothing was written", field="plan_id")
            if kind == "reoptimise":
                prep = reoptimise.prepare_reoptimise(plan_id, settings, network, session=session, version=version,
                                                     time_limit_s=limit, seed=seed, lock=False)
            else:
                positions = [replan.VanPosition(**p) for p in params.get("positions") or ()]
                prep = replan.prepare_replan(plan_id, settings, network, session=session, version=version,
                                             at_s=params.get("at_s"), positions=positions, time_limit_s=limit,
                                             seed=seed, lock=False, drop=frozenset(params.get("drop") or ()))
        if _cancel_requested(engine, job_id):
            raise Cancelled()
        _set(engine, job_id, phase="solving",
             progress={"phase": "solving", "regions_total": 1, "regions_done": 0, "regions": {}})
        reporter = _Reporter(engine, job_id, "plan")
        solution = resolve.solve_prepared(prep, settings, progress=reporter)
        if reporter.cancelled:
            raise Cancelled()
        reporter.done(solution.summary.cost)
        _set(engine, job_id, phase="storing")
        if params.get("preview"):  # a mid-day re-plan is shown first; applied only when confirmed
            _store_preview(engine, job_id, prep, solution)
            return
        with session_scope(engine) as session:
            job = _locked_job(session, job_id)
            if job is None or job.status is not JobStatus.RUNNING or job.cancel_requested:
                raise Cancelled()
            plan = resolve_write.store_prepared(prep, solution, session=session, actor=params.get("actor") or "unknown")
            progress = dict(job.progress or {})
            progress.update(phase="done", best_cost=plan.cost, version=plan.version)
            job.status, job.phase = JobStatus.SUCCEEDED, "done"
            job.best_cost, job.finished_at, job.progress = plan.cost, utcnow(), progress
    except versions.StaleVersion as exc:
        _record_conflict(engine, job_id, kind, exc)
    except BaseException as exc:  # noqa: BLE001 - recorded, never lost
        record_failure(engine, job_id, exc)


def _store_preview(engine: Engine, job_id: str, prep, solution) -> None:
    """The re-plan's differences and its solution on the job; the plan itself is not written."""
    from dispatch.planning import replan_preview, resolve, versions

    with session_scope(engine) as session:
        job = _locked_job(session, job_id)
        if job is None or job.status is not JobStatus.RUNNING or job.cancel_requested:
            raise Cancelled()
        plan = versions.open_plan(prep.plan_id, prep.version, session=session, draft=False, lock=False)
        resolve.rebind(prep, plan, session=session)
        diff = replan_preview.differences(plan, prep, solution)
        job.params = {**(job.params or {}), "solution": replan_preview.solution_to_json(solution),
                      "visit_ids": sorted(v.id for v in prep.ctx.problem.visits), "outcomes": sorted(prep.outcomes)}
        job.progress = {**(job.progress or {}), "phase": "done", "preview": diff}
        job.status, job.phase, job.finished_at = JobStatus.SUCCEEDED, "preview", utcnow()


def _record_conflict(engine: Engine, job_id: str, kind: str, exc) -> None:
    """Someone edited the plan while the job ran: nothing was written; say who changed what."""
    with session_scope(engine) as session:
        job = session.get(PlanJob, job_id)
        if job is None:
            return
        who = "; ".join(f"version {c['version']}: {c['op']} by {c['actor']}" for c in exc.changes) or "unknown"
        job.status, job.phase, job.finished_at = JobStatus.FAILED, "failed", utcnow()
        job.error = (f"conflict: plan {job.plan_id} was changed while the {KIND_TEXT.get(kind, kind)} ran "
                     f"(it started from version {job.plan_version}, the plan is now at version "
                     f"{exc.current_version}: {who}); nothing was written: reload the plan and start again "
                     f"from version {exc.current_version}")
        job.progress = {**(job.progress or {}), "phase": "failed",
                        "conflict": {"current_version": exc.current_version, "changes": exc.changes}}


class _Reporter:
    """A job's live progress: written at most once every ``interval`` seconds in its own short
    transaction; each write also reads whether the job was cancelled (then the search stops)."""

    def __init__(self, engine: Engine, job_id: str, region: str, interval: float = 1.0) -> None:
        self.engine, self.job_id, self.region, self.interval = engine, job_id, region, interval
        self.last = float("-inf")
        self.t0 = time.monotonic()
        self.cancelled = False

    def __call__(self, info: dict) -> bool:
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self.write({"best_cost": info.get("best_cost"), "solutions": info.get("solutions"),
                        "elapsed_s": round(now - self.t0, 2), "done": False})
        return self.cancelled

    def done(self, cost: int) -> None:
        self.write({"best_cost": cost, "elapsed_s": round(time.monotonic() - self.t0, 2), "done": True})

    def write(self, entry: dict) -> None:
        try:
            with session_scope(self.engine) as session:
                job = _locked_job(session, self.job_id)
                if job is None:
                    return
                progress = dict(job.progress or {})
                by_region = dict(progress.get("regions") or {})
                previous = by_region.get(self.region) or {}
                by_region[self.region] = {**previous, **{k: v for k, v in entry.items() if v is not None}}
                best = [r.get("best_cost") for r in by_region.values()]
                progress.update(
                    regions=by_region, region=self.region,
                    regions_done=sum(1 for r in by_region.values() if r.get("done")),
                    best_cost=sum(best) if all(b is not None for b in best) else None,
                    solutions=sum(r.get("solutions") or 0 for r in by_region.values()),
                    elapsed_s=round((utcnow() - job.started_at).total_seconds(), 2) if job.started_at else None,
                )
                job.progress = progress
                if progress["best_cost"] is not None and progress["best_cost"] < 2**31:
                    job.best_cost = progress["best_cost"]
                self.cancelled = bool(job.cancel_requested)
        except Exception:  # noqa: BLE001 - progress is best effort, the solve goes on
            log.warning("could not record the progress of job %s", self.job_id, exc_info=True)


def solve_job_part(job_id: str, part, *, engine: Engine, settings: Settings, time_limit_s: float,
                   seed: int | None):
    """Solve one region of a job with live progress; raises ``Cancelled`` if the job was cancelled."""
    from dispatch.planning import scale

    if _cancel_requested(engine, job_id):
        raise Cancelled()
    reporter = _Reporter(engine, job_id, part.region)
    options = dataclasses.replace(scale.options_for(settings, time_limit_s, seed), progress=reporter)
    solution = scale.solve_part(part, options)
    if reporter.cancelled:
        raise Cancelled()
    reporter.done(solution.summary.cost)
    return solution


def _plan_here(job_id: str, day, regions, *, engine: Engine, settings: Settings, network: RoadNetwork,
               time_limit_s: float, seed: int | None) -> tuple[list, list]:
    """The job's regions planned in this process, one after the other: each built in its own short read
    (no lock held during a solve) and kept without its problem once solved, so one region's road matrices
    are in memory at a time. Returns (parts without their problem, solutions)."""
    from dispatch.planning import scale

    with session_scope(engine) as session:
        names = scale.region_names(day, session=session, regions=regions)
        single = regions is None and len(names) <= 1
        parts = scale.prepare(day, settings, network, session=session) if single else []
    if _cancel_requested(engine, job_id):
        raise Cancelled()
    _set(engine, job_id, phase="solving",
         progress={"phase": "solving", "regions_total": len(names) or 1, "regions_done": 0, "regions": {}})
    if single:
        return ([p.without_problem() for p in parts],
                [solve_job_part(job_id, p, engine=engine, settings=settings, time_limit_s=time_limit_s, seed=seed)
                 for p in parts])
    built = [build_and_solve_region(job_id, name, engine=engine, settings=settings, network=network,
                                    time_limit_s=time_limit_s, seed=seed) for name in names]
    return [part for part, _ in built], [solution for _, solution in built]


def build_and_solve_region(job_id: str, region: str, *, engine: Engine, settings: Settings, network: RoadNetwork,
                           time_limit_s: float, seed: int | None):
    """One region of a fanned-out job (a Celery task): build its problem from the database (reads
    only), solve it with live progress; returns ``(part without its problem, solution)`` for
    :func:`finish_job`. Raises ``Cancelled`` if the job was cancelled, domain errors as they are."""
    from dispatch.planning import scale

    with session_scope(engine) as session:
        job = session.get(PlanJob, job_id)
        if job is None or job.cancel_requested or job.status is not JobStatus.RUNNING:  # as _cancel_requested
            raise Cancelled()
        part = scale.prepare_region(job.date, with_job_balance(settings, job), network, region, session=session)
    return part.without_problem(), solve_job_part(job_id, part, engine=engine, settings=settings,
                                                  time_limit_s=time_limit_s, seed=seed)


def finish_job(job_id: str, parts: list, solutions: list, *, engine: Engine, time_limit_s: float) -> None:
    """Store the merged plan and the job's success in ONE transaction. Never raises."""
    from dispatch.planning import scale

    try:
        _set(engine, job_id, phase="storing")
        with session_scope(engine) as session:
            job = _locked_job(session, job_id)
            if job is None or job.status is not JobStatus.RUNNING or job.cancel_requested:
                raise Cancelled()
            plan = scale.store(parts, solutions, time_limit_s, session=session,
                               actor=(job.params or {}).get("actor") or "unknown")
            progress = dict(job.progress or {})
            progress.update(phase="done", best_cost=plan.cost)
            job.status, job.phase, job.plan_id = JobStatus.SUCCEEDED, "done", plan.id
            job.best_cost, job.finished_at, job.progress = plan.cost, utcnow(), progress
    except BaseException as exc:  # noqa: BLE001
        record_failure(engine, job_id, exc)


def _cancel_requested(engine: Engine, job_id: str) -> bool:
    with session_scope(engine) as session:
        job = session.get(PlanJob, job_id)
        return job is None or bool(job.cancel_requested) or job.status is not JobStatus.RUNNING


def record_failure(engine: Engine, job_id: str, exc: BaseException) -> None:
    if isinstance(exc, Cancelled):
        _set(engine, job_id, status=JobStatus.CANCELLED, phase="cancelled", finished_at=utcnow())
    elif isinstance(exc, DispatchError):  # the HTTP status it stands for, for a request waiting on the job
        _set(engine, job_id, status=JobStatus.FAILED, phase="failed", error=exc.message, finished_at=utcnow(),
             progress={"phase": "failed", "error_status": exc.status_hint, "error_field": exc.field})
    elif isinstance(exc, Exception):
        log.error("planning job %s failed", job_id, exc_info=exc)
        _set(engine, job_id, status=JobStatus.FAILED, phase="failed",
             error=f"internal error ({type(exc).__name__}); the previous plan is unchanged", finished_at=utcnow())
    else:  # KeyboardInterrupt, SystemExit: the job is left running (recovered at start-up), re-raised
        raise exc


class Cancelled(Exception):
    pass
