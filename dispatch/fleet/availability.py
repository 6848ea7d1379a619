"""Lifecycles and calendars: relay points (pause, closures, host constraints), vans and crews
(maintenance, absences), and the life of a home pickup (events, rescheduling after a missed visit,
the donor's tracking view).

The planner asks :func:`relay_point_blocks` which relay points cannot be visited on a day and why,
and :func:`fleet_for_day` which crews (each with its van) work that day and which vans are out.
Services take ``*, session``, flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.exchange.fields import check_relay_fields
from dispatch.models import (
    CREW_DEFAULTS,
    Crew,
    CrewUnavailability,
    Depot,
    PickupEvent,
    PickupRequest,
    PickupStatus,
    Plan,
    PlanStatus,
    RelayPoint,
    RelayPointClosure,
    RelayPointKind,
    Round,
    Slot,
    Stop,
    StopKind,
    Van,
    VanUnavailability,
    utcnow,
)
from dispatch.relay_points.points import get_relay_point, parse_hhmm
from dispatch.workdays import is_collection_day

WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
DUPLICATE_DISTANCE_M = 10.0
RESCHEDULE_SEARCH_DAYS = 30
_HHMM = re.compile(r"^([01]\d|2[0-4]):[0-5]\d$")


# ---------------------------------------------------------------------------------------- validation


def _hhmm(value: Any, field: str) -> int:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise InvalidInput(f"{field} must be a time HH:MM (e.g. 09:30), got {value!r}", field=field)
    try:
        return parse_hhmm(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a time between 00:00 and 24:00, got {value!r}", field=field) from None


def _weekdays(values: Any, field: str) -> list[int]:
    if not isinstance(values, list | tuple) or any(not isinstance(d, int) or isinstance(d, bool) for d in values):
        raise InvalidInput(f"{field} must be a list of weekdays 0..6 (Monday = 0)", field=field)
    bad = [d for d in values if not 0 <= d <= 6]
    if bad:
        raise InvalidInput(f"{field}: weekdays are 0..6 (Monday = 0), got {bad}", field=field)
    return sorted(set(values))


def validate_opening_hours(entries: Any) -> list[dict]:
    """[{"days": [0..6], "open": "HH:MM", "close": "HH:MM"}, ...] -> the cleaned list, or InvalidInput
    naming the entry at fault (``opening_hours[1].close``)."""
    if not isinstance(entries, list | tuple):
        raise InvalidInput("opening_hours must be a list of {days, open, close}", field="opening_hours")
    out = []
    for i, entry in enumerate(entries):
        where = f"opening_hours[{i}]"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{where} must be an object {{days, open, close}}", field=where)
        days = _weekdays(entry.get("days"), f"{where}.days")
        if not days:
            raise InvalidInput(f"{where}.days must name at least one weekday (Monday = 0)", field=f"{where}.days")
        opens, closes = _hhmm(entry.get("open"), f"{where}.open"), _hhmm(entry.get("close"), f"{where}.close")
        if closes <= opens:
            raise InvalidInput(
                f"{where}: closing time {entry['close']} must be after opening time {entry['open']}",
                field=f"{where}.close",
            )
        out.append({"days": days, "open": entry["open"], "close": entry["close"]})
    return out


def _check_dates(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise InvalidInput(f"end_date {end.isoformat()} is before start_date {start.isoformat()}", field="end_date")


def _reason(reason: Any, field: str = "reason") -> str:
    text = (reason or "").strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput(f"give a {field} (e.g. 'congés du gérant', 'entretien')", field=field)
    return text[:300]


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


# ---------------------------------------------------------------------------------------- relay points

# Smallest capacities that make sense: a relay point lends at least a few crates (50 l), a van holds at
# least half a cubic metre. Smaller values are typing mistakes (0.0001 for 1) and break rate estimates.
MIN_RELAY_CAPACITY_M3 = 0.05
MIN_VAN_CAPACITY_M3 = 0.5

RELAY_POINT_FIELDS = (
    "name", "address", "postcode", "arrondissement", "capacity_m3", "daily_rate_m3", "opening_hours",
    "contact_name", "contact_phone", "access_notes", "no_visit_weekdays", "max_visits_per_week",
    "active", "paused", "pause_reason",
)


def _clean_relay_fields(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "capacity_m3" in out and (out["capacity_m3"] is None or out["capacity_m3"] < MIN_RELAY_CAPACITY_M3):
        raise InvalidInput(f"capacity_m3 must be at least {MIN_RELAY_CAPACITY_M3:g} m³", field="capacity_m3")
    if "daily_rate_m3" in out and (out["daily_rate_m3"] is None or out["daily_rate_m3"] < 0):
        raise InvalidInput("daily_rate_m3 must not be negative", field="daily_rate_m3")
    if "opening_hours" in out:
        out["opening_hours"] = validate_opening_hours(out["opening_hours"] or [])
    if "no_visit_weekdays" in out:
        out["no_visit_weekdays"] = _weekdays(out["no_visit_weekdays"] or [], "no_visit_weekdays")
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
    _check_dates(start, end)
    closure = RelayPointClosure(relay_point_id=relay_point_id, start_date=start, end_date=end, reason=_reason(reason))
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


@dataclass(frozen=True)
class Block:
    """Why a relay point is not visited on a day: a stable ``code`` and the reason in English and French."""

    code: str  # paused | closed | no_visit_day | weekly_limit
    en: str
    fr: str


def _day_plans(week_start: dt.date, week_end: dt.date, exclude: dt.date, *, session: Session) -> list[int]:
    """Per other day of the week: its published plan, else its latest draft."""
    plans = session.execute(
        select(Plan.id, Plan.date, Plan.status).where(Plan.date >= week_start, Plan.date <= week_end, Plan.date != exclude,
                                                     Plan.status != PlanStatus.REPLACED)
        .order_by(Plan.id)
    ).all()
    chosen: dict[dt.date, tuple[bool, int]] = {}
    for pid, day, status in plans:
        key = (status is PlanStatus.PUBLISHED or status == PlanStatus.PUBLISHED.value, pid)
        if day not in chosen or key > chosen[day]:
            chosen[day] = key
    return [pid for _, pid in chosen.values()]


def weekly_visits(day: dt.date, relay_point_ids: list[int], *, session: Session) -> dict[int, int]:
    """Visits planned for each relay point on the other days of ``day``'s ISO week (draft or published)."""
    start = day - dt.timedelta(days=day.weekday())
    plan_ids = _day_plans(start, start + dt.timedelta(days=6), day, session=session)
    if not plan_ids or not relay_point_ids:
        return {}
    rows = session.execute(
        select(Stop.relay_point_id, func.count()).join(Round, Stop.round_id == Round.id)
        .where(Round.plan_id.in_(plan_ids), Stop.kind == StopKind.RELAY_POINT, Stop.relay_point_id.in_(relay_point_ids))
        .group_by(Stop.relay_point_id)
    ).all()
    return {rp_id: n for rp_id, n in rows}


