"""A small hand-made plan on the demo network (no solver): two rounds with relay points, pickups,
a lunch break and an unload, for the export, report and webhook tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

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
)

DAY = dt.date(2026, 12, 1)


def at(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    h, m = hhmm.split(":")
    return dt.datetime.combine(day, dt.time(int(h), int(m)))


def build_plan(session, *, day: dt.date = DAY, seed: bool = True, status: PlanStatus = PlanStatus.DRAFT) -> Plan:
    if seed:
        from dispatch.demo import seed_demo

        seed_demo(day, session=session)
    rps = session.scalars(select(RelayPoint).order_by(RelayPoint.id)).all()
    pus = session.scalars(select(PickupRequest).where(PickupRequest.date == day).order_by(PickupRequest.id)).all()
    crews = session.scalars(select(Crew).order_by(Crew.id)).all()
    plan = Plan(date=day, status=status, distance_m=42_000, load_m3=9.5, solver_status="solved")
    session.add(plan)

    def stop(pos, kind, hhmm, *, rp=None, pu=None, expected=0.0, load=0.0, window=None):
        return Stop(position=pos, kind=kind, relay_point=rp, pickup_request=pu, planned_arrival=at(hhmm, day),
                    service_s=600, window_start=at(window[0], day) if window else None,
                    window_end=at(window[1], day) if window else None, expected_m3=expected, load_after_m3=load)

    r1 = Round(plan=plan, van=crews[0].van, crew=crews[0], start_at=at("08:00", day), end_at=at("15:30", day),
               distance_m=25_000, duration_s=int(7.5 * 3600), load_m3=6.0)
    session.add(r1)
    r1.stops = [
        stop(1, StopKind.RELAY_POINT, "08:40", rp=rps[0], expected=1.5, load=1.5, window=("10:00", "19:00")),
        stop(2, StopKind.PICKUP, "09:30", pu=pus[0], expected=pus[0].volume_m3, load=1.5 + pus[0].volume_m3,
             window=("08:00", "12:00")),
        stop(3, StopKind.BREAK, "12:00"),
        stop(4, StopKind.UNLOAD, "13:00"),
        stop(5, StopKind.RELAY_POINT, "14:00", rp=rps[1], expected=0.8, load=0.8, window=("10:00", "19:00")),
    ]
    r2 = Round(plan=plan, van=crews[1].van, crew=crews[1], start_at=at("08:00", day), end_at=at("12:00", day),
               distance_m=17_000, duration_s=4 * 3600, load_m3=3.5)
    session.add(r2)
    r2.stops = [
        stop(1, StopKind.PICKUP, "13:20", pu=pus[1], expected=pus[1].volume_m3, load=pus[1].volume_m3,
             window=("13:00", "16:00")),
        stop(2, StopKind.RELAY_POINT, "14:10", rp=rps[2], expected=1.0, load=pus[1].volume_m3 + 1.0,
             window=("14:00", "18:00")),
    ]
    for pu in pus[:2]:
        pu.status = PickupStatus.SCHEDULED
    session.flush()
    return plan
