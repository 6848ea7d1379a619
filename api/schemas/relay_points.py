"""Pydantic schemas of relay points: the relay point as the API shows it, a page of them, the nearest ones by
road, a fill forecast, and the fill reports (one of level, stock or full) with what was stored."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Instant
from dispatch.models import RelayPoint, StockReport


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
