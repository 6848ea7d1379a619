"""Depots managed like the rest: create, list, change, and the hours vans may leave and must be back.

A depot has a name, an address, a position (lat, lon: it must snap onto the road network, like any
site the planner routes to), opening hours (``[{"days", "open", "close"}]``, Monday = 0; empty = no
limit beyond the crews' shifts) and a planning region (None = the ``"default"`` region, see
``dispatch/planning/regions.py``). Vans are attached to a depot (``Van.depot_id``, changed with the van).

:func:`depot_window` is what the planner uses: on a given day, the crews of a depot's vans work
within the depot's opening hours (earliest opening to latest closing of that weekday). Services
flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.fleet.checks import validate_opening_hours
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import Depot, Van
from dispatch.relay_points import parse_hhmm

DEPOT_FIELDS = ("name", "address", "lat", "lon", "opening_hours", "region")
_REGION_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def list_depots(*, session: Session) -> list[Depot]:
    return list(session.scalars(select(Depot).order_by(Depot.id)).all())


def get_depot(depot_id: int, *, session: Session) -> Depot:
    depot = session.get(Depot, depot_id)
    if depot is None:
        raise NotFound(f"depot {depot_id} does not exist", field="depot_id")
    return depot


def vans_of(depot_id: int, *, session: Session) -> list[Van]:
    return list(session.scalars(select(Van).where(Van.depot_id == depot_id).order_by(Van.id)).all())


def _text(values: dict[str, Any], name: str, limit: int, example: str) -> str:
    text = values.get(name)
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise InvalidInput(f"give the depot's {name} (e.g. {example})", field=name)
    if len(text) > limit:
        raise InvalidInput(f"{name} is {len(text)} characters long: at most {limit}", field=name)
    return text


def _region(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().lower()
    if not _REGION_RE.match(text):
        raise InvalidInput(f"region {value!r}: use lower-case letters, digits, '-' or '_' (at most 60), e.g. 'nord'; "
                           "empty = the default region", field="region")
    return text


def _position(values: dict[str, Any], depot: Depot | None, network, max_snap_distance_m: float) -> None:
    lat = values.get("lat", depot.lat if depot else None)
    lon = values.get("lon", depot.lon if depot else None)
    for name, value, low, high in (("lat", lat, -90, 90), ("lon", lon, -180, 180)):
        if value is None or isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise InvalidInput(f"{name} must be a number between {low} and {high} (WGS84 degrees)", field=name)
    if network is not None and ("lat" in values or "lon" in values):
        # The planner routes from the depot: it must be on the road network, like every visit.
        try:
            network.snap("depot", lat, lon, max_distance_m=max_snap_distance_m)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="lat") from exc


def _apply(depot: Depot, values: dict[str, Any], *, session: Session, network, max_snap_distance_m: float) -> None:
    unknown = sorted(set(values) - set(DEPOT_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}; a depot has {', '.join(DEPOT_FIELDS)}",
                           field=unknown[0])
    if "name" in values:
        name = _text(values, "name", 200, "'Dépôt Nord')")
        other = session.scalars(select(Depot).where(func.lower(Depot.name) == name.lower())).first()
        if other is not None and other.id != depot.id:
            raise Conflict(f"depot {other.id} is already named {other.name!r}: choose another name", field="name")
        depot.name = name
    if "address" in values:
        depot.address = _text(values, "address", 300, "'12 rue Riquet, 75019 Paris'")
    _position(values, depot if depot.lat is not None else None, network, max_snap_distance_m)
    if "lat" in values:
        depot.lat = float(values["lat"])
    if "lon" in values:
        depot.lon = float(values["lon"])
    if "opening_hours" in values:
        depot.opening_hours = validate_opening_hours(values["opening_hours"] or [])
    if "region" in values:
        depot.region = _region(values["region"])


def create_depot(values: dict[str, Any], *, session: Session, network=None, max_snap_distance_m: float = 300.0
                 ) -> Depot:
    """A new depot. ``network`` (the road graph) checks its position; a name already used is a Conflict."""
    missing = [n for n in ("name", "address", "lat", "lon") if values.get(n) is None]
    if missing:
        raise InvalidInput(f"give the depot's {', '.join(missing)}", field=missing[0])
    depot = Depot(name="", address="", opening_hours=[], region=None)
    _apply(depot, dict(values), session=session, network=network, max_snap_distance_m=max_snap_distance_m)
    session.add(depot)
    session.flush()
    return depot


def update_depot(depot_id: int, changes: dict[str, Any], *, session: Session, network=None,
                 max_snap_distance_m: float = 300.0) -> Depot:
    """Change the fields given. Vans keep their depot; the next plan uses the new position and hours."""
    depot = get_depot(depot_id, session=session)
    _apply(depot, dict(changes), session=session, network=network, max_snap_distance_m=max_snap_distance_m)
    session.flush()
    return depot


def depot_window(depot: Depot, day: dt.date) -> tuple[int, int] | None:
    """(open, close) in seconds from midnight on ``day``: the earliest opening and latest closing of the
    entries for that weekday; None when the depot sets no hours (no limit); (0, 0) when it is closed that day."""
    entries = depot.opening_hours or []
    if not entries:
        return None
    today = [e for e in entries if day.weekday() in e["days"]]
    if not today:
        return (0, 0)
    return (min(parse_hhmm(e["open"]) for e in today), max(parse_hhmm(e["close"]) for e in today))
