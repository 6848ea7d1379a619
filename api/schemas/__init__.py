"""Pydantic schemas of the HTTP API, separate from ORM and solver types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, model_validator

from dispatch.models import PickupRequest, RelayPoint, StockReport
from dispatch.planning.views import DayView, RoundView, StopView, UnassignedView


def _instant_json(value: dt.datetime) -> str:
    """A moment in time with its offset (RFC 3339): the database keeps naive UTC, so naive means UTC."""
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value.isoformat().replace("+00:00", "Z")


# A moment (when something was recorded, created, sent): UTC with its offset, e.g. "2026-11-28T20:00:48.44Z".
Instant = Annotated[dt.datetime, PlainSerializer(_instant_json, return_type=str, when_used="json"),
                    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-28T20:00:48Z"]},
                                   mode="serialization")]
# A planned time of a round: the association's local wall-clock time (DISPATCH_TIMEZONE), without an offset.
LocalDateTime = Annotated[dt.datetime, WithJsonSchema({
    "type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
    "description": "local time of the association (DISPATCH_TIMEZONE, Europe/Paris), without an offset",
    "examples": ["2026-12-01T08:00:00"]}, mode="serialization")]


class Problem(BaseModel):
    """RFC 9457 problem details, with the field at fault when there is one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[dict] | None = None


class OpeningHours(BaseModel):
    days: list[int] = Field(description="weekdays, Monday = 0")
    open: str = Field(examples=["09:30"])
    close: str = Field(examples=["19:00"])


class RelayPointOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    address: str
    postcode: str
    arrondissement: int | None
    lat: float
    lon: float
    capacity_m3: float
    stock_m3: float
    fill_pct: float
    full: bool
    daily_rate_m3: float
    active: bool
    opening_hours: list[OpeningHours]
    access_notes: str | None
    stock_updated_at: Instant | None

    @classmethod
    def from_orm_obj(cls, rp: RelayPoint) -> RelayPointOut:
        return cls(
            id=rp.id, code=rp.code, name=rp.name, kind=rp.kind.value, address=rp.address, postcode=rp.postcode,
            arrondissement=rp.arrondissement, lat=rp.lat, lon=rp.lon, capacity_m3=rp.capacity_m3,
            stock_m3=round(rp.stock_m3, 3), fill_pct=round(100 * rp.fill_ratio, 1), full=rp.full,
            daily_rate_m3=rp.daily_rate_m3, active=rp.active,
            opening_hours=[OpeningHours(**o) for o in rp.opening_hours or []],
            access_notes=rp.access_notes, stock_updated_at=rp.stock_updated_at,
        )


class RelayPointPage(BaseModel):
    items: list[RelayPointOut]
    total: int
    limit: int
    offset: int


class NearbyRelayPointOut(BaseModel):
    relay_point: RelayPointOut
    road_distance_m: int
    walking_minutes: int


class ForecastOut(BaseModel):
    rate_m3_per_day: float
    rate_sd: float
    rate_95: list[float]
    weekday_factors: dict[str, float]
    stock_m3: float = Field(description="expected stock today")
    fill_ratio: float
    expected_full_date: dt.date | None = Field(description="first day with p(full) >= 0.5")
    p_full_by: dict[str, float] = Field(description="probability of being full by the end of each day")
    cold_start: bool = Field(description="no usable reports yet: the rate comes from similar relay points")
    n_observations: int


