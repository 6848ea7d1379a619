"""Exports of a planned day: one CSV line per stop, and GeoJSON (stops and each round's line).

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) are prefixed with a quote (OWASP "CSV injection"); the text is otherwise verbatim.
``excel=True`` writes what French Excel opens directly: ``;`` separator, decimal commas, UTF-8 BOM.

Exports are for staff: donors' names, phones and addresses are included unless ``personal=False``,
which keeps the pickup reference and postcode only and rounds donors' positions to about 100 m.
"""

from __future__ import annotations

import logging

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy.orm import Session

from dispatch.errors import NotFound
from dispatch.models import Plan, Round, Stop, StopKind
from dispatch.planning import latest_plan

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "date", "plan_id", "plan_status", "round_id", "van", "crew", "position", "kind", "ref", "name", "address",
    "postcode", "lat", "lon", "planned_arrival", "window_start", "window_end", "service_minutes", "expected_m3",
    "load_after_m3", "contact", "access_notes",
)


log = logging.getLogger("dispatch.exchange.exports")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection in a text cell; other values are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _plan_for(day: dt.date, *, session: Session) -> Plan:
    plan = latest_plan(day, session=session)
    if plan is None:
        raise NotFound(f"no plan for {day.isoformat()}: plan the day first (POST /api/v1/plans)", field="date")
    return plan


