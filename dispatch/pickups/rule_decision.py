"""A request as the collection rules see it, what they need from outside, and their decision.

:class:`RuleRequest` is what the rules look at in a home-pickup request; :class:`RuleContext` what they need
from the database and the road graph, computed by the caller. :class:`RuleDecision` carries *every* reason for
a refusal (:class:`RuleReason`: a stable ``code``, the request ``field`` at fault, its ``params``, whether the
switchboard may override it) and the bookable (date, slot) pairs proposed instead; a decision is stored as a
dict and read back (:meth:`RuleDecision.to_dict`, :meth:`RuleDecision.from_dict`), its messages rendered
from the codes alone (:mod:`dispatch.pickups.rule_messages`). :func:`override` lets switchboard staff accept
a refused request with a recorded reason.

Pure: no database, no network, nothing read or created at import.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dispatch.errors import InvalidInput
from dispatch.pickups.rule_messages import reason_message


class OverrideError(InvalidInput, ValueError):
    """An override request is malformed (no author, reason too short, nothing to override)."""


class OverrideNotAllowed(OverrideError):
    """The decision holds reasons the switchboard may not override; ``reasons`` lists them."""

    def __init__(self, message: str, *, reasons: Iterable[RuleReason], field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.reasons = list(reasons)


def slot_value(slot: Any) -> str:
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
            key = (day, slot_value(slot))
            per_slot[key] = per_slot.get(key, 0) + int(count)
            per_day[day] = per_day.get(day, 0) + int(count)
        object.__setattr__(self, "_per_slot", per_slot)
        object.__setattr__(self, "_per_day", per_day)

    def booked_slot(self, day: dt.date, slot: Any) -> int:
        return self._per_slot.get((day, slot_value(slot)), 0)  # type: ignore[attr-defined]

    def booked_day(self, day: dt.date) -> int:
        return self._per_day.get(day, 0)  # type: ignore[attr-defined]


@dataclasses.dataclass(frozen=True)
class RuleReason:
    code: str
    field: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    overridable: bool = True

    def message(self, lang: str = "fr") -> str:
        return reason_message(self.code, self.params, lang)

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
