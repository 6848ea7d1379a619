"""Vans and crews, and their availability calendars (maintenance, absences).

Both kinds of record get the same endpoints (list, add, read, change, and a calendar of date ranges),
registered once per kind by :func:`_register`. No ``from __future__ import annotations`` here: the
endpoints are closures whose annotations FastAPI must read as objects.
"""

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel

from api.deps import Id, SessionDep
from api.schemas.fleet import (
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
from dispatch.fleet import calendars, vans_and_crews

router = APIRouter(prefix="/api/v1", tags=["vans and crews"], dependencies=[require(Role.COORDINATOR)])


def _register(kind: str, plural: str, schemas: tuple[type[BaseModel], Any, type[BaseModel]],
              calls: tuple[Callable, Callable, Callable, Callable], words: dict[str, str]) -> None:
    """The endpoints of one kind of record: ``/{plural}``, ``/{plural}/{id}`` and its calendar."""
    In, Out, Patch = schemas
    list_all, create, get_one, update = calls
    one = f"/{plural}/{{{kind}_id}}"

    def list_records(session: SessionDep) -> list[Out]:
        return [Out.from_orm_obj(r) for r in list_all(session=session)]

    def create_record(body: In, session: SessionDep) -> Out:
        return Out.from_orm_obj(create(body.model_dump(), session=session))

    def get_record(record_id: Id, session: SessionDep) -> Out:
        return Out.from_orm_obj(get_one(record_id, session=session))

    def update_record(record_id: Id, body: Patch, session: SessionDep) -> Out:
        return Out.from_orm_obj(update(record_id, body.model_dump(exclude_unset=True), session=session))

    def list_calendar(record_id: Id, session: SessionDep) -> list[DateRangeOut]:
        return [DateRangeOut.from_orm_obj(r) for r in calendars.list_unavailability(kind, record_id, session=session)]

    def add_calendar(record_id: Id, body: DateRangeIn, session: SessionDep) -> DateRangeOut:
        return DateRangeOut.from_orm_obj(calendars.add_unavailability(
            kind, record_id, body.start_date, body.end_date, body.reason, session=session))

    def delete_calendar(record_id: Id, entry_id: Id, session: SessionDep) -> None:
        calendars.delete_unavailability(kind, record_id, entry_id, session=session)

    get_record, update_record, list_calendar, add_calendar, delete_calendar = (
        _with_id(fn, f"{kind}_id") for fn in (get_record, update_record, list_calendar, add_calendar, delete_calendar))
    for fn, name in ((list_records, f"list_{plural}"), (create_record, f"create_{kind}"), (get_record, f"get_{kind}"),
                     (update_record, f"update_{kind}"), (list_calendar, f"list_{kind}_unavailability"),
                     (add_calendar, f"add_{kind}_unavailability"), (delete_calendar, f"delete_{kind}_unavailability")):
        fn.__name__ = name
    created = status.HTTP_201_CREATED
    router.get(f"/{plural}", summary=words["list"])(list_records)
    router.post(f"/{plural}", status_code=created, summary=words["add"])(create_record)
    router.get(one, summary=words["one"])(get_record)
    router.patch(one, summary=words["change"])(update_record)
    router.get(f"{one}/unavailability", summary=words["calendar"])(list_calendar)
    router.post(f"{one}/unavailability", status_code=created, summary=words["mark"])(add_calendar)
    router.delete(f"{one}/unavailability/{{entry_id}}", status_code=status.HTTP_204_NO_CONTENT,
                  summary=words["unmark"])(delete_calendar)


def _with_id(fn: Callable, name: str) -> Callable:
    """``fn`` with its ``record_id`` parameter published as ``name`` (``van_id``, ``crew_id``): the API
    and its docs keep the parameter's public name. FastAPI passes every parameter by keyword."""
    sig = inspect.signature(fn)

    def endpoint(**kwargs: Any) -> Any:
        kwargs["record_id"] = kwargs.pop(name)
        return fn(**kwargs)

    endpoint.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=[p.replace(name=name) if p.name == "record_id" else p for p in sig.parameters.values()])
    return endpoint


_register("van", "vans", (VanIn, VanOut, VanPatch),
          (vans_and_crews.list_vans, vans_and_crews.create_van, vans_and_crews.get_van, vans_and_crews.update_van),
          {"list": "Vans", "add": "Add a van", "one": "One van", "change": "Change a van (only the fields sent)",
           "calendar": "A van's unavailability calendar (maintenance, breakdowns)",
           "mark": "Mark a van unavailable from start_date to end_date inclusive",
           "unmark": "Remove an entry of a van's calendar"})
_register("crew", "crews", (CrewIn, CrewOut, CrewPatch),
          (vans_and_crews.list_crews, vans_and_crews.create_crew, vans_and_crews.get_crew, vans_and_crews.update_crew),
          {"list": "Crews", "add": "Add a crew", "one": "One crew",
           "change": "Change a crew (only the fields sent): van, shift, break window, active",
           "calendar": "A crew's absences", "mark": "Mark a crew absent from start_date to end_date inclusive",
           "unmark": "Remove an absence"})
