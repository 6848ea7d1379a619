"""Which relay points cannot be visited on a day, and why (:class:`Block`): paused, closed (a closure
covers the day), the host's no-visit weekday, or the host's weekly maximum already reached; the weekdays and
dates ahead a relay point can be visited, and the plan's "skip" decision for each blocked one.
The planner asks :func:`relay_point_blocks`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.models import Plan, PlanStatus, RelayPoint, RelayPointClosure, Round, Stop, StopKind


WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


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
    from dispatch.planning import open_weekdays

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
                      rule: dict) -> dict:
    """The plan's decision ("skip") for each blocked relay point (keys "rp:<id>"), with the forecast's risk
    figures computed as for any closed relay point (``rule``: ``Settings.horizon_rule()``, as for the others),
    and the availability reason in plain English."""
    from dataclasses import replace

    from dispatch.planning import HorizonInput, decide

    points = []
    for key in blocks:
        rp = relay_points[key]
        points.append(HorizonInput(key=key, forecast=forecasts[key],
                                   open_weekdays=visit_weekdays(rp) - {day.weekday()},
                                   reported_full=rp.full, name=rp.name, closed_dates=closed_dates(rp, day)))
    decided = decide(day, points, **rule) if points else {}
    return {key: replace(d, reason=blocks[key].en + ": not visited today") for key, d in decided.items()}
