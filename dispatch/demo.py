"""The Paris demo network: real places (see dispatch/data/demo/PROVENANCE.md), a fleet, a day's pickups."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.models import (
    Crew,
    Depot,
    PickupRequest,
    PickupStatus,
    RelayPoint,
    RelayPointKind,
    ReportSource,
    Slot,
    StockReport,
    Van,
    utcnow,
)
from dispatch.settings import DATA_DIR

DEMO_FILE = DATA_DIR / "demo" / "paris_demo.json"

FLEET = (
    # van name, plate, capacity m³, skills, crew name, members
    ("Camion 1", "GA-101-ED", 20.0, ["tail_lift"], "Équipe A", ["Karim", "Sophie"]),
    ("Camion 2", "GA-102-ED", 20.0, ["tail_lift"], "Équipe B", ["Moussa", "Claire"]),
    ("Fourgon 3", "GB-203-ED", 12.0, [], "Équipe C", ["Ahmed", "Julie"]),
    ("Fourgon 4", "GB-204-ED", 12.0, [], "Équipe D", ["Ibrahima", "Nadia"]),
)


def load_demo(path: Path = DEMO_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def is_seeded(*, session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(Depot)) or 0) > 0


def seed_demo(day: dt.date, *, session: Session, data: dict[str, Any] | None = None) -> dict[str, int]:
    """Insert the demo network, fleet and the home pickups of ``day``. The database must be empty."""
    data = data or load_demo()
    now = utcnow()
    d = data["depot"]
    depot = Depot(name=d["name"], address=d["address"], lat=d["lat"], lon=d["lon"])
    session.add(depot)
    for item in data["relay_points"]:
        add_relay_point(item, session=session, now=now)
    for van_name, plate, capacity, skills, crew_name, members in FLEET:
        van = Van(name=van_name, plate=plate, capacity_m3=capacity, depot=depot, skills=skills)
        session.add(van)
        session.add(Crew(name=crew_name, members=members, van=van))
    for item in data["pickups"]:
        add_pickup(item, day, session=session)
    session.flush()
    return {"relay_points": len(data["relay_points"]), "vans": len(FLEET), "pickups": len(data["pickups"])}


def add_relay_point(item: dict[str, Any], *, session: Session, now: dt.datetime, note: str = "demo: initial stock",
                    **overrides: Any) -> RelayPoint:
    """One relay point of the demo file (``overrides`` replace its fields), with its initial stock report."""
    fields = dict(
        code=item["code"], name=item["name"], kind=RelayPointKind(item["kind"]), address=item["address"],
        postcode=item["postcode"], arrondissement=item.get("arrondissement"), lat=item["lat"], lon=item["lon"],
        capacity_m3=item["capacity_m3"], stock_m3=item["stock_m3"], full=item["full"],
        daily_rate_m3=item["daily_rate_m3"], opening_hours=item["opening_hours"],
        contact_name=item.get("contact_name"), contact_phone=item.get("contact_phone"),
        access_notes=item.get("access_notes"), active=True, stock_updated_at=now,
    )
    rp = RelayPoint(**(fields | overrides))
    session.add(rp)
    session.add(StockReport(relay_point=rp, reported_at=now, source=ReportSource.STAFF, stock_m3=rp.stock_m3,
                            full=rp.full, note=note))
    return rp


def add_pickup(item: dict[str, Any], day: dt.date, *, session: Session, **overrides: Any) -> PickupRequest:
    """One accepted home pickup of the demo file on ``day`` (``overrides`` replace its fields)."""
    fields = dict(
        ref=item["ref"], donor_name=item["donor_name"], phone=item["phone"], address=item["address"],
        postcode=item["postcode"], lat=item["lat"], lon=item["lon"], volume_m3=item["volume_m3"],
        categories=item["categories"], date=day, slot=Slot(item["slot"]), floor=item.get("floor"),
        has_lift=item.get("has_lift"), access_code=item.get("access_code"), notes=item.get("notes"),
        status=PickupStatus.ACCEPTED,
    )
    pickup = PickupRequest(**(fields | overrides))
    session.add(pickup)
    return pickup
