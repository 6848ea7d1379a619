"""A small published plan built directly (no solver), so page tests do not depend on solving."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.models import (
    Crew,
    PickupRequest,
    PickupStatus,
    Plan,
    PlanStatus,
    RelayPoint,
    Round,
    Stop,
    StopKind,
    UnassignedVisit,
)

DAY = dt.date(2026, 12, 1)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    h, m = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m))


def build_plan(session: Session, day: dt.date = DAY, *, published: bool = True) -> Plan:
    """One round of Camion 1: two relay points of the 19e, a home pickup, lunch, one more relay point."""
    crew = session.scalars(select(Crew).order_by(Crew.id)).first()
    rps = session.scalars(select(RelayPoint).where(RelayPoint.postcode == "75019").order_by(RelayPoint.id)).all()[:3]
    pickup = session.scalars(select(PickupRequest).where(PickupRequest.date == day).order_by(PickupRequest.id)).first()
    plan = Plan(date=day, status=PlanStatus.PUBLISHED if published else PlanStatus.DRAFT, solver_status="solved")
    session.add(plan)
    rnd = Round(plan=plan, van=crew.van, crew=crew, start_at=at(day, "08:00"), end_at=at(day, "14:10"),
                distance_m=23400, duration_s=6 * 3600, load_m3=0.0)
    session.add(rnd)
    stops = [
        (StopKind.RELAY_POINT, rps[0], None, "08:20", 1.2),
        (StopKind.RELAY_POINT, rps[1], None, "09:05", 0.9),
        (StopKind.PICKUP, None, pickup, "10:10", pickup.volume_m3),
        (StopKind.BREAK, None, None, "12:00", 0.0),
        (StopKind.RELAY_POINT, rps[2], None, "13:15", 1.0),
    ]
    load = 0.0
    for position, (kind, rp, pu, hhmm, m3) in enumerate(stops, start=1):
        load += m3
        rnd.stops.append(Stop(
            position=position, kind=kind, relay_point_id=rp.id if rp else None,
            pickup_request_id=pu.id if pu else None, planned_arrival=at(day, hhmm),
            service_s=2700 if kind is StopKind.BREAK else 600,
            window_start=at(day, "08:00") if kind is not StopKind.BREAK else None,
            window_end=at(day, "12:00") if kind is not StopKind.BREAK else None,
            expected_m3=m3, load_after_m3=load,
        ))
    rnd.load_m3 = load
    pickup.status = PickupStatus.SCHEDULED
    other = session.scalars(select(RelayPoint).where(RelayPoint.postcode == "75001")).first()
    plan.unassigned.append(UnassignedVisit(kind=StopKind.RELAY_POINT, relay_point_id=other.id, mandatory=False,
                                           reason="cost", detail="left for another day"))
    session.flush()
    return plan
