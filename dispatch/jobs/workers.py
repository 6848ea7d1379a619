"""Which process runs a job, jobs whose process died, and the in-process runner.

A running job records its worker as ``host:pid`` (``worker_id``); at start-up ``recover_interrupted`` marks
failed the running jobs whose process is gone (or, for another host or no recorded process, that have run
far longer than any solve). ``InProcessRunner`` runs jobs one at a time in a thread of this process (the
embedded default); :mod:`dispatch.jobs.process` and :mod:`dispatch.jobs.celery_app` are the other runners.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import JobStatus, PlanJob, utcnow


def _host() -> str:
    return socket.gethostname()[:100]  # the column holds 120 characters with the pid


def worker_id() -> str:
    """This process, as recorded on the jobs it runs: ``host:pid``."""
    return f"{_host()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:  # handled: the worker process is gone: its job is failed by the caller
        return False
    except OSError:  # handled: exists, owned by another user
        return True
    return True


def _interrupted(job: PlanJob, now: dt.datetime) -> bool:
    """Whether a running job's process is gone. A job of a process on this host is interrupted when that
    process no longer exists (or is this one, just started); a job with no recorded process, or of another
    host, when it started more than twice its time limit plus 10 minutes ago (no solve lasts that long)."""
    started = job.started_at or job.created_at
    if started is not None and now - started > dt.timedelta(seconds=2 * (job.time_limit_s or 0) + 600):
        return True
    host, _, pid = (job.worker or "").rpartition(":")
    if not host or not pid.isdigit():  # no process recorded (a job from before migration 0012)
        return True
    if host != _host():
        return False
    return int(pid) == os.getpid() or not _process_alive(int(pid))


def recover_interrupted(*, session: Session) -> int:
    """At start-up: jobs left running by a process that died are marked failed (no plan was stored
    for them: planning commits the plan and the job's success together). Jobs another live process is
    running (several API workers share the database) are left alone; queued ones stay queued."""
    now = utcnow()
    jobs = [job for job in session.scalars(select(PlanJob).where(PlanJob.status == JobStatus.RUNNING)).all()
            if _interrupted(job, now)]
    for job in jobs:
        job.status, job.phase, job.finished_at = JobStatus.FAILED, "failed", utcnow()
        job.error = "interrupted: the worker stopped before the plan was stored; start the job again"
    session.flush()
    return len(jobs)


class InProcessRunner:
    """Runs jobs one at a time in a background thread of this process (the embedded default)."""

    def __init__(self, run: Callable[[str], None]) -> None:
        self._run = run
        self._executor: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan-job")
            self._futures[job_id] = self._executor.submit(self._run, job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until the job has finished (tests and CLI use this; the API polls instead)."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=False)
                self._executor = None