class FillReportIn(BaseModel):
    """Exactly one of ``level_pct``, ``stock_m3`` or ``full: true``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"full": True}, {"level_pct": 60}, {"stock_m3": 0.4, "note": "après-midi"}]},
    )

    level_pct: float | None = Field(default=None, ge=0, le=100)
    stock_m3: float | None = Field(default=None, ge=0, le=1000)
    full: bool = False
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _exactly_one(self) -> FillReportIn:
        given = [n for n in ("level_pct", "stock_m3") if getattr(self, n) is not None] + (["full"] if self.full else [])
        if len(given) != 1:
            raise ValueError(
                "give exactly one of level_pct (0-100), stock_m3 or full=true"
                + (f"; got {', '.join(given)}" if given else "; got none")
            )
        return self


class FillReportOut(BaseModel):
    id: int
    relay_point_id: int
    reported_at: Instant
    source: str
    level_pct: float | None
    stock_m3: float
    full: bool
    note: str | None

    @classmethod
    def from_orm_obj(cls, r: StockReport) -> FillReportOut:
        return cls(
            id=r.id, relay_point_id=r.relay_point_id, reported_at=r.reported_at, source=r.source.value,
            level_pct=r.level_pct, stock_m3=round(r.stock_m3, 3), full=r.full, note=r.note,
        )


class PickupIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "donor_name": "Mme Durand", "phone": "06 12 34 56 78",
                    "address": "12 rue de Belleville, 75020 Paris", "postcode": "75020",
                    "lat": 48.8721, "lon": 2.3770, "volume_m3": 3.5, "date": "2026-12-02", "slot": "morning",
                    "categories": ["furniture", "books"], "floor": 3, "has_lift": False, "access_code": "4521B",
                }
            ]
        },
    )

    donor_name: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=6, max_length=40, pattern=r"^[0-9+ ().-]+$")
    address: str = Field(min_length=3, max_length=300, description="with `lat`/`lon` left out, the address is "
                         "looked up (GET /api/v1/addresses) and must be found, with its number, in the served zone")
    postcode: str | None = Field(default=None, pattern=r"^[0-9]{5}$", description="default: the address's")
    lat: float | None = Field(default=None, ge=-90, le=90, description="both or neither of lat/lon")
    lon: float | None = Field(default=None, ge=-180, le=180)
    volume_m3: float = Field(gt=0, le=100, description="estimated volume; home pickups start at 2 m³")
    date: dt.date
    slot: Literal["morning", "afternoon"]
    categories: list[Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]] = Field(
        default_factory=list, max_length=20, description="e.g. furniture, books, textile; the rules say which are taken"
    )
    floor: int | None = Field(default=None, ge=-5, le=60)
    has_lift: bool | None = None
    access_code: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=2000)
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                              description="for the donor's messages (confirmation, visit window...)")
    lang: Literal["fr", "en"] = Field(default="fr", description="the language of the donor's messages")
    messages_opt_out: bool = Field(default=False, description="the donor wants no e-mail or SMS")

    @model_validator(mode="after")
    def _position_pair(self) -> PickupIn:
        return both_or_neither(self)


def both_or_neither(model: BaseModel) -> BaseModel:
    """``lat`` and ``lon`` come together, or neither comes (the address is then looked up)."""
    if (model.lat is None) != (model.lon is None):  # type: ignore[attr-defined]
        raise ValueError("give both lat and lon, or neither (the address is then looked up)")
    return model


class ReasonOut(BaseModel):
    code: str = Field(examples=["volume_below_minimum"])
    field: str = Field(examples=["volume_m3"])
    message: str


class SlotOut(BaseModel):
    date: dt.date
    slot: str


class PickupOut(BaseModel):
    id: int
    ref: str
    status: str
    reasons: list[ReasonOut] = Field(description="every reason of a refusal (kept after an override)")
    alternatives: list[SlotOut] = Field(description="bookable slots to offer when the date or slot was refused: "
                                        "checked by trial insertion into the days' plans (calendar only for "
                                        "days not planned yet)")
    overridden_by: str | None
    override_reason: str | None
    date: dt.date
    slot: str
    volume_m3: float
    categories: list[str]
    address: str
    lat: float
    lon: float
    donor_name: str
    phone: str

    @classmethod
    def from_orm_obj(cls, p: PickupRequest, lang: str = "en") -> PickupOut:
        from dispatch.pickups.requests import decision_of

        decision = decision_of(p)
        reasons = [ReasonOut(code=r.code, field=r.field, message=r.message(lang)) for r in decision.reasons] if decision else []
        alternatives = [SlotOut(date=d, slot=s) for d, s in decision.alternatives] if decision else []
        return cls(
            id=p.id, ref=p.ref, status=p.status.value, reasons=reasons, alternatives=alternatives,
            overridden_by=p.overridden_by, override_reason=p.override_reason,
            date=p.date, slot=p.slot.value, volume_m3=p.volume_m3, categories=list(p.categories or []),
            address=p.address, lat=p.lat, lon=p.lon, donor_name=p.donor_name, phone=p.phone,
        )


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"reason": "Donatrice âgée, 1,8 m³ de livres : accord de la responsable",
                      "note": "au téléphone avec Mme Durand"}]})

    reason: str = Field(min_length=5, max_length=1000)
    note: str | None = Field(default=None, max_length=200,
                             description="free text kept beside the reason; who overrides is the signed-in account")
    by: str | None = Field(default=None, max_length=100, description="deprecated: kept as a note only (who "
                           "overrides is always the signed-in account, never what the client writes)")


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"date": "2026-12-01"}]})

    date: dt.date
    time_limit_s: float | None = Field(default=None, gt=0, le=600, description="solver time limit")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


class PlanJobIn(PlanIn):
    """A planning job: a day, optionally only some regions (``Depot.region``; default: all)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"date": "2026-12-01"}, {"date": "2026-12-01", "regions": ["north", "south"]}]})

    regions: list[str] | None = Field(default=None, min_length=1, max_length=100,
                                      description="plan only these regions (one Celery task each); default all")


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

    @classmethod
    def from_view(cls, s: StopView) -> StopOut:
        return cls(
            position=s.position, kind=s.kind, name=s.name, address=s.address, lat=s.lat, lon=s.lon,
            planned_arrival=s.planned_arrival, service_minutes=s.service_minutes, window_start=s.window_start,
            window_end=s.window_end, expected_m3=s.expected_m3, load_after_m3=s.load_after_m3,
            relay_point_id=s.relay_point_id, pickup_request_id=s.pickup_request_id,
            stop_id=s.stop_id, locked=s.locked,
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
            version=v.version,
        )


