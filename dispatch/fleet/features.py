"""Requirements set by hand on a pickup or relay point, and crews' own features (skills).

What the rules file derives (``dispatch/pickups/requirements.py``) is added to what is set here; the
planner sends both to the solver. Features are checked against the known ones
(``requirements.FEATURE_CODES``). Services flush, never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput, NotFound
from dispatch.models import Crew, PickupRequest, RelayPoint
from dispatch.pickups import requirements

_OWNERS = {"pickup": (PickupRequest, "pickup_id"), "relay_point": (RelayPoint, "relay_point_id"),
           "crew": (Crew, "crew_id")}


def _get(owner: str, owner_id: int, session: Session) -> Any:
    model, field = _OWNERS[owner]
    record = session.get(model, owner_id)
    if record is None:
        raise NotFound(f"{owner.replace('_', ' ')} {owner_id} does not exist", field=field)
    return record


def _clean(values: Any, field: str) -> list[str]:
    try:
        return requirements.check_features(values, field)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from None


def set_requirements(owner: str, owner_id: int, values: Any, *, session: Session) -> Any:
    """Set what a pickup or relay point needs by hand (replacing what was set by hand before)."""
    record = _get(owner, owner_id, session)
    record.requirements = _clean(values, "requirements")
    session.flush()
    return record


def set_crew_skills(crew_id: int, values: Any, *, session: Session) -> Crew:
    crew = _get("crew", crew_id, session)
    crew.skills = _clean(values, "skills")
    session.flush()
    return crew


def pickup_needs(pu: PickupRequest, config) -> dict[str, Any]:
    """What a pickup needs (rules file + by hand) and why."""
    needs, why = requirements.requirements(pu, config.requirements)
    return requirements.describe(needs, why)


def crew_features(crew: Crew) -> list[str]:
    van = crew.van
    return sorted(requirements.crew_features(van.skills if van else (), crew.skills or (), crew.members or ()))
