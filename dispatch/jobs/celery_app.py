"""Planning jobs on Celery workers (Redis or RabbitMQ broker), for when one machine is not enough.

Nothing is created at import: the Celery application is built from settings on first use. Start a
worker with the same settings (database URL, road graph) as the API:

    DISPATCH_JOB_BACKEND=celery DISPATCH_CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/celery -A dispatch.jobs.celery_app worker --concurrency 2

Each task runs :func:`dispatch.jobs.runner.run_job`, exactly as the in-process runner does, so a job's plan and
its success are stored together whatever machine runs it. A day with several regions is fanned out:
one ``dispatch.solve_region`` task per region (a Celery chord), so several workers share the day, then
``dispatch.finish_regions`` merges the regions' solutions and stores the plan in one transaction.
"""

from __future__ import annotations

import base64
import pickle
from functools import lru_cache

from celery import Celery

from dispatch.settings import Settings, get_settings

TASK_NAME = "dispatch.plan_job"
WEBHOOK_TASK_NAME = "dispatch.deliver_webhooks"  # the webhook outbox
MESSAGES_TASK_NAME = "dispatch.deliver_donor_messages"  # the donor-message outbox (dispatch/messages/)
REGION_TASK = "dispatch.solve_region"  # one region of a multi-region job
FINISH_TASK = "dispatch.finish_regions"  # merges the regions' solutions and stores the day's plan


def make_celery(settings: Settings) -> Celery:
    app = Celery("dispatch", broker=settings.celery_broker_url,
                 backend=settings.celery_result_backend or settings.celery_broker_url)
    app.conf.update(
        task_acks_late=True,  # a job whose worker dies is redelivered, not lost
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.celery_queue,
        broker_connection_retry_on_startup=True,
    )
    _add_planning_tasks(app, settings)
    _add_delivery_tasks(app, settings)
    schedule = _beat_schedule(settings)
    if schedule:
        app.conf.beat_schedule = schedule
    return app


def _add_planning_tasks(app: Celery, settings: Settings) -> None:
    """A job (``TASK_NAME``), fanned out one task per region (``REGION_TASK``) merged by ``FINISH_TASK``.
    The tasks are not shared: a shared task would leak into later apps built with other settings."""

    @app.task(name=TASK_NAME, shared=False)
    def plan_job(job_id: str) -> str:
        from dispatch.db import engine_for
        from dispatch.jobs.runner import run_job
        from dispatch.roads import get_network

        def fan_out(job_id: str, regions: list[str], limit: float, seed: int | None) -> bool:
            # One task per region (a chord): several workers share the day, each building its own
            # region's problem (road matrices included); the last one stores the merged plan.
            from celery import chord

            chord(solve_region.s(job_id, region, limit, seed) for region in regions)(finish_regions.s(job_id, limit))
            return True

        run_job(job_id, engine=engine_for(settings.database_url), settings=settings, network=get_network(settings),
                fan_out=fan_out, reclaim_running=True)  # a redelivered job: its first worker died
        return job_id

    @app.task(name=REGION_TASK, shared=False)
    def solve_region(job_id: str, region: str, limit: float, seed: int | None) -> str:
        """Build and solve one region of a job; returns the packed (part, solution), or the packed exception."""
        from dispatch.db import engine_for
        from dispatch.jobs.runner import build_and_solve_region
        from dispatch.roads import get_network

        try:
            return _pack(build_and_solve_region(job_id, region, engine=engine_for(settings.database_url),
                                                settings=settings, network=get_network(settings),
                                                time_limit_s=limit, seed=seed))
        except Exception as exc:  # noqa: BLE001 - reported to finish_regions, which records it
            return _pack(_failure_record(exc))

    @app.task(name=FINISH_TASK, shared=False)
    def finish_regions(results: list[str], job_id: str, limit: float) -> str:
        from dispatch.db import engine_for
        from dispatch.jobs.runner import record_failure, finish_job

        engine = engine_for(settings.database_url)
        outcomes = [_unpack(r) for r in results]
        failed = [o for o in outcomes if isinstance(o, dict)]
        if failed:
            record_failure(engine, job_id, _failure_of(failed[0]))
        else:
            finish_job(job_id, [part for part, _ in outcomes], [solution for _, solution in outcomes],
                       engine=engine, time_limit_s=limit)
        return job_id


