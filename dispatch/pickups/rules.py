"""The collection rules applied to a home-pickup request.

:func:`evaluate` applies every rule of a :class:`~dispatch.pickups.rules_file.RulesConfig` to one
:class:`~dispatch.pickups.rule_decision.RuleRequest`, step by step (volume, categories, zone, date, slot and
capacity, room in the day's plan, donor details), and returns a
:class:`~dispatch.pickups.rule_decision.RuleDecision` carrying *every* reason for a refusal, with other
bookable (date, slot) pairs when the date or the slot was refused. :func:`next_slots` proposes the next
bookable pairs (checked against the days' plans by trial insertion when the caller passes
``RuleContext.slot_fits``); :func:`earliest_date` and :func:`latest_date` bound the dates a request may ask.

The rules file and its validation are in :mod:`dispatch.pickups.rules_file`, the request, context and
decision (and the switchboard's override) in :mod:`dispatch.pickups.rule_decision`, the messages to donors in
:mod:`dispatch.pickups.rule_messages`.

Pure: no database, no network, nothing read or created at import. The caller computes what needs
the database or the road graph and passes it in ``RuleContext``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from dispatch.pickups.rule_decision import RuleContext, RuleDecision, RuleReason, RuleRequest, slot_value
from dispatch.pickups.rule_messages import is_finite
from dispatch.pickups.rules_file import REASON_FIELDS, SLOTS, RulesConfig
from dispatch.workdays import french_public_holidays, is_collection_day, next_collection_day

# Reasons after which the decision proposes other (date, slot) pairs.
_DATE_CODES = frozenset({"date_not_collection_day", "date_too_soon", "date_too_far", "day_full", "slot_full", "slot_unknown",
                         "no_room_in_plan"})


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


def _blank(x: Any) -> bool:
    return x is None or (isinstance(x, str) and not x.strip())


class _Refusals:
    """The reasons found so far, in the order the rules are applied; called to add one."""

    def __init__(self, config: RulesConfig) -> None:
        self.config = config
        self.reasons: list[RuleReason] = []

    def __call__(self, code: str, field: str | None = None, **params: Any) -> None:
        overridable = self.config.is_overridable(code, params.get("category"))
        self.reasons.append(RuleReason(code, field or REASON_FIELDS[code], params, overridable))


def _check_volume(request: RuleRequest, config: RulesConfig, ctx: RuleContext, refuse: _Refusals) -> None:
    volume = request.volume_m3
    if not is_finite(volume) or volume <= 0:
        refuse("volume_invalid", volume_m3=volume if is_finite(volume) else str(volume))
        return
    if volume < config.min_volume_m3:
        refuse("volume_below_minimum", volume_m3=volume, min_m3=config.min_volume_m3)
    if volume > ctx.largest_van_m3:
        refuse("volume_above_van", volume_m3=volume, max_m3=ctx.largest_van_m3)
    elif config.max_volume_m3 is not None and volume > config.max_volume_m3:
        refuse("volume_above_maximum", volume_m3=volume, max_m3=config.max_volume_m3)


def _check_categories(request: RuleRequest, config: RulesConfig, refuse: _Refusals) -> None:
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


def _check_zone(request: RuleRequest, config: RulesConfig, ctx: RuleContext, refuse: _Refusals) -> None:
    """The postcode, then the position (the served polygon, the road network)."""
    postcode = "" if request.postcode is None else str(request.postcode).replace(" ", "").strip()
    if not postcode:
        refuse("missing_detail", "postcode", detail="postcode")
    elif postcode not in config.served_postcodes:
        refuse("outside_zone", postcode=postcode, communes=[c.name for c in config.served_zone.extra_communes])
    lat, lon = request.lat, request.lon
    if not (is_finite(lat) and is_finite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        refuse("position_invalid", lat=lat if is_finite(lat) else str(lat), lon=lon if is_finite(lon) else str(lon))
        return
    polygon = config.served_zone.polygon
    if polygon is not None and not point_in_polygon(lon, lat, polygon):
        refuse("position_outside_zone", lat=lat, lon=lon)
    if not ctx.in_graph_area(lat, lon):
        refuse("position_off_network", lat=lat, lon=lon)


def _check_date(day: dt.date, config: RulesConfig, ctx: RuleContext, refuse: _Refusals) -> None:
    """A collection day, the lead time, the horizon."""
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


def _check_capacity(day: dt.date, slot: str, config: RulesConfig, ctx: RuleContext, refuse: _Refusals) -> None:
    """A known slot, room left on the day and on the slot, and room in the day's plan."""
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
    if ctx.slot_fits is not None and slot in SLOTS and not refuse.reasons:
        if not ctx.slot_fits(day, slot):
            refuse("no_room_in_plan", date=day.isoformat(), slot=slot)


def _check_details(request: RuleRequest, config: RulesConfig, refuse: _Refusals) -> None:
    """The donor details the rules file requires."""
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


def evaluate(request: RuleRequest, config: RulesConfig, ctx: RuleContext) -> RuleDecision:
    """Apply every collection rule; the decision lists every reason for a refusal, not just the first."""
    refuse = _Refusals(config)
    day = request.date.date() if isinstance(request.date, dt.datetime) else request.date
    _check_volume(request, config, ctx, refuse)
    _check_categories(request, config, refuse)
    _check_zone(request, config, ctx, refuse)
    _check_date(day, config, ctx, refuse)
    _check_capacity(day, slot_value(request.slot), config, ctx, refuse)
    _check_details(request, config, refuse)
    reasons = refuse.reasons
    alternatives: list[tuple[dt.date, str]] = []
    if any(r.code in _DATE_CODES for r in reasons):
        latest = latest_date(config, ctx.today)
        alternatives = next_slots(config, ctx, from_day=day if day <= latest else ctx.today)
    return RuleDecision(accepted=not reasons, reasons=reasons, alternatives=alternatives)


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
