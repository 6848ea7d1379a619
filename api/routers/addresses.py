"""Address search for forms and the switchboard: ``GET /api/v1/addresses`` and ``/api/v1/addresses/reverse``.

Public and rate-limited (bucket ``addresses``, ``DISPATCH_RATE_LIMIT_ADDRESSES_PER_MINUTE``). Answers come from
the configured geocoder (dispatch/addresses): the offline BAN index by default, or a BAN API server.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import SettingsDep
from api.ratelimit import rate_limited
from api.security import public
from dispatch.addresses import AddressRefused
from dispatch.addresses import MAX_ADDRESS_CHARS, check_query, get_geocoder
from dispatch.errors import InvalidInput

router = APIRouter(prefix="/api/v1/addresses", tags=["addresses"], dependencies=[public(), rate_limited("addresses")])


class AddressOut(BaseModel):
    label: str = Field(examples=["12 Rue de Belleville 75020 Paris"])
    score: float = Field(ge=0, le=1, description="1: every word typed was found", examples=[0.93])
    housenumber: str | None = Field(description="None for a street (no number typed)", examples=["12"])
    street: str = Field(examples=["Rue de Belleville"])
    postcode: str = Field(examples=["75020"])
    city: str = Field(examples=["Paris"])
    lat: float = Field(examples=[48.87])
    lon: float = Field(examples=[2.37])


class AddressResults(BaseModel):
    results: list[AddressOut]


@router.get(
    "", summary="Search addresses as they are typed (autocomplete); best first",
    description="Accents, case and hyphens are ignored; abbreviations (bd, av, r, pl, fg, st/ste, bis/ter) are "
    "understood; one typo per word is tolerated; the last word may be unfinished. Give the house number, the "
    "street and optionally the postcode. An empty query is refused (422); one with no street word (only a postcode) "
    "answers no result.",
)
async def search_addresses(
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=MAX_ADDRESS_CHARS, description="the address typed so far",
                            examples=["12 r de belleville"])],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
    lat: Annotated[float | None, Query(ge=-90, le=90, description="favour addresses near here")] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
) -> AddressResults:
    try:
        text = check_query(q)
    except AddressRefused as exc:  # the same reason, about this endpoint's parameter
        raise InvalidInput(exc.message, field="q") from None
    found = await run_in_threadpool(get_geocoder(settings).search, text, limit=limit, lat=lat, lon=lon)
    return AddressResults(results=[AddressOut(**m.to_dict()) for m in found])


@router.get("/reverse", summary="The addresses nearest to a position (within about 200 m), nearest first",
            description="No result: no address near this position (a river, a park, outside the address index).")
async def reverse_addresses(
    settings: SettingsDep,
    lat: Annotated[float, Query(ge=-90, le=90, examples=[48.8722])],
    lon: Annotated[float, Query(ge=-180, le=180, examples=[2.3770])],
    limit: Annotated[int, Query(ge=1, le=20)] = 1,
) -> AddressResults:
    found = await run_in_threadpool(get_geocoder(settings).reverse, lat, lon, limit=limit)
    return AddressResults(results=[AddressOut(**m.to_dict()) for m in found])