def relay_point_blocks(day: dt.date, rps: list[RelayPoint], *, session: Session) -> dict[int, Block]:
    """The relay points of ``rps`` that must not be visited on ``day``, with why: paused, closed (a closure
    covers the day), the host's no-visit weekday, or the host's weekly maximum already reached."""
    if not rps:
        return {}
    ids = [rp.id for rp in rps]
    closures = session.scalars(
        select(RelayPointClosure).where(RelayPointClosure.relay_point_id.in_(ids), RelayPointClosure.start_date <= day,
                                        RelayPointClosure.end_date >= day).order_by(RelayPointClosure.start_date)
    ).all()
    closed = {}
    for c in closures:
        closed.setdefault(c.relay_point_id, c)
    limited = [rp.id for rp in rps if rp.max_visits_per_week]
    counts = weekly_visits(day, limited, session=session) if limited else {}
    out: dict[int, Block] = {}
    wd = day.weekday()
    for rp in rps:
        if rp.paused:
            why = rp.pause_reason or "no reason given"
            out[rp.id] = Block("paused", f"{rp.name}: paused ({why}): not visited until resumed",
                               f"{rp.name} : en pause ({why}) : pas de passage jusqu'à la reprise")
        elif rp.id in closed:
            c = closed[rp.id]
            out[rp.id] = Block(
                "closed",
                f"{rp.name}: closed from {c.start_date.isoformat()} to {c.end_date.isoformat()} ({c.reason})",
                f"{rp.name} : fermé du {c.start_date.strftime('%d/%m/%Y')} au {c.end_date.strftime('%d/%m/%Y')} "
                f"({c.reason})",
            )
        elif wd in (rp.no_visit_weekdays or []):
            out[rp.id] = Block("no_visit_day", f"{rp.name}: the host asks for no visit on {WEEKDAYS_EN[wd]}s",
                               f"{rp.name} : l'hôte ne souhaite pas de passage le {WEEKDAYS_FR[wd]}")
        elif rp.max_visits_per_week and counts.get(rp.id, 0) >= rp.max_visits_per_week:
            n, cap = counts[rp.id], rp.max_visits_per_week
            out[rp.id] = Block(
                "weekly_limit",
                f"{rp.name}: already {n} visit(s) planned this week (ISO week {day.isocalendar()[1]}), the host's "
                f"maximum is {cap}",
                f"{rp.name} : déjà {n} passage(s) prévu(s) cette semaine (semaine {day.isocalendar()[1]}), "
                f"l'hôte en accepte au plus {cap}",
            )
    return out


