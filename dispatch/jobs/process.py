"""Planning jobs in a child process: the embedded default's isolation from the API.

A solve is CPU-bound, and much of it runs Python code that holds the interpreter lock (the ruin-and-recreate
phases, matrix assembly). Run in a thread of the API process, it stalls every request the API is serving
for as long as it holds the lock. :class:`ProcessRunner` runs each job in one long-lived child process
instead (started on the first job, kept for the next ones so the road network is loaded once), at a lower
CPU priority (``DISPATCH_JOB_NICE``) so that drivers' and relay points' requests come first.

The job's outcome is recorded by the child in the database, exactly as with a thread or a Celery worker.
If the child dies (killed, out of memory), the job it was running is marked failed with the reason and
nothing of it is stored (planning commits the plan and the job's success together); jobs waiting behind
it are handed to a new child.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlalchemy import select

from dispatch.db import engine_for, session_scope
from dispatch.models import JobStatus, PlanJob, utcnow

log = logging.getLogger(__name__)

DIED = ("the planning process stopped unexpectedly (killed or out of memory) before the plan was stored; "
        "nothing was changed: start the job again")


def _child_init(nice: int, sched_idle: bool = False) -> None:
    if nice > 0:
        try:
            os.nice(nice)
        except OSError:  # pragma: no cover - not allowed here: run at the same priority
            pass
    if sched_idle and hasattr(os, "sched_setscheduler"):  # Linux: only CPU time no other task wants
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # pragma: no cover - refused here: the nice value alone applies
            pass


class ProcessRunner:
    """Runs jobs one at a time in a child process. ``run`` must be picklable (a module-level function, or
    a ``functools.partial`` of one) and record the job's outcome itself, as :func:`dispatch.jobs.runner.run_job`
    does."""

    def __init__(self, run: Callable[[str], None], *, database_url: str, nice: int = 10,
                 sched_idle: bool = False) -> None:
        self._run = run
        self._database_url = database_url
        self._nice = nice
        self._sched_idle = sched_idle
        self._executor: ProcessPoolExecutor | None = None
        self._futures: dict[str, Future] = {}
        self._settled: dict[str, threading.Event] = {}  # set once a job's outcome is final
        self._restarts: dict[str, int] = {}  # a job whose child died before it started is tried again, once
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_child_init, initargs=(self._nice, self._sched_idle))
            executor = self._executor
            future = executor.submit(self._run, job_id)
            self._futures[job_id] = future
            self._settled.setdefault(job_id, threading.Event())
        future.add_done_callback(lambda f, job_id=job_id, executor=executor: self._done(job_id, f, executor))

    def _done(self, job_id: str, future: Future, executor: ProcessPoolExecutor) -> None:
        resubmitted = False
        try:
            resubmitted = self._outcome(job_id, future, executor)
        finally:
            if not resubmitted:
                with self._lock:
                    self._futures.pop(job_id, None)
                    self._restarts.pop(job_id, None)
                    settled = self._settled.pop(job_id, None)
                if settled is not None:
                    settled.set()

    def _outcome(self, job_id: str, future: Future, executor: ProcessPoolExecutor) -> bool:
        """Record what the child could not; True when the job was handed to a new child."""
        exc = None if future.cancelled() else future.exception()
        if exc is None:
            return False
        if isinstance(exc, BrokenProcessPool):
            with self._lock:
                if self._executor is executor:
                    self._executor = None  # the next submit starts a new child
            if self._still_queued(job_id) and self._restarts.get(job_id, 0) < 1:
                self._restarts[job_id] = self._restarts.get(job_id, 0) + 1
                log.warning("planning job %s: its process died before it started; resubmitting", job_id)
                self.submit(job_id)
                return True
            self._fail(job_id, DIED)
        else:  # run() records every outcome itself; anything else is a bug in the runner's plumbing
            log.error("planning job %s: the planning process failed", job_id, exc_info=exc)
            self._fail(job_id, f"internal error ({type(exc).__name__}); the previous plan is unchanged")
        return False

    def _still_queued(self, job_id: str) -> bool:
        try:
            with session_scope(engine_for(self._database_url)) as session:
                return session.scalar(select(PlanJob.status).where(PlanJob.id == job_id)) is JobStatus.QUEUED
        except Exception:  # noqa: BLE001 - database down: treat it as started (marked failed below, if possible)
            return False

    def _fail(self, job_id: str, reason: str) -> None:
        try:
            with session_scope(engine_for(self._database_url)) as session:
                job = session.get(PlanJob, job_id)
                if job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
                    job.status, job.phase, job.error, job.finished_at = JobStatus.FAILED, "failed", reason, utcnow()
        except Exception:  # noqa: BLE001 - database down: recover_interrupted marks it at the next start
            log.exception("planning job %s: could not record that its process died", job_id)

    def child_pid(self) -> int | None:
        """The child's process id while it runs (for operators and tests)."""
        with self._lock:
            processes = getattr(self._executor, "_processes", None) or {}
            return next(iter(processes), None)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until the job has finished (tests and CLI use this; the API polls instead)."""
        with self._lock:
            settled = self._settled.get(job_id)
        if settled is not None and not settled.wait(timeout):
            raise TimeoutError(f"planning job {job_id} still running after {timeout} s")

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=False)
