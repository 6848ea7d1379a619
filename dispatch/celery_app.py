"""Planning jobs on Celery workers (Redis or RabbitMQ broker), for when one machine is not enough.

Nothing is created at import: the Celery application is built from settings on first use. Start a
worker with the same settings (database URL, road graph) as the API:

    DISPATCH_JOB_BACKEND=celery DISPATCH_CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/celery -A dispatch.celery_app worker --concurrency 2

Each task runs :func:`dispatch.jobs.run_job`, exactly as the in-process runner does, so a job's plan and
its success are stored together whatever machine runs it.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from dispatch.settings import Settings, get_settings

TASK_NAME = "dispatch.plan_job"


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

    @app.task(name=TASK_NAME)
    def plan_job(job_id: str) -> str:
        from dispatch.db import engine_for
        from dispatch.jobs import run_job
        from dispatch.network import get_network

        run_job(job_id, engine=engine_for(settings.database_url), settings=settings, network=get_network(settings))
        return job_id

    return app


@lru_cache(maxsize=1)
def _worker_app() -> Celery:
    return make_celery(get_settings())


def __getattr__(name: str):
    # `celery -A dispatch.celery_app worker` looks up `app` (or `celery`): built lazily from settings.
    if name in ("app", "celery"):
        return _worker_app()
    raise AttributeError(name)


class CeleryRunner:
    """The job runner of the API when ``DISPATCH_JOB_BACKEND=celery``: jobs go to the broker."""

    def __init__(self, settings: Settings) -> None:
        self._app = make_celery(settings)
        self._results: dict = {}

    def submit(self, job_id: str) -> None:
        self._results[job_id] = self._app.send_task(TASK_NAME, args=[job_id])

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        result = self._results.get(job_id)
        if result is not None:
            result.get(timeout=timeout, propagate=True)

    def shutdown(self) -> None:
        self._app.close()
