"""The association's collection rules, kept as data: the rules file and its validation.

The rules (minimum volume, accepted and refused categories, served zone, lead time, capacity, required
donor details, what the switchboard may override) live in a JSON file,
``dispatch/data/rules/default_rules.json`` by default, which :func:`load_rules` reads and validates into a
:class:`RulesConfig` (:func:`parse_rules` for data already parsed); a file at fault raises
:class:`RulesConfigError` naming every field at fault in a JSON editor's words. Also here: the slots, the
donor details a file may require, and every reason code a decision can give (:data:`REASON_FIELDS`).

Pure: no database, no network, nothing read or created at import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, ValidationInfo, field_validator

from dispatch.errors import DispatchError
from dispatch.pickups.requirements import DEFAULT_REQUIREMENTS, RequirementRule, ServiceTimeRules
from dispatch.pickups.rule_messages import MESSAGES, check_lang

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "data" / "rules" / "default_rules.json"

#: The slot values, in the day's order (the values of ``dispatch.models.Slot``).
SLOTS: tuple[str, ...] = ("morning", "afternoon")
#: Donor details that ``required_details`` may list.
DETAILS: tuple[str, ...] = ("phone", "floor", "has_lift", "access_code", "categories")

#: Every reason code :func:`dispatch.pickups.rules.evaluate` can return, with the request field it blames
#: (``missing_detail`` blames the missing detail itself: phone, floor, has_lift, ...).
REASON_FIELDS: dict[str, str] = {
    "volume_invalid": "volume_m3",
    "volume_below_minimum": "volume_m3",
    "volume_above_van": "volume_m3",
    "volume_above_maximum": "volume_m3",
    "category_refused": "categories",
    "category_unknown": "categories",
    "outside_zone": "postcode",
    "position_invalid": "position",
    "position_outside_zone": "position",
    "position_off_network": "position",
    "date_not_collection_day": "date",
    "date_too_soon": "date",
    "date_too_far": "date",
    "day_full": "date",
    "slot_full": "slot",
    "slot_unknown": "slot",
    "no_room_in_plan": "slot",
    "missing_detail": "",
    # The online booking's abuse guard (dispatch/access/booking_guard.py), not the association's rules file.
    "online_open_limit": "phone",
    "online_daily_cap": "date",
}
REASON_CODES: tuple[str, ...] = tuple(REASON_FIELDS)
assert set(MESSAGES) == set(REASON_FIELDS), "every reason code needs a message"


class RulesConfigError(DispatchError, ValueError):
    """The rules file is unreadable or invalid; ``field`` names the first field at fault."""

    status_hint = 500


_StrictFloat = Annotated[float, Strict(), Field(allow_inf_nan=False)]
_NonEmpty = Annotated[str, Strict(), Field(min_length=1)]
_Postcode = Annotated[str, Strict(), Field(pattern=r"^\d{5}$")]
_Category = Annotated[str, Strict(), Field(pattern=r"^[a-z][a-z0-9_]*$")]
_Count = Annotated[int, Strict(), Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RefusedCategory(_Model):
    fr: _NonEmpty
    en: _NonEmpty
    overridable: Annotated[bool, Strict()] = True


class Label(_Model):
    fr: _NonEmpty
    en: _NonEmpty


class Commune(_Model):
    name: _NonEmpty
    postcode: _Postcode


class ServedZone(_Model):
    paris_postcodes: tuple[_Postcode, ...] = Field(min_length=1)
    extra_communes: tuple[Commune, ...] = ()
    polygon: tuple[tuple[_StrictFloat, _StrictFloat], ...] | None = None

    @field_validator("polygon")
    @classmethod
    def _check_polygon(cls, value: tuple[tuple[float, float], ...] | None) -> tuple[tuple[float, float], ...] | None:
        if value is None:
            return None
        for i, (lon, lat) in enumerate(value):
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"point {i} [{lon}, {lat}] is not a [lon, lat] pair (lon in -180..180, lat in -90..90)")
        if len(set(value)) < 3:
            raise ValueError("a polygon needs at least 3 distinct [lon, lat] points")
        if abs(_signed_area(value)) < 1e-12:
            raise ValueError("the polygon has no area (are its points aligned?)")
        return value


class RulesConfig(_Model):
    """The association's collection rules. Build it with :func:`load_rules`, change it with :meth:`replace`."""

    min_volume_m3: Annotated[_StrictFloat, Field(ge=0)]
    max_volume_m3: Annotated[_StrictFloat, Field(gt=0)] | None = None
    accepted_categories: tuple[_Category, ...] = Field(min_length=1)
    refused_categories: dict[_Category, RefusedCategory]
    category_labels: dict[_Category, Label] = Field(default_factory=dict)
    served_zone: ServedZone
    min_lead_working_days: Annotated[int, Strict(), Field(ge=0, le=60)]
    max_days_ahead: Annotated[int, Strict(), Field(ge=1, le=366)]
    daily_capacity: _Count
    slot_capacity: dict[Literal["morning", "afternoon"], _Count]
    required_details: tuple[Literal["phone", "floor", "has_lift", "access_code", "categories"], ...]
    not_overridable: tuple[str, ...] = ()
    # What a site asks of the crew (dispatch/pickups/requirements.py): extra service time, and needs.
    service_time: ServiceTimeRules = ServiceTimeRules()
    requirements: tuple[RequirementRule, ...] = DEFAULT_REQUIREMENTS

    @field_validator("max_volume_m3")
    @classmethod
    def _max_above_min(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("min_volume_m3")
        if value is not None and low is not None and value < low:
            raise ValueError(f"max_volume_m3 ({value:g}) is below min_volume_m3 ({low:g})")
        return value

    @field_validator("accepted_categories")
    @classmethod
    def _no_duplicate_category(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        dupes = sorted({c for c in value if value.count(c) > 1})
        if dupes:
            raise ValueError(f"listed twice: {', '.join(dupes)}")
        return value

    @field_validator("refused_categories")
    @classmethod
    def _refused_not_accepted(cls, value: dict[str, RefusedCategory], info: ValidationInfo) -> dict[str, RefusedCategory]:
        both = sorted(set(value) & set(info.data.get("accepted_categories") or ()))
        if both:
            raise ValueError(f"both accepted and refused: {', '.join(both)}")
        return value

    @field_validator("category_labels")
    @classmethod
    def _labels_for_known_categories(cls, value: dict[str, Label], info: ValidationInfo) -> dict[str, Label]:
        if "accepted_categories" not in info.data or "refused_categories" not in info.data:
            return value  # already reported on those fields
        known = set(info.data["accepted_categories"]) | set(info.data["refused_categories"])
        stray = sorted(set(value) - known)
        if stray:
            raise ValueError(f"labels for categories that are neither accepted nor refused: {', '.join(stray)}")
        return value

    @field_validator("slot_capacity")
    @classmethod
    def _every_slot(cls, value: dict[str, int]) -> dict[str, int]:
        missing = [s for s in SLOTS if s not in value]
        if missing:
            raise ValueError(f"give a capacity for every slot; missing: {', '.join(missing)} (0 closes a slot)")
        return value

    @field_validator("required_details")
    @classmethod
    def _phone_always(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "phone" not in value:
            raise ValueError("'phone' is always required: the crew calls the donor before coming")
        return tuple(dict.fromkeys(value))

    @field_validator("not_overridable")
    @classmethod
    def _known_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in REASON_FIELDS]
        if unknown:
            raise ValueError(f"unknown reason code(s) {', '.join(unknown)}; known: {', '.join(REASON_CODES)}")
        return value

    # -- derived -------------------------------------------------------------------------------------

    @property
    def served_postcodes(self) -> frozenset[str]:
        zone = self.served_zone
        return frozenset(zone.paris_postcodes) | {c.postcode for c in zone.extra_communes}

    def label(self, category: str, lang: str = "fr") -> str:
        check_lang(lang)
        label = self.category_labels.get(category)
        return getattr(label, lang) if label else category.replace("_", " ")

    def is_overridable(self, code: str, category: str | None = None) -> bool:
        if code in self.not_overridable:
            return False
        if code == "category_refused" and category in self.refused_categories:
            return self.refused_categories[category].overridable
        return True

    def replace(self, **changes: Any) -> RulesConfig:
        """A copy with ``changes`` applied, validated like a file (raises :class:`RulesConfigError`)."""
        return parse_rules({**self.model_dump(), **changes}, source="RulesConfig.replace()")


def _signed_area(pts: Iterable[Iterable[float]]) -> float:
    p = [tuple(q) for q in pts]
    return sum(p[i][0] * p[(i + 1) % len(p)][1] - p[(i + 1) % len(p)][0] * p[i][1] for i in range(len(p))) / 2


def _strip_comments(value: Any) -> Any:
    """Drop every object key starting with ``_`` (comments in the JSON file), at any depth."""
    if isinstance(value, dict):
        return {k: _strip_comments(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(value, list):
        return [_strip_comments(v) for v in value]
    return value


def _plain(msg: str) -> str:
    """Pydantic's wording, in the words of someone editing a JSON file."""
    msg = msg.removeprefix("Value error, ")
    for python, json_word in (
        ("a valid tuple", "a list ([...])"),
        ("a valid list", "a list ([...])"),
        ("a valid dictionary", "an object ({...})"),
        ("a valid string", "a string (\"...\")"),
    ):
        msg = msg.replace(python, json_word)
    return msg


def _config_error(exc: ValidationError, source: str) -> RulesConfigError:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        got = err.get("input")
        shown = ""
        if err["type"] != "missing" and (got is None or isinstance(got, (str, int, float, bool))):
            shown = f" (got {json.dumps(got, ensure_ascii=False)})"
        problems.append(f"{where}: {_plain(err['msg'])}{shown}")
    first = exc.errors(include_url=False)[0]["loc"] if exc.errors() else ()
    field = str(first[0]) if first else None
    return RulesConfigError(f"invalid collection rules in {source}: " + "; ".join(problems), field=field)


def parse_rules(data: Any, *, source: str = "rules") -> RulesConfig:
    """Validate already-parsed JSON data (a dict) into a :class:`RulesConfig`."""
    if not isinstance(data, dict):
        raise RulesConfigError(f"invalid collection rules in {source}: the top level must be a JSON object")
    try:
        return RulesConfig.model_validate(_strip_comments(data))
    except ValidationError as exc:
        raise _config_error(exc, source) from None


def load_rules(path: Path | str | None = None) -> RulesConfig:
    """Read and validate a rules file; ``None`` reads the bundled ``default_rules.json``."""
    source = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesConfigError(f"cannot read the collection rules file {source}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulesConfigError(
            f"the collection rules file {source} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    return parse_rules(data, source=str(source))