def _hhmm(value: dt.datetime | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _stop_record(stop: Stop, rnd: Round, *, personal: bool) -> dict[str, Any]:
    depot = rnd.van.depot
    rec: dict[str, Any] = {"ref": "", "name": "", "address": "", "postcode": "", "lat": None, "lon": None,
                           "contact": "", "access_notes": ""}
    if stop.kind is StopKind.RELAY_POINT and stop.relay_point is not None:
        rp = stop.relay_point
        rec.update(ref=rp.code, name=rp.name, address=rp.address, postcode=rp.postcode, lat=rp.lat, lon=rp.lon,
                   contact=" ".join(x for x in (rp.contact_name, rp.contact_phone) if x),
                   access_notes=rp.access_notes or "")
    elif stop.kind is StopKind.PICKUP and stop.pickup_request is not None:
        pu = stop.pickup_request
        if personal:
            notes = []
            if pu.floor is not None:
                notes.append(f"étage {pu.floor}" + (", ascenseur" if pu.has_lift else ", sans ascenseur"))
            if pu.access_code:
                notes.append(f"code {pu.access_code}")
            if pu.notes:
                notes.append(pu.notes)
            rec.update(ref=pu.ref, name=pu.donor_name, address=pu.address, postcode=pu.postcode, lat=pu.lat,
                       lon=pu.lon, contact=pu.phone, access_notes="; ".join(notes))
        else:
            rec.update(ref=pu.ref, name=f"Enlèvement {pu.ref}", address=pu.postcode, postcode=pu.postcode,
                       lat=round(pu.lat, 3), lon=round(pu.lon, 3))
    elif stop.kind is StopKind.UNLOAD:
        rec.update(name="Déchargement au dépôt", address=depot.address, lat=depot.lat, lon=depot.lon)
    else:
        rec.update(name="Pause déjeuner")
    return rec


def stop_rows(day: dt.date, *, session: Session, personal: bool = True) -> list[dict[str, Any]]:
    """One dict per stop of the day's plan, in round and stop order (the CSV lines, unformatted)."""
    plan = _plan_for(day, session=session)
    rows = []
    for rnd in plan.rounds:
        for stop in rnd.stops:
            rec = _stop_record(stop, rnd, personal=personal)
            rows.append({
                "date": plan.date.isoformat(), "plan_id": plan.id, "plan_status": plan.status.value,
                "round_id": rnd.id, "van": rnd.van.name, "crew": rnd.crew.name if rnd.crew else "",
                "position": stop.position, "kind": stop.kind.value, **rec,
                "planned_arrival": _hhmm(stop.planned_arrival), "window_start": _hhmm(stop.window_start),
                "window_end": _hhmm(stop.window_end), "service_minutes": round(stop.service_s / 60),
                "expected_m3": round(stop.expected_m3, 2), "load_after_m3": round(stop.load_after_m3, 2),
            })
    return rows


def _format(value: Any, *, excel: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
        return text.replace(".", ",") if excel else text
    return safe_cell(value)


def write_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] | list[str], *, excel: bool = False) -> bytes:
    """CSV bytes: ',' and UTF-8, or with ``excel`` ';', decimal commas and a UTF-8 BOM."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_format(row.get(c), excel=excel) for c in columns])
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if excel else data


def rounds_csv(day: dt.date, *, session: Session, excel: bool = False, personal: bool = True) -> bytes:
    return write_csv(stop_rows(day, session=session, personal=personal), CSV_COLUMNS, excel=excel)


def _straight(points: list[tuple[float, float]]) -> list[list[float]]:
    return [[lon, lat] for lat, lon in points]


def rounds_geojson(day: dt.date, *, session: Session, network=None, max_snap_distance_m: float = 300.0,
                   personal: bool = True) -> dict[str, Any]:
    """FeatureCollection: each stop as a Point with its properties, each round as a LineString.

    With a ``network`` the lines follow the streets (the same legs as the round geometry endpoint);
    a round whose sites cannot be snapped falls back to straight lines (``"street_level": false``).
    """
    plan = _plan_for(day, session=session)
    features: list[dict[str, Any]] = []
    for rnd in plan.rounds:
        depot = rnd.van.depot
        path: list[tuple[float, float]] = [(depot.lat, depot.lon)]
        for stop in rnd.stops:
            rec = _stop_record(stop, rnd, personal=personal)
            if rec["lat"] is None:
                continue  # the lunch break has no place
            path.append((rec["lat"], rec["lon"]))  # without personal data, donors' positions stay rounded
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
                "properties": {
                    "feature": "stop", "round_id": rnd.id, "van": rnd.van.name,
                    "crew": rnd.crew.name if rnd.crew else None, "position": stop.position,
                    "kind": stop.kind.value, "ref": rec["ref"] or None, "name": rec["name"],
                    "address": rec["address"], "planned_arrival": stop.planned_arrival.isoformat(),
                    "window_start": stop.window_start.isoformat() if stop.window_start else None,
                    "window_end": stop.window_end.isoformat() if stop.window_end else None,
                    "expected_m3": round(stop.expected_m3, 2), "load_after_m3": round(stop.load_after_m3, 2),
                },
            })
        path.append((depot.lat, depot.lon))
        coords, street_level = _straight(path), False
        if network is not None:
            try:
                sites = [network.snap(f"p{i}", lat, lon, max_distance_m=max_snap_distance_m)
                         for i, (lat, lon) in enumerate(path)]
                legs = network.legs_geojson(sites)["features"]
                line: list[list[float]] = []
                for leg in legs:
                    pts = [list(p) for p in leg["geometry"]["coordinates"]]
                    line.extend(pts[1:] if line and pts and line[-1] == pts[0] else pts)
                if len(line) >= 2:
                    coords, street_level = line, True
            except Exception as exc:  # noqa: BLE001 - a site off the graph: the straight line is still useful
                log.info("GeoJSON export: round %s drawn as straight lines (%s)", rnd.id, type(exc).__name__)
                coords, street_level = _straight(path), False
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {
                "feature": "round", "round_id": rnd.id, "van": rnd.van.name,
                "crew": rnd.crew.name if rnd.crew else None, "start_at": rnd.start_at.isoformat(),
                "end_at": rnd.end_at.isoformat(), "distance_km": round(rnd.distance_m / 1000, 2),
                "load_m3": round(rnd.load_m3, 2), "street_level": street_level,
            },
        })
    return {
        "type": "FeatureCollection",
        "properties": {"date": plan.date.isoformat(), "plan_id": plan.id, "plan_status": plan.status.value,
                       "rounds": len(plan.rounds)},
        "features": features,
    }


# ------------------------------------------------------------------ relay points, in the import's format

_DAY_NAMES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def format_opening_hours(entries: list[dict[str, Any]]) -> str:
    """The inverse of :func:`dispatch.exchange.import_rows.parse_opening_hours` ('Mo-Fr 10:00-19:00 | Sa 10:00-13:00')."""
    parts = []
    for entry in entries or []:
        days = sorted(set(entry.get("days", [])))
        runs: list[list[int]] = []
        for d in days:
            if runs and d == runs[-1][-1] + 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        text = ",".join(_DAY_NAMES[r[0]] if len(r) == 1 else f"{_DAY_NAMES[r[0]]}-{_DAY_NAMES[r[-1]]}" for r in runs)
        parts.append(f"{text} {entry['open']}-{entry['close']}")
    return " | ".join(parts)


RELAY_POINT_EXPORT_COLUMNS = (
    "code", "name", "kind", "address", "postcode", "arrondissement", "lat", "lon", "capacity_m3", "stock_m3",
    "daily_rate_m3", "opening_hours", "contact_name", "contact_phone", "access_notes", "active",
)


def relay_points_csv(*, session: Session, excel: bool = False) -> bytes:
    """Every relay point in the import's columns: edit the file, send it back with ``update=true``."""
    from sqlalchemy import select

    from dispatch.models import RelayPoint

    rows = [{
        "code": rp.code, "name": rp.name, "kind": rp.kind.value, "address": rp.address, "postcode": rp.postcode,
        "arrondissement": rp.arrondissement, "lat": float(rp.lat), "lon": float(rp.lon),
        "capacity_m3": float(rp.capacity_m3), "stock_m3": float(round(rp.stock_m3, 3)),
        "daily_rate_m3": float(rp.daily_rate_m3), "opening_hours": format_opening_hours(rp.opening_hours),
        "contact_name": rp.contact_name, "contact_phone": rp.contact_phone, "access_notes": rp.access_notes,
        "active": "yes" if rp.active else "no",
    } for rp in session.scalars(select(RelayPoint).order_by(RelayPoint.code)).all()]
    return write_csv(rows, RELAY_POINT_EXPORT_COLUMNS, excel=excel)
