"""The coordinator's edits of a plan: versions (If-Match), lock/move/drop/insert, re-optimise, re-plan.

Every edit names the plan version its author saw (``If-Match: "3"`` or ``"version": 3`` in the body);
a stale version is answered 409 with the current version and the changes made since. Re-optimise and
re-plan start a job (202, polled at ``/api/v1/plan-jobs/{id}``) that writes only onto that version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Id, NetworkDep, SessionDep, SettingsDep
from api.errors import PROBLEM_JSON
from api.routers import jobs as job_routes
from api.schemas.common import Instant
from api.schemas.jobs import JobAccepted
from api.schemas.plans import DayOut
from api.security import Role, StaffUser, require
from dispatch.planning import editing, replan_preview, resolve, versions
from dispatch.planning import replan as replanning
from dispatch.jobs import records as jobs
from dispatch.errors import Conflict, InvalidInput
from dispatch.planning import plan_view

router = APIRouter(prefix="/api/v1/plans", tags=["plan editing"])

Coordinator = Annotated[StaffUser, require(Role.COORDINATOR)]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='the plan version you saw, e.g. "3"')]


class _Versioned(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1, le=2_147_483_647,
                                description="the plan version you saw (or send If-Match)")


class LockIn(_Versioned):
    locked: bool = Field(default=True, description="true: keep this stop in its round and order at re-optimisation")


class MoveIn(_Versioned):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 2, "round_id": 7, "position": 1}]})

    round_id: int = Field(ge=1, le=2_147_483_647)
    position: int | None = Field(default=None, ge=1, le=1000,
                                 description="1-based rank among the round's visits; none: last")
    force: bool = Field(default=False, description="apply even if a hard rule breaks (kept as round warnings)")


class DropIn(_Versioned):
    force: bool = Field(default=False, description="needed to drop a mandatory visit (recorded)")


class InsertIn(_Versioned):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 2, "relay_point_id": 12}]})

    relay_point_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    pickup_request_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    round_id: int | None = Field(default=None, ge=1, le=2_147_483_647, description="none: the cheapest round")
    position: int | None = Field(default=None, ge=1, le=1000,
                                 description="1-based rank among the round's visits; none: the cheapest feasible")
    force: bool = False


class ReoptimiseIn(_Versioned):
    time_limit_s: float | None = Field(default=None, gt=0, le=resolve.MAX_REOPTIMISE_S)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


class VanPositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    round_id: int = Field(ge=1, le=2_147_483_647)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ReplanIn(_Versioned):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"version": 3, "at": "11:30", "positions": [{"round_id": 7, "lat": 48.871, "lon": 2.377}]}]})

    at: dt.time | None = Field(default=None, description="time of day to re-plan from; default: now (local time)")
    positions: list[VanPositionIn] = Field(default_factory=list, max_length=100,
                                           description="where vans are now; default: their last reported stop")
    time_limit_s: float | None = Field(default=None, gt=0, le=resolve.MAX_REOPTIMISE_S)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    preview: bool = Field(default=True, description="true (default): the job computes the re-plan and its "
                          "differences, writes nothing; apply it with POST .../replan/{job_id}/apply")
    drop: list[str] = Field(default_factory=list, max_length=200,
                            description="references (PU-...) of booked home pickups to leave out of the rounds")


class ApplyIn(_Versioned):
    pass


class ChangeOut(BaseModel):
    version: int
    at: Instant
    actor: str
    op: str
    detail: dict


def requested_version(if_match: str | None, body: _Versioned | None) -> int | None:
    if body is not None and body.version is not None:
        return body.version
    if if_match is None:
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or not 1 <= int(raw) <= 2_147_483_647:
        raise InvalidInput(f'If-Match must be a plan version such as "3", got {if_match!r}',
                                   field="If-Match")
    return int(raw)


def _problem(status: int, title: str, exc: InvalidInput | Conflict, **extra) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": exc.message, "field": exc.field,
            **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def install(app: FastAPI) -> None:
    """Problem details of a stale version (409, with the changes since) and of a missing one (428)."""

    @app.exception_handler(versions.StaleVersion)
    async def _stale(_: Request, exc: versions.StaleVersion) -> JSONResponse:
        return _problem(409, "Conflict", exc, current_version=exc.current_version, changes=exc.changes)

    @app.exception_handler(editing.RuleBroken)
    async def _broken(_: Request, exc: editing.RuleBroken) -> JSONResponse:
        return _problem(422, "Unprocessable Entity", exc, violations=exc.violations)

    @app.exception_handler(versions.VersionRequired)
    async def _required(_: Request, exc: versions.VersionRequired) -> JSONResponse:
        return _problem(428, "Precondition required", exc)


DryRun = Annotated[bool, Query(description="true: answer the plan as the edit would leave it (km, times, "
                                            "warnings) and change nothing")]


def _edit(response: Response, action: Callable[[], object], *, session=None, dry_run: bool = False) -> DayOut:
    """Apply the edit; with ``dry_run``, inside a savepoint rolled back once the answer is built (the plan,
    its version and its change log are left exactly as they were)."""
    if not dry_run:
        plan = action()
        response.headers["ETag"] = f'"{plan.version}"'
        return DayOut.from_view(plan_view(plan))
    nested = session.begin_nested()
    try:
        plan = action()
        out = DayOut.from_view(plan_view(plan))
    finally:
        nested.rollback()
    session.expire_all()
    response.headers["X-Dry-Run"] = "true"
    return out


_RESPONSES = {
    409: {"description": "stale version (with `current_version` and `changes` since), or a published plan"},
    422: {"description": "the edit breaks a hard rule (named) and force was not given, or bad input"},
    428: {"description": "no version given: send If-Match or `version`"},
}


@router.get("/{plan_id}/changes", summary="The plan's changes after version `since` (who, when, what)")
def get_changes(plan_id: Id, session: SessionDep, _user: Coordinator,
                since: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0) -> list[ChangeOut]:
    return [ChangeOut(**versions.change_dict(c)) for c in versions.changes_since(plan_id, since, session=session)]


@router.post("/{plan_id}/stops/{stop_id}/lock", responses=_RESPONSES,
             summary="Lock (or with locked=false unlock) a stop: it keeps its round and order at re-optimisation")
def lock_stop(plan_id: Id, stop_id: Id, body: LockIn, response: Response, session: SessionDep,
              user: Coordinator, if_match: IfMatch = None, dry_run: DryRun = False) -> DayOut:
    return _edit(response, lambda: editing.set_locked(plan_id, stop_id, body.locked, session=session,
                                                      version=requested_version(if_match, body), actor=user.username),
                 session=session, dry_run=dry_run)


@router.post("/{plan_id}/stops/{stop_id}/move", responses=_RESPONSES,
             summary="Move a stop to another round and/or position; the rounds are re-timed and checked")
def move_stop(plan_id: Id, stop_id: Id, body: MoveIn, response: Response, session: SessionDep,
              settings: SettingsDep, network: NetworkDep, user: Coordinator, if_match: IfMatch = None,
              dry_run: DryRun = False) -> DayOut:
    return _edit(response, lambda: editing.move_stop(
        plan_id, stop_id, body.round_id, body.position, settings, network, session=session,
        version=requested_version(if_match, body), actor=user.username, force=body.force), session=session, dry_run=dry_run)


@router.post("/{plan_id}/stops/{stop_id}/drop", responses=_RESPONSES,
             summary="Drop a stop: it goes to the unassigned list (reason `dropped`); mandatory ones need force")
def drop_stop(plan_id: Id, stop_id: Id, body: DropIn, response: Response, session: SessionDep,
              settings: SettingsDep, network: NetworkDep, user: Coordinator, if_match: IfMatch = None,
              dry_run: DryRun = False) -> DayOut:
    return _edit(response, lambda: editing.drop_stop(
        plan_id, stop_id, settings, network, session=session, version=requested_version(if_match, body),
        actor=user.username, force=body.force), session=session, dry_run=dry_run)


@router.post("/{plan_id}/visits", responses=_RESPONSES,
             summary="Insert a relay point or an accepted home pickup into a round (default: the cheapest place)")
def insert_visit(plan_id: Id, body: InsertIn, response: Response, session: SessionDep, settings: SettingsDep,
                 network: NetworkDep, user: Coordinator, if_match: IfMatch = None, dry_run: DryRun = False) -> DayOut:
    return _edit(response, lambda: editing.insert_visit(
        plan_id, settings, network, session=session, version=requested_version(if_match, body), actor=user.username,
        relay_point_id=body.relay_point_id, pickup_request_id=body.pickup_request_id, round_id=body.round_id,
        position=body.position, force=body.force), session=session, dry_run=dry_run)


_JOB_RESPONSES = {
    202: {"description": "the job: poll `GET /api/v1/plan-jobs/{id}` (also in `Location`) until it has succeeded "
                         "(then its `plan`) or failed (`error`; `conflict` when the plan was edited meanwhile: "
                         "nothing was written)"},
    409: {"description": "stale version (with `current_version` and `changes` since), a plan of the wrong status, "
                         "or another job of that day still running"},
    422: {"description": "bad input, naming the field"},
    428: {"description": "no version given: send If-Match or `version`"},
}


@router.post("/{plan_id}/reoptimise", responses=_JOB_RESPONSES, status_code=202,
             summary="Start re-solving a draft as a job: locked stops keep round and order, dropped visits stay out")
def reoptimise(plan_id: Id, body: ReoptimiseIn, request: Request, response: Response, background: BackgroundTasks,
               session: SessionDep, settings: SettingsDep, user: Coordinator,
               if_match: IfMatch = None) -> JobAccepted:
    plan = versions.open_plan(plan_id, requested_version(if_match, body), session=session)
    job = jobs.create_edit_job("reoptimise", plan, session=session, actor=user.username, seed=body.seed,
                               time_limit_s=resolve.edit_time_limit(settings, body.time_limit_s))
    return job_routes.accepted(job, request, response, background)


@router.post("/{plan_id}/replan", responses=_JOB_RESPONSES, status_code=202,
             summary="Start a mid-day re-plan of a published plan as a job, from the vans' positions, time and loads")
def replan(plan_id: Id, body: ReplanIn, request: Request, response: Response, background: BackgroundTasks,
           session: SessionDep, settings: SettingsDep, network: NetworkDep, user: Coordinator,
           if_match: IfMatch = None) -> JobAccepted:
    # "now" is fixed when asked, not when a worker gets to it.
    at_s = replanning.now_seconds(settings) if body.at is None else (
        body.at.hour * 3600 + body.at.minute * 60 + body.at.second)
    positions = [replanning.VanPosition(p.round_id, p.lat, p.lon) for p in body.positions]
    plan = replanning.check_replan(plan_id, settings, network, session=session, version=requested_version(if_match, body),
                                at_s=at_s, positions=positions, time_limit_s=body.time_limit_s)
    drop = replan_preview.drop_keys(body.drop, plan, session=session)
    job = jobs.create_edit_job("replan", plan, session=session, actor=user.username, seed=body.seed,
                               time_limit_s=resolve.edit_time_limit(settings, body.time_limit_s),
                               params={"at_s": at_s, "positions": [vars(p) for p in positions],
                                       "preview": body.preview, "drop": drop})
    return job_routes.accepted(job, request, response, background)


@router.post("/{plan_id}/replan/{job_id}/apply", responses=_RESPONSES,
             summary="Apply a previewed mid-day re-plan (as shown) as a new version of the plan")
def apply_replan(plan_id: Id, job_id: str, body: ApplyIn, response: Response, session: SessionDep,
                 settings: SettingsDep, network: NetworkDep, user: Coordinator, if_match: IfMatch = None) -> DayOut:
    return _edit(response, lambda: replan_preview.apply(job_id, plan_id, requested_version(if_match, body), settings,
                                                        network, session=session, actor=user.username))
