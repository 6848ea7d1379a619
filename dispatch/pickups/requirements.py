"""What a site asks of the crew: service time and requirements (skills), from the rules file as data.

The collection rules file (``dispatch/data/rules/default_rules.json``) carries two sections read here:

* ``service_time`` (:class:`ServiceTimeRules`): extra seconds on top of the base service time of a
  home pickup (``DISPATCH_PICKUP_SERVICE_*``) for carrying by the stairs (each floor without a lift),
  using a lift, and per category (furniture is taken apart and wrapped);
* ``requirements`` (:class:`RequirementRule` list): what a pickup needs (``two_people``, ``tail_lift``...)
  when it matches conditions (categories, volume above, floor above without a lift).

A pickup or relay point can also carry requirements set by hand (``requirements`` column). A crew's
features (:func:`crew_features`) are its van's skills, its own, and ``two_people`` / ``three_people``
from the number of its members. The planner gives the solver visits with these requirements and
vehicles with these features (``dispatch/planning/problem.py``): a visit no crew can take is left
out with the ``skill`` reason. Pure: no database, no network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Every feature a crew can have, and a visit can need.
FEATURE_CODES: tuple[str, ...] = ("tail_lift", "two_people", "three_people", "large_volume")
Feature = Literal["tail_lift", "two_people", "three_people", "large_volume"]
_Seconds = Annotated[int, Field(ge=0, le=4 * 3600)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ServiceTimeRules(_Model):
    """Seconds added to a home pickup's base service time. Defaults are the documented ones."""

    per_floor_without_lift_s: _Seconds = 60  # each floor climbed by the stairs (a round trip, empty-handed)
    per_floor_without_lift_per_m3_s: _Seconds = 20  # each floor, for each m³ carried down
    lift_s: _Seconds = 120  # a floor above or below the street, with a lift: calling it, protecting it
    lift_per_m3_s: _Seconds = 20  # with a lift, for each m³
    category_s: dict[str, _Seconds] = Field(default_factory=lambda: {"furniture": 120})  # once per pickup
    category_per_m3_s: dict[str, _Seconds] = Field(default_factory=dict)  # per m³ of the whole pickup


class Conditions(_Model):
    """Every condition given must hold (none given: never)."""

    categories_any: tuple[str, ...] | None = None  # one of these categories is in the pickup
    volume_above_m3: Annotated[float, Field(ge=0)] | None = None  # strictly more than this volume
    floor_above_without_lift: Annotated[int, Field(ge=0)] | None = None  # strictly above this floor, no lift


class RequirementRule(_Model):
    needs: tuple[Feature, ...] = Field(min_length=1)
    when: Conditions


DEFAULT_REQUIREMENTS: tuple[RequirementRule, ...] = (
    RequirementRule(needs=("two_people",), when=Conditions(categories_any=("furniture",), volume_above_m3=3.0)),
    RequirementRule(needs=("two_people",), when=Conditions(floor_above_without_lift=2)),
    RequirementRule(needs=("tail_lift",), when=Conditions(volume_above_m3=6.0)),
)


def _floor(site: Any) -> int:
    return abs(int(getattr(site, "floor", None) or 0))


def site_service_s(site: Any, rules: ServiceTimeRules) -> int:
    """Extra service seconds of a pickup (``floor``, ``has_lift``, ``volume_m3``, ``categories``)."""
    volume = float(getattr(site, "volume_m3", 0.0) or 0.0)
    floors = _floor(site)
    extra = 0.0
    if floors and getattr(site, "has_lift", None):
        extra += rules.lift_s + rules.lift_per_m3_s * volume
    elif floors:
        extra += floors * (rules.per_floor_without_lift_s + rules.per_floor_without_lift_per_m3_s * volume)
    for category in set(getattr(site, "categories", None) or ()):
        extra += rules.category_s.get(category, 0) + rules.category_per_m3_s.get(category, 0) * volume
    return round(extra)


def _matches(when: Conditions, site: Any) -> dict[str, Any] | None:
    """The reason ("why") when ``site`` meets every condition given, else None."""
    volume = float(getattr(site, "volume_m3", 0.0) or 0.0)
    categories = set(getattr(site, "categories", None) or ())
    given = [when.categories_any, when.volume_above_m3, when.floor_above_without_lift]
    if all(g is None for g in given):
        return None
    if when.categories_any is not None and not categories & set(when.categories_any):
        return None
    if when.volume_above_m3 is not None and not volume > when.volume_above_m3:
        return None
    if when.floor_above_without_lift is not None and (
            getattr(site, "has_lift", None) or not _floor(site) > when.floor_above_without_lift):
        return None
    if when.floor_above_without_lift is not None:
        return {"code": "floor_no_lift", "floor": getattr(site, "floor", None)}
    if when.categories_any is not None and "furniture" in categories & set(when.categories_any):
        return {"code": "heavy_furniture", "m3": round(volume, 2)}
    return {"code": "volume", "m3": round(volume, 2)}


def requirements(site: Any, rules: Sequence[RequirementRule]) -> tuple[frozenset[str], tuple[dict[str, Any], ...]]:
    """What ``site`` needs (rules that match plus ``site.requirements`` set by hand) and why, each reason
    once."""
    needs: set[str] = set()
    why: list[dict[str, Any]] = []
    for rule in rules:
        reason = _matches(rule.when, site)
        if reason is not None:
            needs.update(rule.needs)
            if reason not in why:
                why.append(reason)
    by_hand = [str(r) for r in getattr(site, "requirements", None) or ()]
    if by_hand:
        needs.update(by_hand)
        why.append({"code": "by_hand"})
    if "three_people" in needs:
        needs.add("two_people")
    return frozenset(needs), tuple(why)


def crew_features(van_skills: Iterable[str], crew_skills: Iterable[str], members: Sequence[str]) -> frozenset[str]:
    """A crew's features: its van's skills, its own, and two_people / three_people from its members."""
    out = {str(s) for s in van_skills or ()} | {str(s) for s in crew_skills or ()}
    people = len([m for m in members or () if str(m).strip()])
    if people >= 2 or "three_people" in out:
        out.add("two_people")
    if people >= 3:
        out.add("three_people")
    return frozenset(out)


def check_features(values: Iterable[Any], field: str) -> list[str]:
    """Clean a list of features given by hand; ValueError naming the unknown ones."""
    out = sorted({str(v).strip() for v in values or () if str(v).strip()})
    unknown = [v for v in out if v not in FEATURE_CODES]
    if unknown:
        raise ValueError(f"{field}: unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURE_CODES)}")
    return out


def describe(needs: Iterable[str], why: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Stored/shown form: {"needs": [...], "why": [...]}."""
    return {"needs": sorted(needs), "why": list(why)}
