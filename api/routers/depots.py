"""Depots: list, add, change (name, address, position, opening hours, region) and the vans based there.

Vans are attached to a depot with ``PATCH /api/v1/vans/{id}`` ``{"depot_id": ...}`` (api/routers/fleet.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Id, NetworkDep, SessionDep, SettingsDep
from api.routers.data import REJECTED, imported, read_upload, rejected
from api.schemas.exchange import ImportColumnOut, ImportOut
from api.schemas.relay_points import OpeningHours
from api.schemas.fleet import VanOut
from api.security import Role, require
from dispatch.addresses import resolve_address
from dispatch.errors import InvalidInput
from dispatch.exchange import csv_import
from dispatch.exchange import depot_import
from dispatch.fleet import depots as service
from dispatch.exchange import ImportRejected
from dispatch.models import Depot
from dispatch.planning import region_of_depot

router = APIRouter(prefix="/api/v1", tags=["depots"], dependencies=[require(Role.COORDINATOR)])

_Region = Annotated[str, Field(max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", examples=["nord"])]


class DepotIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Dépôt Nord", "address": "12 rue Riquet, 75019 Paris", "lat": 48.8891, "lon": 2.3712,
         "opening_hours": [{"days": [0, 1, 2, 3, 4, 5], "open": "07:30", "close": "18:00"}], "region": "nord"}]})

    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90, description="leave lat/lon out: the address is looked up")
    lon: float | None = Field(default=None, ge=-180, le=180)
    opening_hours: list[OpeningHours] = Field(default_factory=list, description="empty: no limit beyond the shifts")
    region: _Region | None = Field(default=None, description="planning region; empty: the 'default' region")


class DepotPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, min_length=1, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    opening_hours: list[OpeningHours] | None = None
    region: _Region | None = None


class DepotOut(BaseModel):
    id: int
    name: str
    address: str
    lat: float
    lon: float
    opening_hours: list[OpeningHours]
    region: str
    van_ids: list[int]

    @classmethod
    def of(cls, depot: Depot, van_ids: list[int]) -> DepotOut:
        return cls(id=depot.id, name=depot.name, address=depot.address, lat=depot.lat, lon=depot.lon,
                   opening_hours=[OpeningHours(**o) for o in depot.opening_hours or []],
                   region=region_of_depot(depot), van_ids=van_ids)


def _out(depot: Depot, session) -> DepotOut:
    return DepotOut.of(depot, [v.id for v in service.vans_of(depot.id, session=session)])


def _values(body: BaseModel, *, exclude_unset: bool) -> dict:
    values = body.model_dump(exclude_unset=exclude_unset)
    if values.get("opening_hours") is not None:
        values["opening_hours"] = [dict(o) for o in values["opening_hours"]]
    return values


@router.get("/depots", summary="Depots, with their region and the vans based there")
def list_depots(session: SessionDep) -> list[DepotOut]:
    return [_out(d, session) for d in service.list_depots(session=session)]


@router.post("/depots", status_code=status.HTTP_201_CREATED,
             summary="Add a depot (its position must be on the road network; without lat/lon the address is "
             "looked up)")
def create_depot(body: DepotIn, session: SessionDep, settings: SettingsDep, network: NetworkDep) -> DepotOut:
    values = _values(body, exclude_unset=False)
    if body.lat is None and body.lon is None:  # the address alone: looked up (dispatch/addresses/resolve.py)
        found = resolve_address(body.address, settings=settings, network=network)
        values |= {"address": found.label, "lat": found.lat, "lon": found.lon}
    elif body.lat is None or body.lon is None:
        raise InvalidInput("give both lat and lon, or neither (the address is then looked up)",
                           field="lat" if body.lat is None else "lon")
    depot = service.create_depot(values, session=session, network=network,
                                 max_snap_distance_m=settings.max_snap_distance_m)
    return _out(depot, session)


@router.get("/depots/{depot_id}", summary="One depot")
def get_depot(depot_id: Id, session: SessionDep) -> DepotOut:
    return _out(service.get_depot(depot_id, session=session), session)


@router.patch("/depots/{depot_id}", summary="Change a depot (only the fields sent); the next plan uses it")
def update_depot(depot_id: Id, body: DepotPatch, session: SessionDep, settings: SettingsDep,
                 network: NetworkDep) -> DepotOut:
    depot = service.update_depot(depot_id, _values(body, exclude_unset=True), session=session, network=network,
                                 max_snap_distance_m=settings.max_snap_distance_m)
    return _out(depot, session)


@router.get("/depots/{depot_id}/vans", summary="The vans based at a depot")
def depot_vans(depot_id: Id, session: SessionDep) -> list[VanOut]:
    service.get_depot(depot_id, session=session)
    return [VanOut.from_orm_obj(v) for v in service.vans_of(depot_id, session=session)]


@router.get("/imports/depots/columns", summary="The documented columns of the depots import file")
def depot_import_columns() -> list[ImportColumnOut]:
    return [ImportColumnOut(**c) for c in csv_import.columns_doc(depot_import.DEPOT_COLUMNS)]


@router.post(
    "/imports/depots", responses=REJECTED, summary="Import depots (and which vans are based there) from a CSV file",
    description="Same file rules as relay points (`GET /api/v1/imports/depots/columns`). A depot is matched by "
    "name; `update=true` changes the depots whose name exists instead of refusing them. The `vans` column moves "
    "the named vans to that depot. All rows or none; `dry_run=true` only checks.",
)
def import_depots(
    request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep,
    file: Annotated[UploadFile, File(description="the CSV file")], dry_run: bool = False, update: bool = False,
) -> ImportOut:
    data = read_upload(file, settings.import_max_bytes)
    try:
        result = depot_import.import_depots(
            data, session=session, network=network, max_snap_distance_m=settings.max_snap_distance_m,
            max_rows=settings.import_max_rows, max_bytes=settings.import_max_bytes, dry_run=dry_run, update=update)
    except ImportRejected as exc:
        return rejected(request, exc)
    return imported(request, result)
