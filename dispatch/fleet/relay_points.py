"""Relay points' records as the coordinator edits them: create (a duplicate is a Conflict), change
(pause with a reason, the host's constraints), closures, and the fill reports received.
Services take ``*, session``, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.exchange import check_relay_fields
from dispatch.fleet.checks import check_date_span, checked_reason, checked_weekdays, validate_opening_hours
from dispatch.models import RelayPoint, RelayPointClosure, RelayPointKind
from dispatch.relay_points import get_relay_point


DUPLICATE_DISTANCE_M = 10.0


# Smallest capacity that makes sense: a relay point lends at least a few crates (50 l). Smaller values
# are typing mistakes (0.0001 for 1) and break rate estimates.
MIN_RELAY_CAPACITY_M3 = 0.05


RELAY_POINT_FIELDS = (
    "name", "address", "postcode", "arrondissement", "capacity_m3", "daily_rate_m3", "opening_hours",
    "contact_name", "contact_phone", "access_notes", "no_visit_weekdays", "max_visits_per_week",
    "active", "paused", "pause_reason",
)


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def _clean_relay_fields(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "capacity_m3" in out and (out["capacity_m3"] is None or out["capacity_m3"] < MIN_RELAY_CAPACITY_M3):
        raise InvalidInput(f"capacity_m3 must be at least {MIN_RELAY_CAPACITY_M3:g} m³", field="capacity_m3")
    if "daily_rate_m3" in out and (out["daily_rate_m3"] is None or out["daily_rate_m3"] < 0):
        raise InvalidInput("daily_rate_m3 must not be negative", field="daily_rate_m3")
    if "opening_hours" in out:
        out["opening_hours"] = validate_opening_hours(out["opening_hours"] or [])
    if "no_visit_weekdays" in out:
        out["no_visit_weekdays"] = checked_weekdays(out["no_visit_weekdays"] or [], "no_visit_weekdays")
    if out.get("max_visits_per_week") is not None and out["max_visits_per_week"] < 1:
        raise InvalidInput("max_visits_per_week must be at least 1 (or null for no limit)", field="max_visits_per_week")
    return out


def create_relay_point(values: dict[str, Any], *, session: Session) -> RelayPoint:
    """A new relay point. A code already used, or a relay point of the same name within 10 m, is a Conflict."""
    values = _clean_relay_fields(values)
    code = str(values.get("code") or "").strip()
    if not code:
        raise InvalidInput("give a code (e.g. AMI-75019-03)", field="code")
    check_relay_fields(values)
    existing = session.scalars(select(RelayPoint).where(RelayPoint.code == code)).first()
    if existing is not None:
        raise Conflict(f"code {code!r} is already used by relay point {existing.id} ({existing.name})", field="code")
    name = str(values.get("name") or "").strip()
    for rp in session.scalars(select(RelayPoint).where(func.lower(RelayPoint.name) == name.lower())).all():
        d = _distance_m(rp.lat, rp.lon, values["lat"], values["lon"])
        if d <= DUPLICATE_DISTANCE_M:
            raise Conflict(
                f"relay point {rp.id} ({rp.name}, {rp.code}) has the same name {d:.0f} m away: it is probably the same "
                "place; update it instead",
                field="name",
            )
    try:
        kind = RelayPointKind(values.get("kind") or "shop")
    except ValueError:
        raise InvalidInput(f"kind must be one of {', '.join(k.value for k in RelayPointKind)}", field="kind") from None
    rp = RelayPoint(
        code=code, name=name, kind=kind, address=values["address"], postcode=values["postcode"],
        arrondissement=values.get("arrondissement"), lat=values["lat"], lon=values["lon"],
        capacity_m3=values["capacity_m3"], stock_m3=0.0, full=False, daily_rate_m3=values.get("daily_rate_m3", 0.1),
        opening_hours=values.get("opening_hours") or [], contact_name=values.get("contact_name"),
        contact_phone=values.get("contact_phone"), access_notes=values.get("access_notes"),
        no_visit_weekdays=values.get("no_visit_weekdays") or [],
        max_visits_per_week=values.get("max_visits_per_week"), active=values.get("active", True),
        paused=bool(values.get("paused", False)), pause_reason=values.get("pause_reason"),
    )
    if rp.paused and not (rp.pause_reason or "").strip():
        raise InvalidInput("a paused relay point needs a pause_reason", field="pause_reason")
    session.add(rp)
    session.flush()
    return rp


def update_relay_point(relay_point_id: int, changes: dict[str, Any], *, session: Session) -> RelayPoint:
    """Change what is given (``changes`` holds only the fields sent). Pausing needs a reason; resuming
    clears it. A smaller capacity caps the current stock."""
    rp = get_relay_point(relay_point_id, session=session)
    unknown = sorted(set(changes) - set(RELAY_POINT_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    changes = _clean_relay_fields(changes)
    check_relay_fields(changes)
    for name in ("name", "address", "postcode"):
        if name in changes and not (changes[name] or "").strip():
            raise InvalidInput(f"{name} must not be empty", field=name)
    for name, value in changes.items():
        if name in ("active",) and value is None:
            raise InvalidInput(f"{name} must be true or false", field=name)
        if name == "paused":
            continue
        setattr(rp, name, value)
    if "paused" in changes:
        if changes["paused"]:
            reason = (changes.get("pause_reason") or "").strip()
            if not reason:
                raise InvalidInput("say why the relay point is paused (pause_reason)", field="pause_reason")
            rp.paused, rp.pause_reason = True, reason
        else:
            rp.paused, rp.pause_reason = False, None
    elif "pause_reason" in changes and not rp.paused:
        rp.pause_reason = None
    if rp.stock_m3 > rp.capacity_m3:
        rp.stock_m3 = rp.capacity_m3
    session.flush()
    return rp


def list_closures(relay_point_id: int, *, session: Session) -> list[RelayPointClosure]:
    get_relay_point(relay_point_id, session=session)
    return list(session.scalars(select(RelayPointClosure).where(RelayPointClosure.relay_point_id == relay_point_id)
                                .order_by(RelayPointClosure.start_date, RelayPointClosure.id)).all())


def add_closure(relay_point_id: int, start: dt.date, end: dt.date, reason: str, *, session: Session
                ) -> RelayPointClosure:
    rp = get_relay_point(relay_point_id, session=session)
    check_date_span(start, end)
    closure = RelayPointClosure(relay_point_id=relay_point_id, start_date=start, end_date=end, reason=checked_reason(reason))
    session.add(closure)
    session.flush()
    session.expire(rp, ["closures"])  # a view-only collection: reload it when next read
    return closure


def delete_closure(relay_point_id: int, closure_id: int, *, session: Session) -> None:
    closure = session.get(RelayPointClosure, closure_id)
    if closure is None or closure.relay_point_id != relay_point_id:
        raise NotFound(f"closure {closure_id} of relay point {relay_point_id} does not exist", field="closure_id")
    session.delete(closure)
    session.flush()
    rp = session.get(RelayPoint, relay_point_id)
    if rp is not None:
        session.expire(rp, ["closures"])


def list_reports(relay_point_id: int, *, session: Session, limit: int, offset: int):
    """Fill reports, newest first, paged: (items, total)."""
    from dispatch.models import StockReport

    get_relay_point(relay_point_id, session=session)
    base = select(StockReport).where(StockReport.relay_point_id == relay_point_id)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    items = session.scalars(base.order_by(StockReport.reported_at.desc(), StockReport.id.desc())
                            .limit(limit).offset(offset)).all()
    return list(items), total
