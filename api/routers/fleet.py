"""Vans and crews, and their availability calendars (maintenance, absences)."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Id, SessionDep
from api.schemas_availability import (
    CrewIn,
    CrewOut,
    CrewPatch,
    DateRangeIn,
    DateRangeOut,
    VanIn,
    VanOut,
    VanPatch,
)
from api.security import Role, require
from dispatch.fleet import availability as service

router = APIRouter(prefix="/api/v1", tags=["vans and crews"], dependencies=[require(Role.COORDINATOR)])


@router.get("/vans", summary="Vans")
def list_vans(session: SessionDep) -> list[VanOut]:
    return [VanOut.from_orm_obj(v) for v in service.list_vans(session=session)]


@router.post("/vans", status_code=status.HTTP_201_CREATED, summary="Add a van")
def create_van(body: VanIn, session: SessionDep) -> VanOut:
    return VanOut.from_orm_obj(service.create_van(body.model_dump(), session=session))


@router.get("/vans/{van_id}", summary="One van")
def get_van(van_id: Id, session: SessionDep) -> VanOut:
    return VanOut.from_orm_obj(service.get_van(van_id, session=session))


@router.patch("/vans/{van_id}", summary="Change a van (only the fields sent)")
def update_van(van_id: Id, body: VanPatch, session: SessionDep) -> VanOut:
    return VanOut.from_orm_obj(service.update_van(van_id, body.model_dump(exclude_unset=True), session=session))


@router.get("/vans/{van_id}/unavailability", summary="A van's unavailability calendar (maintenance, breakdowns)")
def list_van_unavailability(van_id: Id, session: SessionDep) -> list[DateRangeOut]:
    return [DateRangeOut.from_orm_obj(r) for r in service.list_unavailability("van", van_id, session=session)]


@router.post("/vans/{van_id}/unavailability", status_code=status.HTTP_201_CREATED,
             summary="Mark a van unavailable from start_date to end_date inclusive")
def add_van_unavailability(van_id: Id, body: DateRangeIn, session: SessionDep) -> DateRangeOut:
    return DateRangeOut.from_orm_obj(service.add_unavailability(
        "van", van_id, body.start_date, body.end_date, body.reason, session=session))


@router.delete("/vans/{van_id}/unavailability/{entry_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove an entry of a van's calendar")
def delete_van_unavailability(van_id: Id, entry_id: Id, session: SessionDep) -> None:
    service.delete_unavailability("van", van_id, entry_id, session=session)


@router.get("/crews", summary="Crews")
def list_crews(session: SessionDep) -> list[CrewOut]:
    return [CrewOut.from_orm_obj(c) for c in service.list_crews(session=session)]


@router.post("/crews", status_code=status.HTTP_201_CREATED, summary="Add a crew")
def create_crew(body: CrewIn, session: SessionDep) -> CrewOut:
    return CrewOut.from_orm_obj(service.create_crew(body.model_dump(), session=session))


@router.get("/crews/{crew_id}", summary="One crew")
def get_crew(crew_id: Id, session: SessionDep) -> CrewOut:
    return CrewOut.from_orm_obj(service.get_crew(crew_id, session=session))


@router.patch("/crews/{crew_id}", summary="Change a crew (only the fields sent): van, shift, break window, active")
def update_crew(crew_id: Id, body: CrewPatch, session: SessionDep) -> CrewOut:
    return CrewOut.from_orm_obj(service.update_crew(crew_id, body.model_dump(exclude_unset=True), session=session))


@router.get("/crews/{crew_id}/unavailability", summary="A crew's absences")
def list_crew_unavailability(crew_id: Id, session: SessionDep) -> list[DateRangeOut]:
    return [DateRangeOut.from_orm_obj(r) for r in service.list_unavailability("crew", crew_id, session=session)]


@router.post("/crews/{crew_id}/unavailability", status_code=status.HTTP_201_CREATED,
             summary="Mark a crew absent from start_date to end_date inclusive")
def add_crew_unavailability(crew_id: Id, body: DateRangeIn, session: SessionDep) -> DateRangeOut:
    return DateRangeOut.from_orm_obj(service.add_unavailability(
        "crew", crew_id, body.start_date, body.end_date, body.reason, session=session))


@router.delete("/crews/{crew_id}/unavailability/{entry_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove an absence")
def delete_crew_unavailability(crew_id: Id, entry_id: Id, session: SessionDep) -> None:
    service.delete_unavailability("crew", crew_id, entry_id, session=session)
