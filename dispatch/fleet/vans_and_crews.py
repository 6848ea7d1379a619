"""Vans and crews: get, list, create and change them (unique names, a van's depot and capacity, a
crew's van, shift and break window). Services take ``*, session``, flush and never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.fleet.checks import checked_hhmm
from dispatch.models import CREW_DEFAULTS, Crew, Depot, Van


# Smallest capacity that makes sense: a van holds at least half a cubic metre. Smaller values are typing
# mistakes (0.0001 for 1).
MIN_VAN_CAPACITY_M3 = 0.5


VAN_FIELDS = ("name", "plate", "capacity_m3", "depot_id", "skills", "active")


CREW_FIELDS = ("name", "members", "van_id", "shift_start", "shift_end", "break_minutes", "break_earliest",
               "break_latest", "active")


def get_van(van_id: int, *, session: Session) -> Van:
    van = session.get(Van, van_id)
    if van is None:
        raise NotFound(f"van {van_id} does not exist", field="van_id")
    return van


def get_crew(crew_id: int, *, session: Session) -> Crew:
    crew = session.get(Crew, crew_id)
    if crew is None:
        raise NotFound(f"crew {crew_id} does not exist", field="crew_id")
    return crew


def list_vans(*, session: Session) -> list[Van]:
    return list(session.scalars(select(Van).order_by(Van.id)).all())


def list_crews(*, session: Session) -> list[Crew]:
    return list(session.scalars(select(Crew).order_by(Crew.id)).all())


def _unique_name(model, name: str, own_id: int | None, *, session: Session, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(f"give the {what}'s name", field="name")
    other = session.scalars(select(model).where(model.name == name)).first()
    if other is not None and other.id != own_id:
        raise Conflict(f"{what} {other.id} is already named {name!r}", field="name")
    return name


def _apply_van(van: Van, values: dict[str, Any], *, session: Session) -> None:
    unknown = sorted(set(values) - set(VAN_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    if "name" in values:
        van.name = _unique_name(Van, values["name"], van.id, session=session, what="van")
    if "capacity_m3" in values:
        if values["capacity_m3"] is None or values["capacity_m3"] < MIN_VAN_CAPACITY_M3:
            raise InvalidInput(f"capacity_m3 must be at least {MIN_VAN_CAPACITY_M3:g} m³", field="capacity_m3")
        van.capacity_m3 = values["capacity_m3"]
    if "depot_id" in values:
        if values["depot_id"] is None:
            raise InvalidInput("depot_id must be a depot's id", field="depot_id")
        if session.get(Depot, values["depot_id"]) is None:
            raise NotFound(f"depot {values['depot_id']} does not exist", field="depot_id")
        van.depot_id = values["depot_id"]
    if "skills" in values:
        van.skills = sorted({str(s).strip() for s in values["skills"] or [] if str(s).strip()})
    if "plate" in values:
        van.plate = values["plate"]
    if "active" in values:
        if values["active"] is None:
            raise InvalidInput("active must be true or false", field="active")
        van.active = values["active"]


def create_van(values: dict[str, Any], *, session: Session) -> Van:
    values = dict(values)
    if values.get("depot_id") is None:
        depot = session.scalars(select(Depot).order_by(Depot.id)).first()
        if depot is None:
            raise NotFound("no depot is configured: create one first", field="depot_id")
        values["depot_id"] = depot.id
    if values.get("capacity_m3") is None:
        raise InvalidInput("give the van's capacity_m3", field="capacity_m3")
    return _saved(Van(name="", capacity_m3=1.0, depot_id=values["depot_id"], skills=[], active=True), _apply_van,
                  values, session=session)


def update_van(van_id: int, changes: dict[str, Any], *, session: Session) -> Van:
    return _saved(get_van(van_id, session=session), _apply_van, changes, session=session)


def _saved(record: Any, apply: Any, values: dict[str, Any], *, session: Session) -> Any:
    """``values`` checked and applied to a new or existing van or crew, flushed."""
    apply(record, values, session=session)
    session.add(record)
    session.flush()
    return record


def minutes_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _apply_crew(crew: Crew, values: dict[str, Any], *, session: Session) -> None:
    unknown = sorted(set(values) - set(CREW_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    if "name" in values:
        crew.name = _unique_name(Crew, values["name"], crew.id, session=session, what="crew")
    if "members" in values:
        crew.members = [str(m).strip() for m in values["members"] or [] if str(m).strip()]
    if "van_id" in values:
        if values["van_id"] is not None:
            get_van(values["van_id"], session=session)
        crew.van_id = values["van_id"]
    for field, attr in (("shift_start", "shift_start_min"), ("shift_end", "shift_end_min"),
                        ("break_earliest", "break_earliest_min"), ("break_latest", "break_latest_min")):
        if field in values:
            setattr(crew, attr, checked_hhmm(values[field], field) // 60)
    if "break_minutes" in values:
        if values["break_minutes"] is None or not 0 <= values["break_minutes"] <= 180:
            raise InvalidInput("break_minutes must be between 0 and 180", field="break_minutes")
        crew.break_minutes = values["break_minutes"]
    if "active" in values:
        if values["active"] is None:
            raise InvalidInput("active must be true or false", field="active")
        crew.active = values["active"]
    if crew.shift_end_min <= crew.shift_start_min:
        raise InvalidInput(f"shift_end {minutes_hhmm(crew.shift_end_min)} must be after shift_start "
                           f"{minutes_hhmm(crew.shift_start_min)}", field="shift_end")
    if crew.break_latest_min < crew.break_earliest_min:
        raise InvalidInput(f"break_latest {minutes_hhmm(crew.break_latest_min)} must not be before break_earliest "
                           f"{minutes_hhmm(crew.break_earliest_min)}", field="break_latest")
    if crew.break_minutes and not (crew.shift_start_min <= crew.break_earliest_min
                                   and crew.break_latest_min + crew.break_minutes <= crew.shift_end_min):
        raise InvalidInput("the break window must lie within the shift", field="break_earliest")


def create_crew(values: dict[str, Any], *, session: Session) -> Crew:
    return _saved(Crew(name="", members=[], active=True, **CREW_DEFAULTS), _apply_crew, values, session=session)


def update_crew(crew_id: int, changes: dict[str, Any], *, session: Session) -> Crew:
    return _saved(get_crew(crew_id, session=session), _apply_crew, changes, session=session)
