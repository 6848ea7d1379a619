"""Request-scoped dependencies: settings, one database session per request, the road network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from dispatch.db import engine_for, session_scope
from dispatch.network import get_network
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings


async def get_settings(request: Request) -> Settings:  # async: no thread-pool hop for a lookup
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """The one place where a request's unit of work is committed or rolled back."""
    settings: Settings = request.app.state.settings
    with session_scope(engine_for(settings.database_url)) as session:
        yield session


def road_network(settings: Annotated[Settings, Depends(get_settings)]) -> RoadNetwork:
    return get_network(settings)


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": commit happens when the endpoint returns, before the response is sent,
# so a failed commit becomes an error response instead of a silently lost write.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
NetworkDep = Annotated[RoadNetwork, Depends(road_network)]
# Database ids: a number out of range is a 422, never an overflow deep in the driver.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