def _failure_record(exc: Exception) -> dict:
    """A region's exception as plain data, for ``finish_regions``."""
    from dispatch.errors import DispatchError
    from dispatch.jobs.runner import Cancelled

    kind = "cancelled" if isinstance(exc, Cancelled) else "domain" if isinstance(exc, DispatchError) else "internal"
    return {"error": kind, "type": type(exc).__name__, "message": getattr(exc, "message", str(exc))}


def _failure_of(first: dict) -> Exception:
    """The exception to record for a region's failure (``_failure_record``)."""
    from dispatch.errors import DispatchError
    from dispatch.jobs.runner import Cancelled

    return (Cancelled() if first["error"] == "cancelled" else DispatchError(first["message"])
            if first["error"] == "domain" else type(first["type"], (Exception,), {})())


def _add_delivery_tasks(app: Celery, settings: Settings) -> None:
    """The webhook and donor-message outboxes' delivery rounds (scheduled by celery beat)."""

    @app.task(name=WEBHOOK_TASK_NAME, shared=False)
    def deliver_webhooks() -> dict:
        """Deliver the due webhook events of the outbox (dispatch/exchange/webhooks.py); scheduled by celery beat."""
        from dispatch.db import engine_for, session_scope
        from dispatch.exchange import deliver_with_settings

        with session_scope(engine_for(settings.database_url)) as session:
            return deliver_with_settings(session=session, settings=settings).to_dict()

    @app.task(name=MESSAGES_TASK_NAME, shared=False)
    def deliver_donor_messages() -> dict:
        """Send the donor messages that are due (dispatch/messages/outbox.py); scheduled by celery beat."""
        from dispatch.db import engine_for
        from dispatch.messages import run

        return run(engine_for(settings.database_url), settings).to_dict()


def _beat_schedule(settings: Settings) -> dict:
    schedule = {}
    if settings.webhook_delivery_interval_s > 0:
        schedule["deliver-webhooks"] = {"task": WEBHOOK_TASK_NAME, "schedule": settings.webhook_delivery_interval_s}
    if settings.messages_delivery_interval_s > 0:
        schedule["deliver-donor-messages"] = {"task": MESSAGES_TASK_NAME,
                                              "schedule": settings.messages_delivery_interval_s}
    return schedule


def _pack(obj) -> str:
    """Problems and solutions between workers: pickled (the broker is trusted like the database)."""
    return base64.b64encode(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)).decode("ascii")


def _unpack(text: str):
    return pickle.loads(base64.b64decode(text))  # noqa: S301 - written by _pack on our own workers


@lru_cache(maxsize=1)
def _worker_app() -> Celery:
    settings = get_settings()
    app = make_celery(settings)

    def preload(**_: object) -> None:
        # The road graph is loaded when the worker starts (before it logs "ready"), not by its first
        # job; prefork children inherit it.
        from dispatch.roads import get_network

        get_network(settings)

    from celery.signals import worker_init

    worker_init.connect(preload, weak=False)
    return app


def __getattr__(name: str):
    # `celery -A dispatch.jobs.celery_app worker` looks up `app` (or `celery`): built lazily from settings.
    if name in ("app", "celery"):
        return _worker_app()
    raise AttributeError(name)


class CeleryRunner:
    """The job runner of the API when ``DISPATCH_JOB_BACKEND=celery``: jobs go to the broker."""

    def __init__(self, settings: Settings) -> None:
        self._app = make_celery(settings)
        self._settings = settings
        self._results: dict = {}

    def submit(self, job_id: str) -> None:
        self._results[job_id] = self._app.send_task(TASK_NAME, args=[job_id])

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        import time

        started = time.monotonic()
        result = self._results.get(job_id)
        if result is not None:
            result.get(timeout=timeout, propagate=True)
        # A multi-region job's task returns once its regions are handed out: wait for the job itself.
        from dispatch.db import engine_for, session_scope
        from dispatch.jobs.records import ACTIVE
        from dispatch.models import PlanJob

        engine = engine_for(self._settings.database_url)
        while True:
            with session_scope(engine) as session:
                job = session.get(PlanJob, job_id)
                if job is None or job.status not in ACTIVE:
                    return
            if timeout is not None and time.monotonic() - started > timeout:
                raise TimeoutError(f"planning job {job_id} still running after {timeout} s")
            time.sleep(0.2)

    def shutdown(self) -> None:
        self._app.close()
