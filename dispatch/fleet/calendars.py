"""The vans' and crews' calendars (maintenance, breakdowns, leave, sickness) and the fleet of a day:
:func:`fleet_for_day` tells the planner which crews (each with its van) work that day and which vans are
out, and why. Services take ``*, session``, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import NotFound
from dispatch.fleet.checks import check_date_span, checked_reason
from dispatch.fleet.vans_and_crews import get_crew, get_van
from dispatch.models import Crew, CrewUnavailability, Van, VanUnavailability


_CALENDARS = {"van": (VanUnavailability, "van_id", get_van), "crew": (CrewUnavailability, "crew_id", get_crew)}


def list_unavailability(owner: str, owner_id: int, *, session: Session) -> list:
    model, col, getter = _CALENDARS[owner]
    getter(owner_id, session=session)
    return list(session.scalars(select(model).where(getattr(model, col) == owner_id)
                                .order_by(model.start_date, model.id)).all())


def add_unavailability(owner: str, owner_id: int, start: dt.date, end: dt.date, reason: str, *, session: Session):
    model, col, getter = _CALENDARS[owner]
    getter(owner_id, session=session)
    check_date_span(start, end)
    entry = model(**{col: owner_id}, start_date=start, end_date=end, reason=checked_reason(reason))
    session.add(entry)
    session.flush()
    return entry


def delete_unavailability(owner: str, owner_id: int, entry_id: int, *, session: Session) -> None:
    model, col, _ = _CALENDARS[owner]
    entry = session.get(model, entry_id)
    if entry is None or getattr(entry, col) != owner_id:
        raise NotFound(f"unavailability {entry_id} of {owner} {owner_id} does not exist", field="entry_id")
    session.delete(entry)
    session.flush()


def _unavailable_on(model, col: str, day: dt.date, *, session: Session) -> dict[int, Any]:
    rows = session.scalars(select(model).where(model.start_date <= day, model.end_date >= day)
                           .order_by(model.start_date, model.id)).all()
    out: dict[int, Any] = {}
    for r in rows:
        out.setdefault(getattr(r, col), r)
    return out


def fleet_for_day(day: dt.date, *, session: Session) -> tuple[list[Crew], list[dict]]:
    """The crews working on ``day`` (each with its own van, both active and available), and every van
    left out with why: ``inactive``, ``maintenance`` (its calendar), ``no_crew`` (no available crew drives
    it: the crews' absences are named). Each entry of the second list is a plain dict stored in
    ``Plan.vans_out``: van_id, van, crew_id, crew, reason, detail (English), detail_fr."""
    vans = {v.id: v for v in session.scalars(select(Van).order_by(Van.id)).all()}
    crews = list(session.scalars(select(Crew).order_by(Crew.id)).all())
    van_off = _unavailable_on(VanUnavailability, "van_id", day, session=session)
    crew_off = _unavailable_on(CrewUnavailability, "crew_id", day, session=session)
    working: list[Crew] = []
    crew_issue: dict[int, list[tuple[str, str]]] = {}  # van id -> why its crews are not there (en, fr)
    for crew in crews:
        if crew.van_id is None:
            continue
        if not crew.active:
            crew_issue.setdefault(crew.van_id, []).append((f"crew {crew.name} is inactive",
                                                           f"l'équipe {crew.name} est inactive"))
        elif crew.id in crew_off:
            off = crew_off[crew.id]
            crew_issue.setdefault(crew.van_id, []).append((
                f"crew {crew.name} is absent until {off.end_date.isoformat()} ({off.reason})",
                f"l'équipe {crew.name} est absente jusqu'au {off.end_date.strftime('%d/%m/%Y')} ({off.reason})"))
        elif crew.van_id in vans and vans[crew.van_id].active and crew.van_id not in van_off:
            working.append(crew)
    used = {c.van_id for c in working}
    out: list[dict] = []
    for van in vans.values():
        if van.id in used:
            continue
        crew = next((c for c in crews if c.van_id == van.id), None)
        base = {"van_id": van.id, "van": van.name, "crew_id": crew.id if crew else None,
                "crew": crew.name if crew else None}
        if not van.active:
            out.append(base | {"reason": "inactive", "detail": f"van {van.name} is out of service (inactive)",
                               "detail_fr": f"camion {van.name} hors service (inactif)"})
        elif van.id in van_off:
            off = van_off[van.id]
            out.append(base | {
                "reason": "maintenance",
                "detail": f"van {van.name} is unavailable from {off.start_date.isoformat()} to "
                          f"{off.end_date.isoformat()} ({off.reason})",
                "detail_fr": f"camion {van.name} indisponible du {off.start_date.strftime('%d/%m/%Y')} au "
                             f"{off.end_date.strftime('%d/%m/%Y')} ({off.reason})"})
        else:
            issues = crew_issue.get(van.id, [])
            out.append(base | {
                "reason": "no_crew",
                "detail": f"van {van.name} has no available crew"
                          + (": " + "; ".join(en for en, _ in issues) if issues else " (none assigned)"),
                "detail_fr": f"camion {van.name} sans équipe disponible"
                             + (" : " + " ; ".join(fr for _, fr in issues) if issues else " (aucune affectée)")})
    return working, out
