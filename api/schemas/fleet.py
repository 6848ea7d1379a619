"""Pydantic schemas of the availability API: relay-point edits and closures, vans, crews and their
calendars, pickup tracking and slot offers (see dispatch/fleet/ and dispatch/pickups/slots.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Instant
from api.schemas.pickups import both_or_neither
from api.schemas.relay_points import OpeningHours, RelayPointOut
from dispatch.fleet import MIN_RELAY_CAPACITY_M3
from dispatch.fleet import MIN_VAN_CAPACITY_M3, minutes_hhmm
from dispatch.models import CREW_DEFAULTS, Crew, RelayPoint, Van

Weekday = Annotated[int, Field(ge=0, le=6)]
HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$", examples=["08:00"])]
Reason = Annotated[str, Field(min_length=1, max_length=300)]


class RelayPointAdminOut(RelayPointOut):
    """A relay point with its availability settings."""

    paused: bool
    pause_reason: str | None
    no_visit_weekdays: list[int]
    max_visits_per_week: int | None
    contact_name: str | None
    contact_phone: str | None

    @classmethod
    def from_orm_obj(cls, rp: RelayPoint) -> RelayPointAdminOut:
        base = RelayPointOut.from_orm_obj(rp).model_dump()
        return cls(**base, paused=bool(rp.paused), pause_reason=rp.pause_reason,
                   no_visit_weekdays=list(rp.no_visit_weekdays or []), max_visits_per_week=rp.max_visits_per_week,
                   contact_name=rp.contact_name, contact_phone=rp.contact_phone)


class RelayPointPatch(BaseModel):
    """Only the fields sent are changed. ``paused: true`` needs a ``pause_reason``; ``paused: false`` clears it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"paused": True, "pause_reason": "travaux dans la boutique"},
        {"opening_hours": [{"days": [1, 2, 3, 4, 5], "open": "10:00", "close": "19:00"}], "max_visits_per_week": 2},
    ]})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, min_length=3, max_length=300)
    postcode: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    capacity_m3: float | None = Field(default=None, ge=MIN_RELAY_CAPACITY_M3, le=100)
    daily_rate_m3: float | None = Field(default=None, ge=0, le=100)
    opening_hours: list[OpeningHours] | None = None
    access_notes: str | None = Field(default=None, max_length=2000)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+ ().-]*$")
    active: bool | None = None
    paused: bool | None = None
    pause_reason: str | None = Field(default=None, max_length=1000)
    no_visit_weekdays: list[Weekday] | None = Field(default=None, description="weekdays without visits, Monday = 0")
    max_visits_per_week: int | None = Field(default=None, ge=1, le=7, description="per ISO week; null: no limit")


class RelayPointIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "AMI-75019-09", "name": "Librairie des Flandres", "kind": "shop",
        "address": "12 avenue de Flandre, 75019 Paris", "postcode": "75019", "lat": 48.8867, "lon": 2.3720,
        "capacity_m3": 1.5, "opening_hours": [{"days": [1, 2, 3, 4, 5, 6], "open": "10:00", "close": "19:00"}],
    }]})

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["town_hall", "library", "shop", "company", "association", "home"] = "shop"
    address: str = Field(min_length=3, max_length=300, description="with `lat`/`lon` left out, the address is "
                         "looked up (GET /api/v1/addresses) and must be found, with its number, in the served zone")
    postcode: str | None = Field(default=None, pattern=r"^[0-9]{5}$", description="default: the address's")
    arrondissement: int | None = Field(default=None, ge=1, le=20)
    lat: float | None = Field(default=None, ge=-90, le=90, description="both or neither of lat/lon")
    lon: float | None = Field(default=None, ge=-180, le=180)
    capacity_m3: float = Field(ge=MIN_RELAY_CAPACITY_M3, le=100)
    daily_rate_m3: float = Field(default=0.1, ge=0, le=100)
    opening_hours: list[OpeningHours] = Field(default_factory=list)
    access_notes: str | None = Field(default=None, max_length=2000)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+ ().-]*$")
    no_visit_weekdays: list[Weekday] = Field(default_factory=list)
    max_visits_per_week: int | None = Field(default=None, ge=1, le=7)
    paused: bool = False
    pause_reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _position_pair(self) -> RelayPointIn:
        return both_or_neither(self)


class DateRangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"start_date": "2026-12-21", "end_date": "2027-01-03", "reason": "congés de fin d'année"}]})

    start_date: dt.date
    end_date: dt.date
    reason: Reason


class DateRangeOut(BaseModel):
    id: int
    start_date: dt.date
    end_date: dt.date
    reason: str
    created_at: Instant

    @classmethod
    def from_orm_obj(cls, r) -> DateRangeOut:
        return cls(id=r.id, start_date=r.start_date, end_date=r.end_date, reason=r.reason, created_at=r.created_at)


class VanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Camion 4", "plate": "GH-123-JK", "capacity_m3": 20, "skills": ["tail_lift"]}]})

    name: str = Field(min_length=1, max_length=100)
    plate: str | None = Field(default=None, max_length=20)
    capacity_m3: float = Field(ge=MIN_VAN_CAPACITY_M3, le=100)
    depot_id: int | None = Field(default=None, ge=1, le=2_147_483_647, description="default: the first depot")
    skills: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(default_factory=list, max_length=20)
    active: bool = True


class VanPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    plate: str | None = Field(default=None, max_length=20)
    capacity_m3: float | None = Field(default=None, ge=MIN_VAN_CAPACITY_M3, le=100)
    depot_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    skills: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(default=None, max_length=20)
    active: bool | None = None


class VanOut(BaseModel):
    id: int
    name: str
    plate: str | None
    capacity_m3: float
    depot_id: int
    skills: list[str]
    active: bool

    @classmethod
    def from_orm_obj(cls, v: Van) -> VanOut:
        return cls(id=v.id, name=v.name, plate=v.plate, capacity_m3=v.capacity_m3, depot_id=v.depot_id,
                   skills=list(v.skills or []), active=v.active)


class CrewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Équipe D", "members": ["Karim", "Sophie"], "van_id": 1, "shift_start": "08:00",
         "shift_end": "16:00", "break_minutes": 45, "break_earliest": "11:30", "break_latest": "13:30"}]})

    name: str = Field(min_length=1, max_length=100)
    members: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list, max_length=10)
    van_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    shift_start: HHMM = minutes_hhmm(CREW_DEFAULTS["shift_start_min"])
    shift_end: HHMM = minutes_hhmm(CREW_DEFAULTS["shift_end_min"])
    break_minutes: int = Field(default=CREW_DEFAULTS["break_minutes"], ge=0, le=180)
    break_earliest: HHMM = minutes_hhmm(CREW_DEFAULTS["break_earliest_min"])
    break_latest: HHMM = minutes_hhmm(CREW_DEFAULTS["break_latest_min"])
    active: bool = True


class CrewPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    members: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(default=None, max_length=10)
    van_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    shift_start: HHMM | None = None
    shift_end: HHMM | None = None
    break_minutes: int | None = Field(default=None, ge=0, le=180)
    break_earliest: HHMM | None = None
    break_latest: HHMM | None = None
    active: bool | None = None


class CrewOut(BaseModel):
    id: int
    name: str
    members: list[str]
    van_id: int | None
    shift_start: str
    shift_end: str
    break_minutes: int
    break_earliest: str
    break_latest: str
    active: bool

    @classmethod
    def from_orm_obj(cls, c: Crew) -> CrewOut:
        return cls(id=c.id, name=c.name, members=list(c.members or []), van_id=c.van_id,
                   shift_start=minutes_hhmm(c.shift_start_min), shift_end=minutes_hhmm(c.shift_end_min),
                   break_minutes=c.break_minutes, break_earliest=minutes_hhmm(c.break_earliest_min),
                   break_latest=minutes_hhmm(c.break_latest_min), active=c.active)


class TrackingEventOut(BaseModel):
    at: Instant
    status: str
    date: dt.date | None
    slot: str | None
    text_fr: str
    text_en: str


class TrackingOut(BaseModel):
    """What a donor may see of a request: no name, address, phone or notes."""

    ref: str
    date: dt.date
    slot: str
    status: Literal["requested", "accepted", "refused", "scheduled", "collected", "missed", "cancelled"]
    rescheduled: bool = Field(description="the pickup was moved after a missed visit")
    status_text_fr: str
    status_text_en: str
    history: list[TrackingEventOut]


class PickupEventOut(BaseModel):
    at: Instant
    status: str
    date: dt.date | None
    slot: str | None
    detail: str | None


class SlotOfferOut(BaseModel):
    date: dt.date
    slot: Literal["morning", "afternoon"]
    available: bool
    checked: Literal["insertion", "rules_only", "rules"] = Field(
        description="insertion: tried in the day's plan; rules_only: no plan yet, the rules and the booked "
        "capacity were checked; rules: refused by the collection rules")
    reason: str | None = Field(description="why not: a rules code (date_too_soon, day_full, slot_full...) or "
                               "no_room_in_plan")
    detail: str | None
    extra_minutes: float | None = Field(description="extra minutes of the round's day with the best insertion")
    extra_km: float | None = Field(description="extra kilometres of the best insertion")
    plan_id: int | None
    round_id: int | None
