"""What a visit needs of the crew, set by hand, and what a crew can do (its features).

A pickup's needs also come from the collection rules (floor without a lift, furniture volume...): the
answers show both. Features: tail_lift, two_people, three_people, large_volume.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Id, SessionDep, SettingsDep
from api.security import Role, require
from dispatch.fleet import features as service
from dispatch.fleet import get_crew
from dispatch.pickups import get_pickup, rules_config
from dispatch.pickups import Feature

router = APIRouter(prefix="/api/v1", tags=["requirements and skills"])
COORDINATION = [require(Role.COORDINATOR)]
DESK = [require(Role.SWITCHBOARD, Role.COORDINATOR)]  # the switchboard takes the donor's call


class FeaturesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"features": ["two_people"]}]})

    features: Annotated[list[Feature], Field(max_length=4)]


class NeedsOut(BaseModel):
    by_hand: list[str] = Field(description="set by hand")
    needs: list[str] = Field(description="everything the planner asks of the crew: the rules' and by hand")
    why: list[dict] = Field(description="why: [{code: floor_no_lift, floor}, {code: heavy_furniture, m3}, ...]")


class CrewFeaturesOut(BaseModel):
    crew_id: int
    skills: list[str] = Field(description="the crew's own features, set by hand")
    features: list[str] = Field(description="what it can do: its van's skills, its own, two/three people "
                                "from its members")


@router.put("/pickup-requests/{pickup_id}/requirements", dependencies=DESK, summary="Set what a home pickup needs, by hand")
def set_pickup_requirements(pickup_id: Id, body: FeaturesIn, session: SessionDep, settings: SettingsDep) -> NeedsOut:
    pu = service.set_requirements("pickup", pickup_id, body.features, session=session)
    return NeedsOut(by_hand=list(pu.requirements or []), **service.pickup_needs(pu, rules_config(settings)))


@router.get("/pickup-requests/{pickup_id}/requirements", dependencies=DESK, summary="What a home pickup needs and why")
def get_pickup_requirements(pickup_id: Id, session: SessionDep, settings: SettingsDep) -> NeedsOut:
    pu = get_pickup(pickup_id, session=session)
    return NeedsOut(by_hand=list(pu.requirements or []), **service.pickup_needs(pu, rules_config(settings)))


@router.put("/relay-points/{relay_point_id}/requirements", dependencies=COORDINATION,
            summary="Set what a relay point's visit needs")
def set_relay_point_requirements(relay_point_id: Id, body: FeaturesIn, session: SessionDep) -> NeedsOut:
    rp = service.set_requirements("relay_point", relay_point_id, body.features, session=session)
    by_hand = list(rp.requirements or [])
    return NeedsOut(by_hand=by_hand, needs=by_hand, why=[{"code": "by_hand"}] if by_hand else [])


@router.put("/crews/{crew_id}/skills", dependencies=COORDINATION, summary="Set a crew's own features (e.g. three_people)")
def set_crew_skills(crew_id: Id, body: FeaturesIn, session: SessionDep) -> CrewFeaturesOut:
    crew = service.set_crew_skills(crew_id, body.features, session=session)
    return CrewFeaturesOut(crew_id=crew.id, skills=list(crew.skills or []), features=service.crew_features(crew))


@router.get("/crews/{crew_id}/features", dependencies=COORDINATION, summary="What a crew can do: van skills, own skills, people")
def get_crew_features(crew_id: Id, session: SessionDep) -> CrewFeaturesOut:
    crew = get_crew(crew_id, session=session)
    return CrewFeaturesOut(crew_id=crew.id, skills=list(crew.skills or []), features=service.crew_features(crew))