def visit_weekdays(rp: RelayPoint) -> frozenset[int]:
    """Weekdays (Monday = 0) a relay point can be visited: open, and not one of the host's no-visit days."""
    from dispatch.planning.forecast import open_weekdays

    return frozenset(open_weekdays(rp.opening_hours or []) - set(rp.no_visit_weekdays or []))


def closed_dates(rp: RelayPoint, day: dt.date, days_ahead: int = 31) -> frozenset[dt.date]:
    """The dates after ``day`` (up to ``days_ahead``) covered by one of the relay point's closures."""
    last = day + dt.timedelta(days=days_ahead)
    out: set[dt.date] = set()
    for c in rp.closures:
        d = max(c.start_date, day + dt.timedelta(days=1))
        while d <= min(c.end_date, last):
            out.add(d)
            d += dt.timedelta(days=1)
    return frozenset(out)


def blocked_decisions(day: dt.date, blocks: dict[str, Block], relay_points: dict, forecasts: dict, *,
                      horizon_days: int) -> dict:
    """The plan's decision ("skip") for each blocked relay point (keys "rp:<id>"), with the forecast's risk
    figures computed as for any closed relay point, and the availability reason in plain English."""
    from dataclasses import replace

    from dispatch.planning.horizon import HorizonInput, decide

    points = []
    for key in blocks:
        rp = relay_points[key]
        points.append(HorizonInput(key=key, forecast=forecasts[key],
                                   open_weekdays=visit_weekdays(rp) - {day.weekday()},
                                   reported_full=rp.full, name=rp.name, closed_dates=closed_dates(rp, day)))
    decided = decide(day, points, horizon_days=horizon_days) if points else {}
    return {key: replace(d, reason=blocks[key].en + ": not visited today") for key, d in decided.items()}


