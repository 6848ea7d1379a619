"""The FastAPI application factory. Nothing is created at import time."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.routers import health, pickups, plans, relay_points
from dispatch.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(
        title="Amistock dispatch API",
        version="0.1.0",
        description="Plans donation-collection rounds for relay points and home pickups over real Paris road times.",
    )
    app.state.settings = settings or get_settings()
    errors.install(app)
    for module in (health, relay_points, pickups, plans):
        app.include_router(module.router)
    return app
