"""Crew updates the server refused, handed over by the sheet and applied by the coordinator
(dispatch/field/held.py); and the sheet's service worker (``/sw.js``: the sheet opens without a network)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Id, SessionDep, SettingsDep
from api.schemas.common import Instant
from api.security import Role, StaffUser, public, require
from dispatch.field import links
from dispatch.field import held as service
from dispatch.documents import STATIC_DIR

log = logging.getLogger("api.held")
crew = APIRouter(tags=["route sheet"], dependencies=[public()])
staff = APIRouter(prefix="/api/v1/held-updates", tags=["route sheet"])
EPOCH = dt.datetime(1970, 1, 2, tzinfo=dt.UTC)  # reads a link's round whatever its expiry (signature checked)


class RefusedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stop_id: int = Field(ge=1, le=2**31 - 1)
    kind: Literal["arrived", "collected", "missed"]
    idempotency_key: str = Field(min_length=8, max_length=80)
    occurred_at: dt.datetime = Field(description="when the crew made the update (the phone's clock)")
    refused_status: int = Field(ge=400, le=499, description="the status the server answered")
    refused_reason: str | None = Field(default=None, max_length=500)
    collected_m3: float | None = Field(default=None, ge=0, le=100)
    remaining_m3: float | None = Field(default=None, ge=0, le=100)
    reason: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=1000)
    link_token: str | None = Field(default=None, max_length=200, description="the link the update was made with")


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    updates: list[RefusedIn] = Field(min_length=1, max_length=service.MAX_ITEMS)


class HeldOut(BaseModel):
    id: int
    idempotency_key: str
    stop_id: int
    round_id: int | None
    kind: str
    collected_m3: float | None
    remaining_m3: float | None
    reason: str | None
    note: str | None
    occurred_at: Instant
    received_at: Instant
    refused_status: int
    refused_reason: str | None
    status: str
    applied_stop_id: int | None

    @classmethod
    def of(cls, h) -> HeldOut:
        return cls(id=h.id, idempotency_key=h.idempotency_key, stop_id=h.stop_id, round_id=h.round_id,
                   kind=h.kind.value, collected_m3=h.collected_m3, remaining_m3=h.remaining_m3, reason=h.reason,
                   note=h.note, occurred_at=h.occurred_at, received_at=h.received_at,
                   refused_status=h.refused_status, refused_reason=h.refused_reason, status=h.status,
                   applied_stop_id=h.applied_stop_id)


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stop_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                description="the stop to record it at (default: the stop it was made at)")


class AppliedOut(BaseModel):
    event_id: int
    stop_id: int
    recorded_at: Instant
    repeated: bool


def _round_of(token: str | None, settings) -> int | None:
    if not token:
        return None
    try:
        return links.round_id_from_token(token, settings=settings, now=EPOCH)
    except links.LinkInvalid as exc:  # a forged or garbled link: the update is kept, without its round
        log.info("held update: its link names no round (%s)", exc.message)
        return None


@crew.post("/r/{token}/held", summary="Hand over updates the server refused, for the coordinator to apply",
           description="Through any valid round link. Each update keeps its stop, its original time and "
           "idempotency key and the reason it was refused; a repeat of a key changes nothing.")
def hold(token: str, body: HoldIn, session: SessionDep, settings: SettingsDep) -> list[HeldOut]:
    via = links.round_id_from_token(token, settings=settings)
    items = [service.Refused(**u.model_dump(exclude={"link_token"}), round_id=_round_of(u.link_token, settings))
             for u in body.updates]
    return [HeldOut.of(h) for h in service.hold(items, via_round_id=via, session=session)]


@staff.get("", dependencies=[require(Role.COORDINATOR)], summary="Crew updates waiting for the coordinator")
def list_held(session: SessionDep,
              status: Annotated[Literal["held", "applied", "dismissed"], Query()] = "held") -> list[HeldOut]:
    return [HeldOut.of(h) for h in service.held_updates(session=session, status=status)]


@staff.post("/{held_id}/apply", summary="Record a held update at a stop, with the crew's original time and key")
def apply_held(held_id: Id, body: ApplyIn, session: SessionDep,
               user: Annotated[StaffUser, require(Role.COORDINATOR)]) -> AppliedOut:
    r = service.apply(held_id, session=session, actor=user.username, stop_id=body.stop_id)
    return AppliedOut(event_id=r.event_id, stop_id=r.stop_id, recorded_at=r.recorded_at, repeated=r.repeated)


@staff.post("/{held_id}/dismiss", summary="Set a held update aside without recording it")
def dismiss_held(held_id: Id, session: SessionDep, user: Annotated[StaffUser, require(Role.COORDINATOR)]) -> HeldOut:
    return HeldOut.of(service.dismiss(held_id, session=session, actor=user.username))


@crew.get("/sw.js", include_in_schema=False)
def service_worker() -> Response:
    """The sheet's service worker, served from the root so that it may control /r/ pages."""
    return Response((STATIC_DIR / "sw.js").read_bytes(), media_type="application/javascript",
                    headers={"Cache-Control": "no-cache"})