# ---------------------------------------------------------------------------------------- vans and crews

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
            setattr(crew, attr, _hhmm(values[field], field) // 60)
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


_CALENDARS = {"van": (VanUnavailability, "van_id", get_van), "crew": (CrewUnavailability, "crew_id", get_crew)}


def list_unavailability(owner: str, owner_id: int, *, session: Session) -> list:
    model, col, getter = _CALENDARS[owner]
    getter(owner_id, session=session)
    return list(session.scalars(select(model).where(getattr(model, col) == owner_id)
                                .order_by(model.start_date, model.id)).all())


def add_unavailability(owner: str, owner_id: int, start: dt.date, end: dt.date, reason: str, *, session: Session):
    model, col, getter = _CALENDARS[owner]
    getter(owner_id, session=session)
    _check_dates(start, end)
    entry = model(**{col: owner_id}, start_date=start, end_date=end, reason=_reason(reason))
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


# ---------------------------------------------------------------------------------------- pickup lifecycle

STATUS_TEXT = {
    "requested": {"fr": "Demande reçue, en cours d'examen.", "en": "Request received, being reviewed."},
    "accepted": {"fr": "Demande acceptée : enlèvement prévu le {date}, {slot}.",
                 "en": "Request accepted: pickup planned on {date}, {slot}."},
    "rescheduled": {"fr": "Nous n'avons pas pu passer ; nouvel enlèvement prévu le {date}, {slot}.",
                    "en": "We could not collect your donation; new pickup planned on {date}, {slot}."},
    "refused": {"fr": "Nous ne pouvons pas accepter cette demande.", "en": "We cannot accept this request."},
    "scheduled": {"fr": "Enlèvement confirmé dans une tournée le {date}, {slot}.",
                  "en": "Pickup confirmed in a round on {date}, {slot}."},
    "collected": {"fr": "Dons collectés. Merci !", "en": "Donation collected. Thank you!"},
    "missed": {"fr": "Nous n'avons pas pu passer ; nous allons vous recontacter.",
               "en": "We could not collect your donation; we will contact you."},
    "cancelled": {"fr": "Enlèvement annulé.", "en": "Pickup cancelled."},
}
_SLOT_WORDS = {"morning": {"fr": "le matin ({})", "en": "in the morning ({})"},
               "afternoon": {"fr": "l'après-midi ({})", "en": "in the afternoon ({})"}}


def slot_text(slot: str | None, lang: str) -> str:
    """"le matin (8 h – 12 h)": the hours from the one table of slots (``models.SLOT_WINDOWS_S``)."""
    from dispatch.documents.i18n import slot_hours

    if slot not in _SLOT_WORDS:
        return slot or ""
    return _SLOT_WORDS[slot][lang].format(slot_hours(slot, lang))


def status_text(status: str, day: dt.date | None, slot: str | None, lang: str, *, rescheduled: bool = False) -> str:
    from dispatch.documents.i18n import format_date

    key = "rescheduled" if rescheduled and status == "accepted" else status
    template = STATUS_TEXT[key][lang]
    return template.format(date=format_date(day, lang) if day else "?",
                           slot=slot_text(slot, lang))


def record_pickup_event(pu: PickupRequest, *, session: Session, detail: str | None = None,
                        at: dt.datetime | None = None, dedupe: bool = False) -> PickupEvent | None:
    """Append the pickup's current status (and date, slot) to its history. With ``dedupe``, nothing is
    added when the last event already says the same (re-planning a draft does not repeat "scheduled")."""
    if dedupe:
        last = session.scalars(select(PickupEvent).where(PickupEvent.pickup_request_id == pu.id)
                               .order_by(PickupEvent.id.desc())).first()
        if last is not None and last.status is pu.status and last.date == pu.date and last.slot is pu.slot:
            return None
    event = PickupEvent(pickup_request_id=pu.id, at=at or utcnow(), status=pu.status, date=pu.date, slot=pu.slot,
                        detail=detail)
    session.add(event)
    session.flush()
    return event


def pickup_history(pickup_id: int, *, session: Session) -> list[PickupEvent]:
    return list(session.scalars(select(PickupEvent).where(PickupEvent.pickup_request_id == pickup_id)
                                .order_by(PickupEvent.at, PickupEvent.id)).all())


def _published_days(start: dt.date, end: dt.date, *, session: Session) -> set[dt.date]:
    return set(session.scalars(select(Plan.date).where(Plan.date >= start, Plan.date <= end,
                                                       Plan.status == PlanStatus.PUBLISHED)).all())


def next_possible_slot(pu: PickupRequest, config, *, session: Session, after: dt.date
                       ) -> tuple[dt.date, Slot] | None:
    """The first collection day after ``after`` with room (the rules' daily and per-slot capacity, counting
    accepted and scheduled pickups) and no published plan yet; the same slot if it has room, else the other."""
    from dispatch.pickups.requests import booked_slots

    last = after + dt.timedelta(days=RESCHEDULE_SEARCH_DAYS)
    booked = booked_slots(session=session, start=after, end=last, exclude_id=pu.id)
    frozen = _published_days(after, last, session=session)
    order = [pu.slot] + [s for s in Slot if s is not pu.slot]
    day = after + dt.timedelta(days=1)
    while day <= last:
        if is_collection_day(day) and day not in frozen:
            per_day = sum(n for (d, _), n in booked.items() if d == day)
            if per_day < config.daily_capacity:
                for slot in order:
                    if booked.get((day, slot.value), 0) < config.slot_capacity[slot.value]:
                        return day, slot
        day += dt.timedelta(days=1)
    return None


def pickup_missed(pu: PickupRequest, *, session: Session, config=None, reason: str | None = None) -> PickupRequest:
    """A crew missed a home pickup (already set to ``missed``): record it, then re-schedule it on the next
    possible collection day (see :func:`next_possible_slot`); the request goes back to ``accepted`` with its
    new date and slot. With no room within 30 days it stays ``missed`` for the switchboard to call the donor."""
    if config is None:
        from dispatch.pickups.requests import rules_config
        from dispatch.settings import get_settings

        config = rules_config(get_settings())
    missed_day = pu.date
    record_pickup_event(pu, session=session, detail=pu.status_reason or (f"missed: {reason}" if reason else "missed"))
    found = next_possible_slot(pu, config, session=session, after=missed_day)
    if found is None:
        pu.status_reason = (f"missed on {missed_day.isoformat()}; no free slot in the next {RESCHEDULE_SEARCH_DAYS} "
                            "days: call the donor")
        record_pickup_event(pu, session=session, detail=pu.status_reason)
        return pu
    day, slot = found
    pu.date, pu.slot, pu.status = day, slot, PickupStatus.ACCEPTED
    pu.reschedule_count = (pu.reschedule_count or 0) + 1
    pu.status_reason = (f"rescheduled after the missed visit of {missed_day.isoformat()}"
                        + (f" ({reason})" if reason else "") + f": {day.isoformat()} {slot.value}")
    record_pickup_event(pu, session=session, detail=pu.status_reason)
    session.flush()
    return pu


def _last4(phone: str) -> str:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return digits[-4:]


def find_for_tracking(ref: str, phone_last4: str, *, session: Session) -> PickupRequest:
    """The request with this reference whose phone ends with these 4 digits. An unknown reference and
    wrong digits give the same NotFound, so the endpoint reveals nothing about which references exist."""
    ref = (ref or "").strip().upper()
    digits = (phone_last4 or "").strip()
    pu = session.scalars(select(PickupRequest).where(PickupRequest.ref == ref)).first() if ref else None
    if pu is None or len(digits) != 4 or not digits.isdigit() or _last4(pu.phone) != digits:
        raise NotFound("no pickup request with this reference and these phone digits", field="ref")
    return pu


def tracking_view(pu: PickupRequest, *, session: Session) -> dict:
    """What a donor may see: reference, date, slot, status and its French and English text, the history
    of statuses (no names, addresses, phones or notes)."""
    rescheduled = (pu.reschedule_count or 0) > 0
    history = [
        {"at": e.at, "status": e.status.value, "date": e.date, "slot": e.slot.value if e.slot else None,
         "text_fr": status_text(e.status.value, e.date, e.slot.value if e.slot else None, "fr"),
         "text_en": status_text(e.status.value, e.date, e.slot.value if e.slot else None, "en")}
        for e in pickup_history(pu.id, session=session)
    ]
    return {
        "ref": pu.ref, "date": pu.date, "slot": pu.slot.value, "status": pu.status.value,
        "rescheduled": rescheduled,
        "status_text_fr": status_text(pu.status.value, pu.date, pu.slot.value, "fr", rescheduled=rescheduled),
        "status_text_en": status_text(pu.status.value, pu.date, pu.slot.value, "en", rescheduled=rescheduled),
        "history": history,
    }
