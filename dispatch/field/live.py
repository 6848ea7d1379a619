"""The day as it happens, for the coordinator's page: each round's progress from the crews' updates, relay
points that called "full" today, and the alerts that need a decision. Reads only.

* A round's stops are ``done`` (collected), ``missed`` (with the crew's reason), ``here`` (arrived) or to do.
* A round is **late** when its next stop to do was planned more than :data:`LATE_MINUTES` ago.
* **Alerts**: a booked home pickup missed; a round late for a time window (the next stop's window has
  closed, or closes before the van can be there); a collected volume the crew confirmed despite the checks
  (``StopEvent.flag``); a relay point that called "full" today and is in no round still to do.
Texts are in the coordinator's language (dispatch/documents/i18n.py); names and clock times, no ids.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.documents import i18n
from dispatch.models import (
    Plan,
    PlanStatus,
    RelayPoint,
    ReportSource,
    StockReport,
    StopEvent,
    StopEventKind,
    StopKind,
    utcnow,
)
from dispatch.planning import latest_plan

LATE_MINUTES = 15
VISIT_KINDS = (StopKind.RELAY_POINT, StopKind.PICKUP)


def _name(stop) -> str:
    if stop.relay_point is not None:
        return stop.relay_point.name
    return stop.pickup_request.donor_name if stop.pickup_request is not None else "?"


def _local(utc: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return utc.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)


def _events(plan: Plan, *, session: Session) -> dict[int, list[StopEvent]]:
    ids = [s.id for r in plan.rounds for s in r.stops]
    out: dict[int, list[StopEvent]] = {}
    if ids:
        for ev in session.scalars(select(StopEvent).where(StopEvent.stop_id.in_(ids))
                                  .order_by(StopEvent.recorded_at, StopEvent.id)):
            out.setdefault(ev.stop_id, []).append(ev)
    return out


def _state(events: list[StopEvent]) -> tuple[str, StopEvent | None]:
    outcome = next((e for e in reversed(events) if e.kind is not StopEventKind.ARRIVED), None)
    if outcome is not None:
        return ("done" if outcome.kind is StopEventKind.COLLECTED else "missed"), outcome
    return ("here", events[-1]) if events else ("todo", None)


def day_live(day: dt.date, *, session: Session, timezone: str, lang: str, now: dt.datetime | None = None) -> dict:
    """The day's rounds as the crews report them, the relay points full today, and the alerts."""
    tz = ZoneInfo(timezone)
    now_local = _local(now or utcnow(), tz)
    plan = latest_plan(day, session=session)
    full_today = _full_today(day, session=session, tz=tz, lang=lang)
    if plan is None:
        return {"plan_id": None, "version": None, "rounds": [], "full_relay_points": full_today, "alerts": []}
    events = _events(plan, session=session)
    rounds, alerts = [], []
    to_visit: set[int] = set()
    for rnd in plan.rounds:
        crew = rnd.crew.name if rnd.crew else rnd.van.name
        stops, late_by, next_stop = [], 0, None
        for s in (s for s in rnd.stops if s.kind in VISIT_KINDS):
            state, ev = _state(events.get(s.id, []))
            item = {"stop_id": s.id, "name": _name(s), "time": f"{s.planned_arrival:%H:%M}", "state": state,
                    "reason": i18n.text("missed_" + ev.reason, lang) if state == "missed" and ev.reason else None,
                    "collected_m3": ev.collected_m3 if state == "done" else None}
            stops.append(item)
            if state in ("todo", "here") and s.relay_point_id is not None:
                to_visit.add(s.relay_point_id)
            if state == "missed" and s.kind is StopKind.PICKUP and plan.status is PlanStatus.PUBLISHED:
                alerts.append({"kind": "missed_pickup", "text": i18n.text("alert_missed_pickup", lang, name=item["name"],
                               crew=crew, reason=item["reason"] or "—")})
            if ev is not None and ev.flag:
                alerts.append({"kind": "volume", "text": i18n.text("alert_volume_" + ev.flag, lang, name=item["name"],
                               crew=crew, volume=i18n.format_number(ev.collected_m3, lang))})
            if next_stop is None and state == "todo":
                next_stop = s
        if plan.status is PlanStatus.PUBLISHED and day == now_local.date() and next_stop is not None:
            late_by = int((now_local - next_stop.planned_arrival).total_seconds() // 60)
            if late_by >= LATE_MINUTES and next_stop.window_end is not None and next_stop.window_end <= now_local:
                alerts.append({"kind": "late_window", "text": i18n.text(
                    "alert_late_window", lang, crew=crew, name=_name(next_stop),
                    end=f"{next_stop.window_end:%H:%M}")})
        done = sum(1 for x in stops if x["state"] in ("done", "missed"))
        rounds.append({"id": rnd.id, "crew": crew, "van": rnd.van.name, "status": rnd.status or "planned",
                       "done": done, "total": len(stops), "late_minutes": max(0, late_by),
                       "late": late_by >= LATE_MINUTES, "stops": stops})
    for rp in full_today:
        if rp["relay_point_id"] not in to_visit and plan.status is PlanStatus.PUBLISHED:
            alerts.append({"kind": "full", "text": i18n.text("alert_full_not_planned", lang, name=rp["name"],
                                                             at=rp["at"])})
    return {"plan_id": plan.id, "version": plan.version, "status": plan.status.value, "rounds": rounds,
            "full_relay_points": full_today, "alerts": alerts}


def _full_today(day: dt.date, *, session: Session, tz: ZoneInfo, lang: str) -> list[dict]:  # noqa: ARG001
    """Relay points whose host said "full" on ``day`` (local time), latest report first."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC).replace(tzinfo=None)
    end = start + dt.timedelta(days=1)
    rows = session.execute(
        select(StockReport.relay_point_id, RelayPoint.name, StockReport.reported_at)
        .join(RelayPoint, RelayPoint.id == StockReport.relay_point_id)
        .where(StockReport.full.is_(True), StockReport.source == ReportSource.RELAY_POINT,
               StockReport.reported_at >= start, StockReport.reported_at < end)
        .order_by(StockReport.reported_at.desc())).all()
    seen, out = set(), []
    for rp_id, name, at in rows:
        if rp_id not in seen:
            seen.add(rp_id)
            out.append({"relay_point_id": rp_id, "name": name, "at": f"{_local(at, tz):%H:%M}"})
    return out
