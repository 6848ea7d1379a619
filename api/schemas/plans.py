"""Pydantic schemas of a day's plan: what planning is asked (``PlanIn``) and the plan it answers (``DayOut``):
rounds and their stops at local times, what was left unassigned and why, each relay point's visit decision,
the vans left out, and the crews' working times. Built from the views of dispatch/planning/views.py."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import LocalDateTime
from dispatch.planning import DayView, RoundView, StopView, UnassignedView


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"date": "2026-12-01"}]})

    date: dt.date
    time_limit_s: float | None = Field(default=None, gt=0, le=600, description="solver time limit")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    balance: bool | None = Field(default=None, description="balance the crews' working time (fair work); "
                                 "default: the DISPATCH_BALANCE_WORK_TIME setting")


class WorkTimeOut(BaseModel):
    crew: str
    minutes: int = Field(description="first departure to last return")


class StopOut(BaseModel):
    position: int
    kind: str
    name: str
    address: str | None
    lat: float | None
    lon: float | None
    planned_arrival: LocalDateTime
    service_minutes: int
    window_start: LocalDateTime | None
    window_end: LocalDateTime | None
    expected_m3: float
    load_after_m3: float
    relay_point_id: int | None
    pickup_request_id: int | None
    stop_id: int | None = Field(default=None, description="the stop's id, used by plan edits")
    locked: bool = Field(default=False, description="kept in its round and order when the plan is re-optimised")
    requirements: dict | None = Field(default=None, description="what the stop needs of the crew and why, as "
                                      "planned: {needs: [two_people, tail_lift...], why: [{code, ...}]}")

    @classmethod
    def from_view(cls, s: StopView) -> StopOut:
        return cls(
            position=s.position, kind=s.kind, name=s.name, address=s.address, lat=s.lat, lon=s.lon,
            planned_arrival=s.planned_arrival, service_minutes=s.service_minutes, window_start=s.window_start,
            window_end=s.window_end, expected_m3=s.expected_m3, load_after_m3=s.load_after_m3,
            relay_point_id=s.relay_point_id, pickup_request_id=s.pickup_request_id,
            stop_id=s.stop_id, locked=s.locked, requirements=s.requirements,
        )


class RoundOut(BaseModel):
    id: int
    van: str
    van_capacity_m3: float
    crew: str | None
    start_at: LocalDateTime
    end_at: LocalDateTime
    distance_km: float
    duration_minutes: int
    load_m3: float
    stops: list[StopOut]
    status: str = Field(default="planned", description="planned, in_progress (first crew update) or done")
    warnings: list[dict] = Field(default_factory=list,
                                 description="hard rules broken by a forced edit: stop, rule, detail")

    @classmethod
    def from_view(cls, r: RoundView) -> RoundOut:
        return cls(
            id=r.id, van=r.van, van_capacity_m3=r.van_capacity_m3, crew=r.crew, start_at=r.start_at,
            end_at=r.end_at, distance_km=r.distance_km, duration_minutes=r.duration_minutes, load_m3=r.load_m3,
            stops=[StopOut.from_view(s) for s in r.stops], status=r.status, warnings=list(r.warnings),
        )


class UnassignedOut(BaseModel):
    kind: str
    name: str
    relay_point_id: int | None
    pickup_request_id: int | None
    mandatory: bool
    reason: str
    detail: str
    address: str | None = None
    params: dict | None = Field(default=None, description="what the reason's sentence needs (volumes, windows, "
                                "needs and why...); pages say it in the reader's language")

    @classmethod
    def from_view(cls, u: UnassignedView) -> UnassignedOut:
        return cls(**{f: getattr(u, f) for f in cls.model_fields})


class RelayPointDecisionOut(BaseModel):
    relay_point_id: int
    decision: Literal["mandatory", "optional", "skip"]
    visited: bool
    reason: str = Field(description="why it is or is not visited today, from its fill forecast")
    fill_ratio: float
    p_full_before_next_visit: float
    p_full_within_horizon: float
    next_visit_day: dt.date | None
    expected_full_date: dt.date | None
    reason_code: str | None = Field(default=None, description="availability: paused, closed, no_visit_day, "
                                    "weekly_limit (None: the forecast decided)")
    reason_fr: str | None = Field(default=None, description="the availability reason in French")


class VanOutOut(BaseModel):
    van_id: int
    van: str
    crew_id: int | None
    crew: str | None
    reason: Literal["inactive", "maintenance", "no_crew"]
    detail: str
    detail_fr: str


class DayOut(BaseModel):
    plan_id: int
    date: dt.date
    status: str
    solver_status: str
    explanation: str | None
    rounds_count: int
    stops_count: int
    distance_km: float
    load_m3: float
    time_limit_s: float
    solve_seconds: float
    matrix_seconds: float
    rounds: list[RoundOut]
    unassigned: list[UnassignedOut]
    relay_points: list[RelayPointDecisionOut]
    vans_out: list[VanOutOut] = Field(default_factory=list, description="vans not used that day and why")
    version: int = Field(default=1, description="the plan's version: send it back with every edit (If-Match)")
    balanced: bool = Field(default=False, description="the plan was asked to balance the crews' working time")
    work_times: list[WorkTimeOut] = Field(default_factory=list, description="each working crew's time")
    spread_minutes: int = Field(default=0, description="longest working day minus the shortest")

    @classmethod
    def from_view(cls, v: DayView) -> DayOut:
        return cls(
            plan_id=v.plan_id, date=v.date, status=v.status, solver_status=v.solver_status,
            explanation=v.explanation, rounds_count=len(v.rounds), stops_count=v.stop_count,
            distance_km=v.distance_km, load_m3=v.load_m3, time_limit_s=v.time_limit_s,
            solve_seconds=round(v.solve_seconds, 2), matrix_seconds=round(v.matrix_seconds, 3),
            rounds=[RoundOut.from_view(r) for r in v.rounds],
            unassigned=[UnassignedOut.from_view(u) for u in v.unassigned],
            relay_points=[RelayPointDecisionOut(**d) for d in v.relay_point_decisions],
            vans_out=[VanOutOut(**o) for o in v.vans_out],
            version=v.version, balanced=v.balanced, spread_minutes=v.spread_minutes,
            work_times=[WorkTimeOut(crew=who, minutes=m) for who, m in v.work_minutes],
        )