class JobOut(BaseModel):
    id: str
    date: dt.date
    status: str
    phase: str
    time_limit_s: float
    created_at: Instant
    started_at: Instant | None
    finished_at: Instant | None
    elapsed_s: float | None
    best_cost: int | None
    error: str | None
    plan: DayOut | None
    # Scale: the regions planned (None: all) and live progress while running: best cost so far,
    # improving solutions found, solver seconds, per region.
    regions: list[str] | None = None
    progress: dict | None = None
    # Edit jobs: `plan` (plan a day), `reoptimise` (a draft), `replan` (mid-day re-plan of a published plan).
    kind: str = Field(default="plan", description="plan | reoptimise | replan")
    plan_id: int | None = Field(default=None, description="the plan an edit job works on (or the plan made)")
    plan_version: int | None = Field(default=None, description="the version an edit job writes onto, and only onto")
    conflict: dict | None = Field(default=None, description="a failed edit job: the plan's `current_version` and "
                                  "the `changes` made meanwhile (nothing was written)")
    links: dict[str, str] = Field(default_factory=dict, description="`self` (poll), `cancel` (DELETE), `plan`")

    @classmethod
    def from_orm_obj(cls, job, plan: DayOut | None) -> JobOut:
        end = job.finished_at
        elapsed = None
        if job.started_at is not None:
            from dispatch.models import utcnow

            elapsed = round(((end or utcnow()) - job.started_at).total_seconds(), 2)
        progress = getattr(job, "progress", None)
        poll = f"/api/v1/plan-jobs/{job.id}"
        links = {"self": poll, "cancel": poll}
        if job.plan_id is not None:
            links["plan"] = f"/api/v1/plans/{job.plan_id}"
        return cls(
            id=job.id, date=job.date, status=job.status.value, phase=job.phase, time_limit_s=job.time_limit_s,
            created_at=job.created_at, started_at=job.started_at, finished_at=end, elapsed_s=elapsed,
            best_cost=job.best_cost, error=job.error, plan=plan,
            regions=getattr(job, "regions", None), progress=progress,
            kind=getattr(job, "kind", None) or "plan", plan_id=job.plan_id,
            plan_version=getattr(job, "plan_version", None),
            conflict=(progress or {}).get("conflict"), links=links,
        )


