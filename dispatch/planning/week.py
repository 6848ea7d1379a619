"""The week ahead: which relay points each collection day will need, how much each van-day carries,
the home pickups already booked, and the days the fleet cannot cover, with what would fix them.

:func:`week_ahead` looks at the next ``days`` collection days from ``start``:

* a day that already has a plan (the published one, else the newest draft) shows that plan's visits;
* another day is projected with the same horizon rule as planning (``horizon.decide``, the settings'
  thresholds), each relay point's fill forecast moved on by the visits of the days before it (a relay
  point emptied on Wednesday starts again from zero; :func:`forecast_after_visit`);
* the day's fleet is the crews and vans working that day (their calendars); its capacity is the vans'
  m³ (with the allowed unloading trips) and the stops their shifts can hold (:func:`stops_per_van_day`);
* a day whose mandatory volume or stops exceed that capacity is **overloaded**, with the fixes that
  would cover it: a van that is out that day (named), a Saturday round, or named visits that can wait
  for a day with room.

A relay point planned on two days of the week is reported (``twice``). Reads only; never writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.fleet import calendars, relay_point_blocks
from dispatch.models import (
    PickupRequest,
    PickupStatus,
    Plan,
    PlanStatus,
    RelayPoint,
    StopEvent,
    StopEventKind,
    StopKind,
    utcnow,
)
from dispatch.planning.forecast import FillForecast
from dispatch.planning.horizon import MANDATORY, OPTIONAL, HorizonInput, decide
from dispatch.relay_points import forecast_relay_points
from dispatch.settings import Settings
from dispatch.workdays import is_collection_day

MAX_DAYS = 14
# A stop in Paris takes its service time plus about this much driving from the one before.
DRIVE_BETWEEN_STOPS_S = 12 * 60


@dataclass(frozen=True)
class DayVisit:
    relay_point_id: int
    name: str
    expected_m3: float
    decision: str  # "planned" (in the day's plan), "mandatory" or "optional" (projected)
    p_full: float  # probability it is full before its next visit
    reported_full: bool


@dataclass
class WeekDay:
    date: dt.date
    source: str  # "published" | "draft" | "projected"
    visits: list[DayVisit] = field(default_factory=list)
    optional: list[DayVisit] = field(default_factory=list)
    pickups: int = 0
    pickups_m3: float = 0.0
    vans: int = 0
    capacity_m3: float = 0.0
    capacity_stops: int = 0
    vans_out: list[dict] = field(default_factory=list)
    fixes: list[dict] = field(default_factory=list)

    @property
    def load_m3(self) -> float:
        return round(sum(v.expected_m3 for v in self.visits) + self.pickups_m3, 2)

    @property
    def stops(self) -> int:
        return len(self.visits) + self.pickups

    @property
    def m3_per_van(self) -> float:
        return round(self.load_m3 / self.vans, 2) if self.vans else 0.0

    @property
    def overloaded(self) -> bool:
        return self.load_m3 > self.capacity_m3 + 1e-9 or self.stops > self.capacity_stops


@dataclass
class Week:
    start: dt.date
    days: list[WeekDay]
    twice: list[dict] = field(default_factory=list)  # relay points planned on two days of the week


def planned_visits_before(day: dt.date, *, session: Session, today: dt.date | None = None) -> dict[int, dt.date]:
    """Relay points in the plans (published, else newest draft) of the days from ``today`` to the day
    before ``day``, and not collected yet: planning ``day`` counts them as emptied on their date."""
    today = today or utcnow().date()
    stops: list[tuple[int, int, dt.date]] = []
    dates = session.scalars(select(Plan.date).where(Plan.date >= today, Plan.date < day).distinct()).all()
    for date in sorted(dates):
        plan = _plan_of(date, session=session)
        stops += [(s.id, s.relay_point_id, date) for rnd in (plan.rounds if plan else ()) for s in rnd.stops
                  if s.kind is StopKind.RELAY_POINT]
    done = set(session.scalars(select(StopEvent.stop_id).where(
        StopEvent.stop_id.in_([i for i, _, _ in stops]), StopEvent.kind != StopEventKind.ARRIVED))) if stops else set()
    return {rp_id: date for stop_id, rp_id, date in stops if stop_id not in done}


def collection_days_from(start: dt.date, n: int) -> list[dt.date]:
    out, day = [], start
    while len(out) < n:
        if is_collection_day(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def forecast_after_visit(forecast: FillForecast, day: dt.date) -> FillForecast:
    """The forecast of a relay point emptied at midday of ``day``."""
    noon = dt.datetime.combine(day, dt.time(12))
    return dataclasses.replace(forecast, as_of=noon, stock_m3=0.0, stock_sd=0.0, full=False)


def stops_per_van_day(crew, settings: Settings) -> int:
    """How many stops a crew's shift holds: its working time over a stop's mean service and driving."""
    work_s = (crew.shift_end_min - crew.shift_start_min - crew.break_minutes) * 60
    mean_stop_s = (settings.relay_service_s(0.5) + settings.pickup_service_s(2.5)) / 2 + DRIVE_BETWEEN_STOPS_S
    return max(0, int(work_s // mean_stop_s))


def _plan_of(day: dt.date, *, session: Session) -> Plan | None:
    plans = session.scalars(select(Plan).where(Plan.date == day).order_by(Plan.id.desc())).all()
    return next((p for p in plans if p.status is PlanStatus.PUBLISHED), plans[0] if plans else None)


def _fleet(day: WeekDay, settings: Settings, *, session: Session) -> list:
    crews, vans_out = calendars.fleet_for_day(day.date, session=session)
    day.vans = len(crews)
    day.capacity_m3 = round(sum(c.van.capacity_m3 for c in crews) * (1 + settings.max_unloads), 2)
    day.capacity_stops = sum(stops_per_van_day(c, settings) for c in crews)
    day.vans_out = vans_out
    return crews


def _pickups(day: WeekDay, *, session: Session) -> None:
    rows = session.scalars(select(PickupRequest).where(
        PickupRequest.date == day.date,
        PickupRequest.status.in_([PickupStatus.ACCEPTED, PickupStatus.SCHEDULED]))).all()
    day.pickups, day.pickups_m3 = len(rows), round(sum(p.volume_m3 for p in rows), 2)


def _planned(day: WeekDay, plan: Plan, forecasts: dict[int, FillForecast], rps: dict[int, RelayPoint]) -> None:
    day.source = plan.status.value
    for rnd in plan.rounds:
        for stop in rnd.stops:
            if stop.kind is StopKind.RELAY_POINT and stop.relay_point_id in rps:
                rp = rps[stop.relay_point_id]
                day.visits.append(DayVisit(rp.id, rp.name, round(stop.expected_m3, 2), "planned", 1.0, rp.full))


def _projected(day: WeekDay, forecasts: dict[int, FillForecast], rps: dict[int, RelayPoint], settings: Settings,
               *, first: bool) -> None:
    points = [HorizonInput(key=str(i), forecast=f, open_weekdays=relay_point_blocks.visit_weekdays(rps[i]),
                           reported_full=rps[i].full and first, name=rps[i].name,
                           closed_dates=relay_point_blocks.closed_dates(rps[i], day.date))
              for i, f in forecasts.items() if rps[i].active]
    for key, d in decide(day.date, points, **settings.horizon_rule()).items():
        rp = rps[int(key)]
        visit = DayVisit(rp.id, rp.name, round(forecasts[rp.id].expected_stock(day.date), 2), d.decision,
                         round(d.p_full_before_next_visit, 3), rp.full and first)
        if d.decision == MANDATORY:
            day.visits.append(visit)
        elif d.decision == OPTIONAL:
            day.optional.append(visit)


def week_ahead(start: dt.date, settings: Settings, *, session: Session, days: int = 5) -> Week:
    """The week plan of the next ``days`` collection days from ``start`` (see the module docstring)."""
    rps = {rp.id: rp for rp in session.scalars(select(RelayPoint).order_by(RelayPoint.id)).all()}
    forecasts = forecast_relay_points([rp for rp in rps.values() if rp.active], now=utcnow())
    week = Week(start=start, days=[])
    seen: dict[int, dt.date] = {}
    for i, date in enumerate(collection_days_from(start, min(days, MAX_DAYS))):
        day = WeekDay(date=date, source="projected")
        _fleet(day, settings, session=session)
        _pickups(day, session=session)
        plan = _plan_of(date, session=session)
        if plan is not None:
            _planned(day, plan, forecasts, rps)
        else:
            _projected(day, {k: f for k, f in forecasts.items() if rps[k].active}, rps, settings, first=i == 0)
        for v in day.visits:
            if v.relay_point_id in seen:
                week.twice.append({"relay_point_id": v.relay_point_id, "name": v.name,
                                   "dates": [seen[v.relay_point_id].isoformat(), date.isoformat()]})
            seen[v.relay_point_id] = date
            if v.relay_point_id in forecasts:
                forecasts[v.relay_point_id] = forecast_after_visit(forecasts[v.relay_point_id], date)
        week.days.append(day)
    _suggest_fixes(week, settings, session=session)
    return week


def _suggest_fixes(week: Week, settings: Settings, *, session: Session) -> None:
    """For each overloaded day: a van that is out that day, a Saturday round, visits that can wait."""
    for day in week.days:
        if not day.overloaded:
            continue
        short_m3 = round(max(0.0, day.load_m3 - day.capacity_m3), 2)
        short_stops = max(0, day.stops - day.capacity_stops)
        for out in day.vans_out:
            day.fixes.append({"kind": "van", "van": out["van"], "reason": out["reason"],
                              "short_m3": short_m3, "short_stops": short_stops})
            break
        saturday = _next_saturday(day.date)
        if saturday is not None and saturday != day.date and all(d.date != saturday or not d.overloaded for d in week.days):
            day.fixes.append({"kind": "saturday", "date": saturday.isoformat(),
                              "short_m3": short_m3, "short_stops": short_stops})
        room = [d for d in week.days if d.date > day.date and not d.overloaded]
        movable = sorted((v for v in day.visits if v.decision != "planned" and not v.reported_full),
                         key=lambda v: v.p_full)
        if room and movable:
            target = room[0]
            names, m3, n = [], 0.0, 0
            for v in movable:
                if m3 >= short_m3 and n >= short_stops:
                    break
                names.append(v.name)
                m3, n = m3 + v.expected_m3, n + 1
            day.fixes.append({"kind": "move", "to": target.date.isoformat(), "visits": names,
                              "short_m3": short_m3, "short_stops": short_stops})


def _next_saturday(day: dt.date) -> dt.date | None:
    sat = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    return sat if sat >= day and is_collection_day(sat) else None


def week_dict(week: Week) -> dict:
    """Plain data for the API and the CLI."""
    return {
        "start": week.start.isoformat(),
        "days": [{
            "date": d.date.isoformat(), "source": d.source, "vans": d.vans, "capacity_m3": d.capacity_m3,
            "capacity_stops": d.capacity_stops, "load_m3": d.load_m3, "stops": d.stops, "m3_per_van": d.m3_per_van,
            "pickups": d.pickups, "pickups_m3": d.pickups_m3, "overloaded": d.overloaded, "fixes": d.fixes,
            "visits": [dataclasses.asdict(v) for v in d.visits],
            "optional": [dataclasses.asdict(v) for v in d.optional],
            "vans_out": [{"van": o["van"], "reason": o["reason"]} for o in d.vans_out],
        } for d in week.days],
        "twice": week.twice,
    }
