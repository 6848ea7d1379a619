"""The FastAPI application factory. Nothing is created at import time."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import errors, ratelimit
from api.limits import BodySizeLimit
from api.proxies import TrustedProxies
from api.pages import day as day_page, donor as donor_page, relay_point as relay_point_page, sheet as sheet_page
from api.pages import login as login_page
from api.routers import addresses as address_routes
from api.pages import week as week_page
from api.routers import week as week_routes
from api.routers import auth as auth_routes
from api.routers import data as data_routes
from api.routers import webhooks as webhook_routes
from api.routers import editing as editing_routes
from api.routers import depots as depot_routes
from api.routers import requirements as requirement_routes
from api.routers import day_live, driver, fleet, health, jobs, manifests, online_bookings, pickups, plans, relay_points
from api.pages import switchboard as switchboard_page
from dispatch.jobs import records, workers
from dispatch.jobs import runner as job_service
from api.routers import held as held_routes
from dispatch.db import engine_for, session_scope
from dispatch.jobs import ProcessRunner
from dispatch.documents import STATIC_DIR
from dispatch.roads import get_network
from dispatch.settings import Settings, get_settings

log = logging.getLogger("api.app")


def _run_job(job_id: str, *, settings: Settings) -> None:
    job_service.run_job(job_id, engine=engine_for(settings.database_url), settings=settings,
                        network=get_network(settings))


def _resume_queued(app: FastAPI, settings: Settings) -> bool:
    """Mark jobs of dead workers failed and hand the queued ones to the runner; False (logged) when the
    database cannot be reached."""
    try:
        with session_scope(engine_for(settings.database_url)) as session:
            workers.recover_interrupted(session=session)
            queued = records.queued_job_ids(session=session)
    except Exception as exc:  # noqa: BLE001 - a database that is down must not stop the API from starting
        log.warning("cannot resume the queued planning jobs: the database cannot be reached or is not ready (%s: %s); "
                    "retrying every %g s", type(exc).__name__, str(exc).splitlines()[0][:300] if str(exc) else "",
                    settings.job_resume_retry_s)
        return False
    for job_id in queued:
        app.state.job_runner.submit(job_id)
    if queued:
        log.info("resumed %d queued planning job(s)", len(queued))
    return True


def _keep_resuming(app: FastAPI, settings: Settings, stop: threading.Event) -> None:
    while not stop.wait(settings.job_resume_retry_s):
        if _resume_queued(app, settings):
            return


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    stop_retry = threading.Event()
    # With Celery, the broker holds the jobs and workers run them.
    if settings.job_backend == "inprocess" and not _resume_queued(app, settings):
        threading.Thread(target=_keep_resuming, args=(app, settings, stop_retry), name="resume-queued-jobs",
                         daemon=True).start()
    if settings.gc_freeze:
        # What is alive now (app, routes, schemas, ORM mappers) lives as long as the worker: moved out of
        # the collector's generations, it is no longer walked by every full collection.
        gc.collect()
        gc.freeze()
    if settings.geocoder == "offline":  # the address index is read in the background: the first search is quick
        from dispatch.addresses import warm_up

        threading.Thread(target=warm_up, args=(settings,), name="address-index", daemon=True).start()
    # Webhook outbox: delivered by a thread of the API with the in-process backend (dispatch/exchange/webhooks.py).
    delivery = None
    if settings.job_backend == "inprocess" and settings.webhook_delivery_interval_s > 0:
        from dispatch.exchange import DeliveryThread

        delivery = DeliveryThread(engine_for(settings.database_url), settings,
                                  interval_s=settings.webhook_delivery_interval_s)
        delivery.start()
    # Donor messages (dispatch/messages/): delivered by a thread of the API when a channel is configured.
    messages = None
    if (settings.job_backend == "inprocess" and settings.messages_delivery_interval_s > 0
            and (settings.smtp_host or settings.sms_gateway_url)):
        from dispatch.messages import MessageThread

        messages = MessageThread(engine_for(settings.database_url), settings,
                                 interval_s=settings.messages_delivery_interval_s)
        messages.start()
    yield
    if messages is not None:
        messages.stop()
    stop_retry.set()
    if settings.gc_freeze:
        gc.unfreeze()  # collectable again (several apps in one process: tests, reloads)
    if delivery is not None:
        delivery.stop()
    app.state.job_runner.shutdown()


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(
        title="Amistock dispatch API",
        version="0.1.0",
        description="Plans donation-collection rounds for relay points and home pickups over real Paris road times.",
        lifespan=_lifespan,
    )
    app.state.settings = settings = settings or get_settings()
    if settings.job_backend == "celery":
        from dispatch.jobs import CeleryRunner

        app.state.job_runner = CeleryRunner(settings)
    elif settings.job_isolation == "process":  # the embedded default: a child process, lower priority
        app.state.job_runner = ProcessRunner(partial(_run_job, settings=settings),
                                             database_url=settings.database_url, nice=settings.job_nice,
                                             sched_idle=settings.job_sched_idle)
    else:
        app.state.job_runner = workers.InProcessRunner(partial(_run_job, settings=settings))
    errors.install(app)
    ratelimit.install(app, settings)  # per-IP limits on public endpoints (api/ratelimit.py)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,  # 413 above DISPATCH_MAX_BODY_BYTES
                       larger={"/api/v1/imports": getattr(settings, "import_max_bytes", 0) + 65536})
    for module in (health, relay_points, pickups, plans, jobs):
        app.include_router(module.router)
    # Vans, crews, calendars; pickup tracking (/suivi too) and slot offers (dispatch/fleet/).
    for router in (fleet.router, depot_routes.router, requirement_routes.router, pickups.tracking, pickups.slots,
                   pickups.pages, online_bookings.router):
        app.include_router(router)
    # Human-facing pages, PDFs and the links that open them (api/pages, api/routers/driver.py, manifests.py).
    for router in (manifests.router, driver.router, driver.staff, sheet_page.router, relay_point_page.router,
                   donor_page.router, day_page.router):
        app.include_router(router)
    # Staff sign-in, accounts and audit log (api/routers/auth.py, api/pages/login.py).
    for router in (auth_routes.router, auth_routes.users, auth_routes.audit_router, login_page.router):
        app.include_router(router)
    # Data exchange: CSV imports, exports, the monthly report, webhooks (api/routers/data.py, webhooks.py).
    for router in (*data_routes.routers, webhook_routes.router):
        app.include_router(router)
    app.include_router(switchboard_page.router)  # the switchboard page /standard (api/pages/switchboard.py)
    app.include_router(address_routes.router)  # address search (geocoding), public and rate-limited
    app.include_router(editing_routes.router)  # plan editing: versions, edits, re-optimise, re-plan
    app.include_router(day_live.router)  # the day as it happens, polled by the /jour page
    app.include_router(week_routes.router)  # the week ahead (api/routers/week.py)
    app.include_router(week_page.router)  # its page, /semaine (api/pages/week.py)
    editing_routes.install(app)  # 409 with the changes since a stale version, 428 without a version
    # Crew updates the server refused, handed over and applied by the coordinator; the sheet's offline worker.
    for router in (held_routes.crew, held_routes.staff):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The client address: the TCP peer, or X-Forwarded-For from DISPATCH_TRUSTED_PROXIES only (api/proxies.py).
    app.add_middleware(TrustedProxies, trusted=settings.trusted_proxies)
    errors.document(app)  # every error a route can answer, as problem+json, in /openapi.json
    return app
