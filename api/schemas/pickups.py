"""Pydantic schemas of home-pickup requests: the request (its position given, or its address looked up), the
rules' verdict with every reason and the slots offered instead, and a coordinator's override of a refusal."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dispatch.models import PickupRequest


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
        from dispatch.pickups import decision_of

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
