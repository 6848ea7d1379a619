"""Collection rules for home pickups, kept as data.

The association's rules (minimum volume, accepted and refused categories, served zone, lead time,
capacity, required donor details, what the switchboard may override) live in a JSON file,
``dispatch/data/rules/default_rules.json`` by default, which :func:`load_rules` reads and validates.

:func:`evaluate` applies every rule to one request and returns a :class:`RuleDecision` carrying
*every* reason for a refusal, each with a stable ``code``, the request ``field`` at fault, its
``params`` and a polite message in French or English (:meth:`RuleReason.message`). A message is
rendered from ``code`` and ``params`` alone, so a stored decision can be shown again later without
the configuration. :func:`override` lets switchboard staff accept a refused request with a recorded
reason; :func:`next_slots` proposes the next bookable (date, slot) pairs (checked against the days'
plans by trial insertion when the caller passes ``RuleContext.slot_fits``).

Pure: no database, no network, nothing read or created at import. The caller computes what needs
the database or the road graph and passes it in :class:`RuleContext`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, ValidationInfo, field_validator

from dispatch.errors import DispatchError, InvalidInput
from dispatch.workdays import french_public_holidays, is_collection_day, next_collection_day

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "data" / "rules" / "default_rules.json"

#: The slot values, in the day's order (the values of ``dispatch.models.Slot``).
SLOTS: tuple[str, ...] = ("morning", "afternoon")
#: Donor details that ``required_details`` may list.
DETAILS: tuple[str, ...] = ("phone", "floor", "has_lift", "access_code", "categories")
LANGS: tuple[str, ...] = ("fr", "en")

#: Every reason code :func:`evaluate` can return, with the request field it blames
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

# Reasons after which the decision proposes other (date, slot) pairs.
_DATE_CODES = frozenset({"date_not_collection_day", "date_too_soon", "date_too_far", "day_full", "slot_full", "slot_unknown",
                         "no_room_in_plan"})


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


class RulesConfigError(DispatchError, ValueError):
    """The rules file is unreadable or invalid; ``field`` names the first field at fault."""

    status_hint = 500


class OverrideError(InvalidInput, ValueError):
    """An override request is malformed (no author, reason too short, nothing to override)."""


class OverrideNotAllowed(OverrideError):
    """The decision holds reasons the switchboard may not override; ``reasons`` lists them."""

    def __init__(self, message: str, *, reasons: Iterable[RuleReason], field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reasons = list(reasons)


# --------------------------------------------------------------------------------------------------
# Configuration (the JSON file)
# --------------------------------------------------------------------------------------------------

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
        _check_lang(lang)
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


# --------------------------------------------------------------------------------------------------
# Request, context, decision
# --------------------------------------------------------------------------------------------------


def _slot_value(slot: Any) -> str:
    """``Slot.MORNING`` (a str enum) and ``"morning"`` both give ``"morning"``."""
    return str(getattr(slot, "value", slot)).strip().lower()


@dataclasses.dataclass(frozen=True, kw_only=True)
class RuleRequest:
    """What the rules look at in a home-pickup request. ``slot`` may be a ``Slot`` or its value."""

    volume_m3: float
    date: dt.date
    slot: str
    postcode: str
    lat: float
    lon: float
    categories: tuple[str, ...] = ()
    phone: str | None = None
    floor: int | None = None
    has_lift: bool | None = None
    access_code: str | None = None

    @classmethod
    def from_input(cls, obj: Any) -> RuleRequest:
        """From any object with the same attribute names (e.g. ``dispatch.pickups.requests.PickupInput``)."""
        return cls(**{f.name: getattr(obj, f.name, f.default) for f in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True, kw_only=True)
class RuleContext:
    """What the rules need from outside: the day, the fleet, the bookings and the road graph.

    ``booked[(date, slot)]`` counts the pickups already accepted or scheduled on that slot, not
    counting the request being evaluated. ``in_graph_area(lat, lon)`` tells whether a position can
    be reached on the road network. ``slot_fits(date, slot)``, when given, tells whether the request's
    visit still fits that day's plan (trial insertion, :class:`dispatch.pickups.slots.SlotFit`): alternatives
    are offered only where it does.
    """

    today: dt.date
    largest_van_m3: float
    in_graph_area: Callable[[float, float], bool]
    booked: Mapping[tuple[dt.date, Any], int] = dataclasses.field(default_factory=dict)
    slot_fits: Callable[[dt.date, str], bool] | None = None

    def __post_init__(self) -> None:
        per_slot: dict[tuple[dt.date, str], int] = {}
        per_day: dict[dt.date, int] = {}
        for (day, slot), count in self.booked.items():
            key = (day, _slot_value(slot))
            per_slot[key] = per_slot.get(key, 0) + int(count)
            per_day[day] = per_day.get(day, 0) + int(count)
        object.__setattr__(self, "_per_slot", per_slot)
        object.__setattr__(self, "_per_day", per_day)

    def booked_slot(self, day: dt.date, slot: Any) -> int:
        return self._per_slot.get((day, _slot_value(slot)), 0)  # type: ignore[attr-defined]

    def booked_day(self, day: dt.date) -> int:
        return self._per_day.get(day, 0)  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class RuleReason:
    code: str
    field: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    overridable: bool = True

    def message(self, lang: str = "fr") -> str:
        _check_lang(lang)
        return _MESSAGES[self.code](self.params, lang)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "params": dict(self.params), "overridable": self.overridable}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleReason:
        return cls(data["code"], data["field"], dict(data.get("params") or {}), bool(data.get("overridable", True)))


@dataclasses.dataclass(frozen=True)
class RuleDecision:
    accepted: bool
    reasons: list[RuleReason] = dataclasses.field(default_factory=list)
    #: Bookable (date, slot) pairs proposed when the date or the slot was refused.
    alternatives: list[tuple[dt.date, str]] = dataclasses.field(default_factory=list)
    overridden_by: str | None = None
    override_reason: str | None = None

    @property
    def overridden(self) -> bool:
        return self.overridden_by is not None

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    @property
    def overridable(self) -> bool:
        """True when the decision is a refusal that the switchboard may override."""
        return not self.accepted and all(r.overridable for r in self.reasons)

    def messages(self, lang: str = "fr") -> list[str]:
        return [r.message(lang) for r in self.reasons]

    def summary(self, lang: str = "fr") -> str | None:
        """Every message on one line (for a ``status_reason`` column); None when there is no reason."""
        text = " ".join(self.messages(lang))
        if self.overridden:
            if lang == "fr":
                text += f" [Dérogation accordée par {self.overridden_by} : {self.override_reason}]"
            else:
                text += f" [Overridden by {self.overridden_by}: {self.override_reason}]"
        return text or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "reasons": [r.to_dict() for r in self.reasons],
            "alternatives": [[d.isoformat(), s] for d, s in self.alternatives],
            "overridden_by": self.overridden_by,
            "override_reason": self.override_reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleDecision:
        return cls(
            accepted=bool(data["accepted"]),
            reasons=[RuleReason.from_dict(r) for r in data.get("reasons") or ()],
            alternatives=[(dt.date.fromisoformat(d), s) for d, s in data.get("alternatives") or ()],
            overridden_by=data.get("overridden_by"),
            override_reason=data.get("override_reason"),
        )


# --------------------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------------------


def earliest_date(config: RulesConfig, today: dt.date) -> dt.date:
    """The first date a request made ``today`` may be collected: the n-th collection day after today."""
    day = today
    for _ in range(config.min_lead_working_days):
        day = next_collection_day(day)
    return day


def latest_date(config: RulesConfig, today: dt.date) -> dt.date:
    return today + dt.timedelta(days=config.max_days_ahead)


def point_in_polygon(lon: float, lat: float, polygon: Iterable[Iterable[float]]) -> bool:
    """Even-odd ray casting on [lon, lat] vertices (closed or not); a point on the boundary is inside."""
    pts = [tuple(p) for p in polygon]
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts.pop()
    inside = False
    n = len(pts)
    for i in range(n):
        (x1, y1), (x2, y2) = pts[i], pts[(i + 1) % n]
        cross = (x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1)
        if abs(cross) <= 1e-12 and min(x1, x2) <= lon <= max(x1, x2) and min(y1, y2) <= lat <= max(y1, y2):
            return True
        if (y1 > lat) != (y2 > lat):
            x_at_lat = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_at_lat:
                inside = not inside
    return inside


def _signed_area(pts: Iterable[Iterable[float]]) -> float:
    p = [tuple(q) for q in pts]
    return sum(p[i][0] * p[(i + 1) % len(p)][1] - p[(i + 1) % len(p)][0] * p[i][1] for i in range(len(p))) / 2


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _blank(x: Any) -> bool:
    return x is None or (isinstance(x, str) and not x.strip())


def evaluate(request: RuleRequest, config: RulesConfig, ctx: RuleContext) -> RuleDecision:
    """Apply every collection rule; the decision lists every reason for a refusal, not just the first."""
    reasons: list[RuleReason] = []

    def refuse(code: str, field: str | None = None, **params: Any) -> None:
        overridable = config.is_overridable(code, params.get("category"))
        reasons.append(RuleReason(code, field or REASON_FIELDS[code], params, overridable))

    # Volume.
    volume = request.volume_m3
    if not _finite(volume) or volume <= 0:
        refuse("volume_invalid", volume_m3=volume if _finite(volume) else str(volume))
    else:
        if volume < config.min_volume_m3:
            refuse("volume_below_minimum", volume_m3=volume, min_m3=config.min_volume_m3)
        if volume > ctx.largest_van_m3:
            refuse("volume_above_van", volume_m3=volume, max_m3=ctx.largest_van_m3)
        elif config.max_volume_m3 is not None and volume > config.max_volume_m3:
            refuse("volume_above_maximum", volume_m3=volume, max_m3=config.max_volume_m3)

    # Categories.
    seen: set[str] = set()
    for raw in request.categories:
        category = str(raw).strip().lower()
        if category in seen:
            continue
        seen.add(category)
        if category in config.refused_categories:
            refused = config.refused_categories[category]
            refuse(
                "category_refused",
                category=category,
                label_fr=config.label(category, "fr"),
                label_en=config.label(category, "en"),
                reason_fr=refused.fr,
                reason_en=refused.en,
            )
        elif category not in config.accepted_categories:
            refuse(
                "category_unknown",
                category=str(raw),
                accepted=list(config.accepted_categories),
                accepted_fr=", ".join(config.label(c, "fr") for c in config.accepted_categories),
                accepted_en=", ".join(config.label(c, "en") for c in config.accepted_categories),
            )

    # Zone: postcode, then position (polygon, road network).
    postcode = "" if request.postcode is None else str(request.postcode).replace(" ", "").strip()
    if not postcode:
        refuse("missing_detail", "postcode", detail="postcode")
    elif postcode not in config.served_postcodes:
        refuse("outside_zone", postcode=postcode, communes=[c.name for c in config.served_zone.extra_communes])
    lat, lon = request.lat, request.lon
    if not (_finite(lat) and _finite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        refuse("position_invalid", lat=lat if _finite(lat) else str(lat), lon=lon if _finite(lon) else str(lon))
    else:
        polygon = config.served_zone.polygon
        if polygon is not None and not point_in_polygon(lon, lat, polygon):
            refuse("position_outside_zone", lat=lat, lon=lon)
        if not ctx.in_graph_area(lat, lon):
            refuse("position_off_network", lat=lat, lon=lon)

    # Date: collection day, lead time, horizon.
    day = request.date.date() if isinstance(request.date, dt.datetime) else request.date
    if day.weekday() == 6:
        refuse("date_not_collection_day", date=day.isoformat(), kind="sunday", holiday=None)
    elif day in french_public_holidays(day.year):
        refuse("date_not_collection_day", date=day.isoformat(), kind="holiday", holiday=french_public_holidays(day.year)[day])
    earliest, latest = earliest_date(config, ctx.today), latest_date(config, ctx.today)
    if day < earliest:
        refuse(
            "date_too_soon",
            date=day.isoformat(),
            today=ctx.today.isoformat(),
            earliest=earliest.isoformat(),
            min_lead_working_days=config.min_lead_working_days,
        )
    elif day > latest:
        refuse("date_too_far", date=day.isoformat(), latest=latest.isoformat(), max_days_ahead=config.max_days_ahead)

    # Slot and capacity.
    slot = _slot_value(request.slot)
    if slot not in SLOTS:
        refuse("slot_unknown", slot=slot, known=list(SLOTS))
    booked_day = ctx.booked_day(day)
    if booked_day >= config.daily_capacity:
        refuse("day_full", date=day.isoformat(), booked=booked_day, capacity=config.daily_capacity)
    if slot in SLOTS:
        booked_slot, capacity = ctx.booked_slot(day, slot), config.slot_capacity[slot]
        if booked_slot >= capacity:
            refuse("slot_full", date=day.isoformat(), slot=slot, booked=booked_slot, capacity=capacity)
    # The day is already planned: the visit must still fit one of its rounds (trial insertion), else the
    # crews would be promised a pickup they cannot make. Checked only when nothing else (volume, zone,
    # position, calendar) refused the request already.
    if ctx.slot_fits is not None and slot in SLOTS and not reasons:
        if not ctx.slot_fits(day, slot):
            refuse("no_room_in_plan", date=day.isoformat(), slot=slot)

    # Donor details.
    for detail in config.required_details:
        if detail == "phone" and _blank(request.phone):
            refuse("missing_detail", "phone", detail="phone")
        elif detail == "floor" and request.floor is None:
            refuse("missing_detail", "floor", detail="floor")
        elif detail == "has_lift" and request.floor is not None and request.floor > 0 and request.has_lift is None:
            refuse("missing_detail", "has_lift", detail="has_lift", floor=request.floor)
        elif detail == "access_code" and _blank(request.access_code):
            refuse("missing_detail", "access_code", detail="access_code")
        elif detail == "categories" and not request.categories:
            refuse("missing_detail", "categories", detail="categories")

    alternatives: list[tuple[dt.date, str]] = []
    if any(r.code in _DATE_CODES for r in reasons):
        alternatives = next_slots(config, ctx, from_day=day if day <= latest else ctx.today)
    return RuleDecision(accepted=not reasons, reasons=reasons, alternatives=alternatives)


def override(decision: RuleDecision, *, by: str, reason: str) -> RuleDecision:
    """Accept a refused request on the switchboard's responsibility; the original reasons are kept.

    Raises :class:`OverrideError` (a ``ValueError``) when ``by`` is empty, ``reason`` is shorter than
    5 characters or there is no refusal to override, and :class:`OverrideNotAllowed` when a reason
    is not overridable (naming it).
    """
    if decision.overridden:
        raise OverrideError(f"this decision was already overridden by {decision.overridden_by}")
    if decision.accepted:
        raise OverrideError("the request was accepted: there is no refusal to override")
    who = by.strip() if isinstance(by, str) else ""
    if not who:
        raise OverrideError("say who overrides the refusal (by=...)", field="by")
    why = reason.strip() if isinstance(reason, str) else ""
    if len(why) < 5:
        raise OverrideError(
            "an override needs a reason of at least 5 characters, recorded with the decision "
            f"(got {why!r})",
            field="reason",
        )
    blocked = [r for r in decision.reasons if not r.overridable]
    if blocked:
        listed = "; ".join(
            f"{r.code}" + (f" ({r.params['category']})" if "category" in r.params else "") + f": {r.message('en')}"
            for r in blocked
        )
        raise OverrideNotAllowed(
            f"this refusal cannot be overridden because of {listed}", reasons=blocked, field=blocked[0].field
        )
    return dataclasses.replace(decision, accepted=True, overridden_by=who, override_reason=why)


def next_slots(config: RulesConfig, ctx: RuleContext, *, from_day: dt.date, count: int = 6) -> list[tuple[dt.date, str]]:
    """The next bookable (date, slot) pairs from ``from_day`` on (inclusive), in order.

    A pair is bookable when the day is a collection day, respects the lead time and the horizon,
    neither the day nor the slot is full, and (with ``ctx.slot_fits``) the visit still fits the day's
    plan by trial insertion (a day with no plan yet is judged by this calendar alone).
    """
    found: list[tuple[dt.date, str]] = []
    day = max(from_day, earliest_date(config, ctx.today))
    last = latest_date(config, ctx.today)
    while day <= last and len(found) < count:
        if is_collection_day(day) and ctx.booked_day(day) < config.daily_capacity:
            for slot in SLOTS:
                if (ctx.booked_slot(day, slot) < config.slot_capacity[slot] and len(found) < count
                        and (ctx.slot_fits is None or ctx.slot_fits(day, slot))):
                    found.append((day, slot))
        day += dt.timedelta(days=1)
    return found


# --------------------------------------------------------------------------------------------------
# Messages (French and English), rendered from the code and the params only
# --------------------------------------------------------------------------------------------------

_FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_FR_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_HOLIDAYS_EN = {
    "Jour de l'an": "New Year's Day",
    "Lundi de Pâques": "Easter Monday",
    "Fête du travail": "Labour Day",
    "Victoire 1945": "Victory in Europe Day",
    "Ascension": "Ascension Day",
    "Lundi de Pentecôte": "Whit Monday",
    "Fête nationale": "Bastille Day",
    "Assomption": "Assumption Day",
    "Toussaint": "All Saints' Day",
    "Armistice 1918": "Armistice Day",
    "Noël": "Christmas Day",
}
_SLOT_FR = {"morning": "du matin", "afternoon": "de l'après-midi"}
_SLOT_EN = {"morning": "morning", "afternoon": "afternoon"}


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use 'fr' or 'en'")


def _num(x: Any, lang: str) -> str:
    if not _finite(x):
        return str(x)
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


def _date(iso: str, lang: str) -> str:
    d = dt.date.fromisoformat(iso)
    if lang == "fr":
        return f"{_FR_DAYS[d.weekday()]} {'1er' if d.day == 1 else d.day} {_FR_MONTHS[d.month - 1]} {d.year}"
    return f"{_EN_DAYS[d.weekday()]} {d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def _msg_volume_invalid(p: dict, lang: str) -> str:
    v = _num(p["volume_m3"], lang)
    if lang == "fr":
        return f"Le volume indiqué ({v}) n'est pas valide : merci d'indiquer une estimation en m³, supérieure à zéro."
    return f"The volume given ({v}) is not valid: please give an estimate in m³, above zero."


def _msg_volume_below_minimum(p: dict, lang: str) -> str:
    v, low = _num(p["volume_m3"], lang), _num(p["min_m3"], lang)
    if lang == "fr":
        return (
            f"Le volume ({v} m³) est inférieur au minimum de {low} m³ pour un enlèvement à domicile : "
            "déposez vos dons dans le point relais le plus proche."
        )
    return (
        f"The volume ({v} m³) is below the {low} m³ minimum for a home pickup: "
        "please bring your donation to the nearest relay point."
    )


def _msg_volume_above_van(p: dict, lang: str) -> str:
    v, high = _num(p["volume_m3"], lang), _num(p["max_m3"], lang)
    if not p["max_m3"] or p["max_m3"] <= 0:
        if lang == "fr":
            return "Aucun camion n'est disponible pour les enlèvements à domicile en ce moment : merci de nous rappeler plus tard."
        return "No van is available for home pickups at the moment: please call us again later."
    if lang == "fr":
        return (
            f"Le volume ({v} m³) dépasse la capacité de notre plus grand camion ({high} m³) : "
            "merci de répartir le don en plusieurs demandes."
        )
    return (
        f"The volume ({v} m³) exceeds the capacity of our largest van ({high} m³): "
        "please split the donation into several requests."
    )


def _msg_volume_above_maximum(p: dict, lang: str) -> str:
    v, high = _num(p["volume_m3"], lang), _num(p["max_m3"], lang)
    if lang == "fr":
        return (
            f"Le volume ({v} m³) dépasse le maximum de {high} m³ pour un enlèvement à domicile : "
            "merci de répartir le don en plusieurs demandes."
        )
    return (
        f"The volume ({v} m³) is above the {high} m³ maximum for a home pickup: "
        "please split the donation into several requests."
    )


def _msg_category_refused(p: dict, lang: str) -> str:
    return p["reason_fr"] if lang == "fr" else p["reason_en"]


def _msg_category_unknown(p: dict, lang: str) -> str:
    if lang == "fr":
        return (
            f"La catégorie « {p['category']} » ne fait pas partie des dons que nous collectons ; "
            f"catégories acceptées : {p['accepted_fr']}."
        )
    return f"The category “{p['category']}” is not one we collect; accepted categories: {p['accepted_en']}."


def _msg_outside_zone(p: dict, lang: str) -> str:
    communes = ", ".join(p.get("communes") or ())
    if lang == "fr":
        area = f"Paris et communes voisines : {communes}" if communes else "Paris"
        return (
            f"Le code postal {p['postcode']} est en dehors de notre zone d'enlèvement à domicile ({area}) : "
            "déposez vos dons dans le point relais le plus proche."
        )
    area = f"Paris and the neighbouring towns: {communes}" if communes else "Paris"
    return (
        f"Postcode {p['postcode']} is outside our home-pickup area ({area}): "
        "please bring your donation to the nearest relay point."
    )


def _msg_position_invalid(p: dict, lang: str) -> str:
    if lang == "fr":
        return (
            f"La position de l'adresse n'est pas valide (latitude {_num(p['lat'], lang)}, "
            f"longitude {_num(p['lon'], lang)}) : merci de vérifier l'adresse."
        )
    return (
        f"The address's position is not valid (latitude {_num(p['lat'], lang)}, "
        f"longitude {_num(p['lon'], lang)}): please check the address."
    )


def _msg_position_outside_zone(p: dict, lang: str) -> str:
    if lang == "fr":
        return (
            "L'adresse est en dehors du périmètre où nous faisons des enlèvements à domicile : "
            "déposez vos dons dans le point relais le plus proche."
        )
    return "The address is outside the area where we do home pickups: please bring your donation to the nearest relay point."


def _msg_position_off_network(p: dict, lang: str) -> str:
    if lang == "fr":
        return (
            "Nous n'arrivons pas à situer l'adresse sur le plan de nos tournées : "
            "merci de vérifier l'adresse (numéro, rue, code postal)."
        )
    return "We cannot place the address on the map of our rounds: please check the address (number, street, postcode)."


def _msg_date_not_collection_day(p: dict, lang: str) -> str:
    day = _date(p["date"], lang)
    if p.get("kind") == "holiday":
        name = p.get("holiday") or ""
        if lang == "fr":
            return f"Le {day} est un jour férié ({name}) : pas de collecte ce jour-là, merci de choisir une autre date."
        return f"{day} is a public holiday ({_HOLIDAYS_EN.get(name, name)}): no collection that day, please choose another date."
    if lang == "fr":
        return f"Nous ne collectons pas le dimanche ({day}) : merci de choisir un jour du lundi au samedi, hors jours fériés."
    return f"We do not collect on Sundays ({day}): please choose a day from Monday to Saturday, except public holidays."


def _msg_date_too_soon(p: dict, lang: str) -> str:
    day, earliest, n = _date(p["date"], lang), _date(p["earliest"], lang), p["min_lead_working_days"]
    past = p["date"] < p["today"]
    if lang == "fr":
        if past:
            return f"La date du {day} est déjà passée : la première date possible est le {earliest}."
        days = "jour de collecte" if n == 1 else "jours de collecte"
        return (
            f"Le {day} est trop proche : il nous faut au moins {n} {days} pour organiser la tournée ; "
            f"la première date possible est le {earliest}."
        )
    if past:
        return f"{day} is in the past: the earliest possible date is {earliest}."
    days = "collection day" if n == 1 else "collection days"
    return f"{day} is too soon: we need at least {n} {days} to plan the round; the earliest possible date is {earliest}."


def _msg_date_too_far(p: dict, lang: str) -> str:
    day, latest, n = _date(p["date"], lang), _date(p["latest"], lang), p["max_days_ahead"]
    if lang == "fr":
        return (
            f"Le {day} est trop loin : nous planifions les enlèvements au plus {n} jours à l'avance "
            f"(jusqu'au {latest}) ; merci de nous rappeler plus près de la date."
        )
    return f"{day} is too far ahead: we book pickups at most {n} days ahead (until {latest}); please call us again closer to the date."


def _msg_day_full(p: dict, lang: str) -> str:
    day, booked, cap = _date(p["date"], lang), p["booked"], p["capacity"]
    if lang == "fr":
        if cap <= 0:
            return f"Aucun enlèvement à domicile n'est possible le {day} : merci de choisir une autre date."
        return f"Le {day} est complet ({booked} enlèvements déjà prévus sur {cap} possibles) : merci de choisir une autre date."
    if cap <= 0:
        return f"No home pickup is possible on {day}: please choose another date."
    return f"{day} is full ({booked} of {cap} pickups already booked): please choose another date."


def _msg_slot_full(p: dict, lang: str) -> str:
    day, booked, cap, slot = _date(p["date"], lang), p["booked"], p["capacity"], p["slot"]
    if lang == "fr":
        name = _SLOT_FR.get(slot, f"« {slot} »")
        if cap <= 0:
            return f"Il n'y a pas de créneau {name} le {day} : merci de choisir un autre créneau."
        return (
            f"Le créneau {name} du {day} est complet ({booked} enlèvements déjà prévus sur {cap} possibles) : "
            "merci de choisir un autre créneau."
        )
    name = _SLOT_EN.get(slot, slot)
    if cap <= 0:
        return f"There is no {name} slot on {day}: please choose another slot."
    return f"The {name} slot on {day} is full ({booked} of {cap} pickups already booked): please choose another slot."


def _msg_slot_unknown(p: dict, lang: str) -> str:
    if lang == "fr":
        return f"Le créneau « {p['slot']} » n'existe pas : merci de choisir le matin ou l'après-midi."
    return f"There is no “{p['slot']}” slot: please choose morning or afternoon."


def _msg_no_room_in_plan(p: dict, lang: str) -> str:
    day, slot = _date(p["date"], lang), p["slot"]
    if lang == "fr":
        name = _SLOT_FR.get(slot, f"« {slot} »")
        return (f"Les tournées du {day} sont déjà prévues et l'enlèvement n'y trouve plus de place sur le créneau "
                f"{name} : merci de choisir un autre créneau.")
    name = _SLOT_EN.get(slot, slot)
    return (f"The rounds of {day} are already planned and the pickup no longer fits them in the {name} slot: "
            "please choose another slot.")


def _ordinal_floor(floor: Any, lang: str) -> str:
    if lang == "fr":
        return "1er" if floor == 1 else f"{floor}e"
    n = int(floor)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _msg_missing_detail(p: dict, lang: str) -> str:
    detail = p["detail"]
    if detail == "has_lift" and p.get("floor") is not None:
        floor = _ordinal_floor(p["floor"], lang)
        if lang == "fr":
            return f"Merci d'indiquer s'il y a un ascenseur (le don est au {floor} étage)."
        return f"Please say whether there is a lift (the donation is on the {floor} floor)."
    fr = {
        "phone": "Le numéro de téléphone du donateur est obligatoire : l'équipe appelle avant de passer.",
        "floor": "Merci d'indiquer l'étage (0 pour un rez-de-chaussée ou une maison).",
        "has_lift": "Merci d'indiquer s'il y a un ascenseur.",
        "access_code": "Merci d'indiquer le code d'accès (digicode) de l'immeuble.",
        "categories": "Merci d'indiquer ce que vous donnez (meubles, livres, vaisselle…).",
        "postcode": "Le code postal de l'adresse est obligatoire.",
    }
    en = {
        "phone": "The donor's phone number is required: the crew calls before coming.",
        "floor": "Please give the floor (0 for a ground floor or a house).",
        "has_lift": "Please say whether there is a lift.",
        "access_code": "Please give the building's access code.",
        "categories": "Please say what you are giving (furniture, books, dishes…).",
        "postcode": "The address's postcode is required.",
    }
    if lang == "fr":
        return fr.get(detail, f"Merci d'indiquer : {detail}.")
    return en.get(detail, f"Please give: {detail}.")


_MESSAGES: dict[str, Callable[[dict, str], str]] = {
    "volume_invalid": _msg_volume_invalid,
    "volume_below_minimum": _msg_volume_below_minimum,
    "volume_above_van": _msg_volume_above_van,
    "volume_above_maximum": _msg_volume_above_maximum,
    "category_refused": _msg_category_refused,
    "category_unknown": _msg_category_unknown,
    "outside_zone": _msg_outside_zone,
    "position_invalid": _msg_position_invalid,
    "position_outside_zone": _msg_position_outside_zone,
    "position_off_network": _msg_position_off_network,
    "date_not_collection_day": _msg_date_not_collection_day,
    "date_too_soon": _msg_date_too_soon,
    "date_too_far": _msg_date_too_far,
    "day_full": _msg_day_full,
    "slot_full": _msg_slot_full,
    "slot_unknown": _msg_slot_unknown,
    "no_room_in_plan": _msg_no_room_in_plan,
    "missing_detail": _msg_missing_detail,
    "online_open_limit": lambda p, lang: (
        f"Ce numéro a déjà {p['open']} demandes en cours : appelez le standard pour en ajouter une."
        if lang == "fr" else
        f"This phone number already has {p['open']} open requests: call the switchboard to add another."),
    "online_daily_cap": lambda p, lang: (
        "Les demandes en ligne sont complètes pour aujourd'hui : votre demande est enregistrée, le standard "
        "vous rappellera (ou appelez-le)." if lang == "fr" else
        "Online requests are full for today: your request is recorded and the switchboard will call you back "
        "(or call it)."),
}
assert set(_MESSAGES) == set(REASON_FIELDS), "every reason code needs a message"