class JobAccepted(BaseModel):
    """The answer to a job's start (202): the job, and where to poll it (also in ``Location``)."""

    job: JobOut
    poll: str


# --- Data exchange: imports, monthly report, webhooks ---


class ImportColumnOut(BaseModel):
    name: str
    required: bool
    description: str
    aliases: list[str] = Field(description="other accepted header names (French, accents and case ignored)")


class ImportOut(BaseModel):
    kind: Literal["relay_points", "pickups"]
    dry_run: bool = Field(description="true: checked only, nothing stored")
    rows: int
    created: int
    updated: int
    encoding: str = Field(description="how the file was decoded: utf-8, utf-8-sig (BOM), utf-16, cp1252, latin-1")
    delimiter: str
    ignored_columns: list[str] = Field(description="header columns that are not documented (not imported)")
    refs: list[str] = Field(description="pickups: the references of the requests created")


class ReportVolumeRow(BaseModel):
    m3: float
    reported_m3: float = Field(description="collected m³ as reported by crews")
    planned_m3: float = Field(description="expected m³ of planned stops with no outcome reported")
    stops: int


class ReportArrondissementRow(ReportVolumeRow):
    arrondissement: str = Field(description="75001-75020, or a neighbouring commune's postcode")


class ReportKindRow(ReportVolumeRow):
    kind: str = Field(description="the relay point's kind, or home_pickup")


class MonthlyReportOut(BaseModel):
    month: str
    published_plans: int
    days: list[dt.date]
    rounds: int
    volume_m3: dict[str, float] = Field(description="total, reported and planned parts")
    volume_by_arrondissement: list[ReportArrondissementRow]
    volume_by_kind: list[ReportKindRow]
    km_driven: dict[str, float | str]
    crew_hours: dict[str, float | str]
    relay_point_visits: dict[str, int | str]
    pickups: dict[str, int | str]
    missed_reasons: dict[str, int]
    sources: dict[str, str]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": "https://example.org/hooks/amistock", "events": ["plan.published", "pickup.scheduled"],
         "description": "SMS reminders to donors"}]})

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL receiving JSON POSTs")
    events: list[Literal["plan.published", "pickup.scheduled", "relay_point.visit_planned"]] = Field(
        min_length=1, max_length=3)
    description: str | None = Field(default=None, max_length=200)


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: Instant

    @classmethod
    def from_orm_obj(cls, sub) -> WebhookOut:
        return cls(id=sub.id, url=sub.url, events=list(sub.events or []), description=sub.description,
                   active=sub.active, created_at=sub.created_at)


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="signs every delivery (HMAC-SHA256); shown only once: keep it now")


class WebhookDeliveryOut(BaseModel):
    id: int
    event: str
    status: str
    attempts: int
    next_attempt_at: Instant
    last_attempt_at: Instant | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: Instant | None
    payload: dict

    @classmethod
    def from_orm_obj(cls, d) -> WebhookDeliveryOut:
        return cls(id=d.id, event=d.event, status=d.status.value, attempts=d.attempts,
                   next_attempt_at=d.next_attempt_at, last_attempt_at=d.last_attempt_at,
                   last_status_code=d.last_status_code, last_error=d.last_error, delivered_at=d.delivered_at,
                   payload=d.payload)
