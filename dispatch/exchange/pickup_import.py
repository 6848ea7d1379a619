"""CSV import of home-pickup requests: all rows valid, or nothing imported.

Every row is checked (types, ranges, a reference used twice in the file or already stored) and judged by
the association's collection rules (:mod:`dispatch.pickups.requests`: zone, lead time, capacities counting
the rows above it, position on the road network...): a row the rules refuse is a bad row, reported with
every reason. The file handling and the error report are those of :mod:`dispatch.exchange.csv_import`.
The requests are stored accepted. Flushes, never commits.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from dispatch.exchange.csv_import import Column, CsvTable, ImportResult, fold, read_csv, reject_if_any
from dispatch.exchange.fields import phone_problem
from dispatch.exchange.import_rows import (
    RowChecker,
    check_code,
    check_position,
    check_postcode,
    checked_rows,
    extra_cells,
    parse_bool,
    parse_date,
    parse_int,
    parse_number,
    stored,
)
from dispatch.models import PickupRequest, PickupStatus, Slot
from dispatch.pickups import rule_decision, rules

PICKUP_COLUMNS: tuple[Column, ...] = (
    Column("donor_name", True, "donor's name (at most 200 characters)", ("nom",)),
    Column("phone", True, "donor's phone: digits, spaces, + ( ) . -", ("telephone",)),
    Column("address", True, "street address", ("adresse",)),
    Column("postcode", True, "5-digit postcode", ("code_postal", "cp")),
    Column("lat", True, "latitude in decimal degrees (WGS84)", ("latitude",)),
    Column("lon", True, "longitude in decimal degrees (WGS84)", ("lng", "longitude")),
    Column("volume_m3", True, "estimated volume in m³ (more than 0, at most 100)", ("volume",)),
    Column("date", True, "collection day, YYYY-MM-DD or DD/MM/YYYY"),
    Column("slot", True, "morning or afternoon (matin, apres-midi)", ("creneau",)),
    Column("ref", False, "your reference, unique (at most 40); default: generated", ("reference",)),
    Column("categories", False, "accepted categories separated by '|', e.g. furniture|books", ("categories_objets",)),
    Column("floor", False, "floor number, 0 = ground floor (-5 to 60)", ("etage",)),
    Column("has_lift", False, "yes/no (required above the ground floor)", ("ascenseur",)),
    Column("access_code", False, "door code (at most 40)", ("digicode",)),
    Column("notes", False, "notes for the crew (at most 2000)"),
)

_SLOT_ALIASES = {"matin": "morning", "am": "morning", "apres-midi": "afternoon", "apresmidi": "afternoon",
                 "pm": "afternoon", "aprem": "afternoon"}
_CATEGORY_RE = re.compile(r"^[a-z_]{1,40}$")


def _slot(check: RowChecker, v: dict[str, Any]) -> None:
    slot = check.get("slot", required=True)
    if slot is not None:
        folded = fold(slot).replace("_", "-")
        try:
            v["slot"] = Slot(_SLOT_ALIASES.get(folded, folded))
        except ValueError:
            check.error("slot", f"{slot!r} is not a slot: morning or afternoon (matin, après-midi)")


def _categories(check: RowChecker) -> tuple[str, ...]:
    cats = check.get("categories", default="")
    categories: list[str] = []
    for raw_cat in re.split(r"[|,;]", cats or ""):
        cat = fold(raw_cat)
        if not cat:
            continue
        if not _CATEGORY_RE.match(cat):
            check.error("categories", f"{raw_cat.strip()!r} is not a category name (letters and '_')")
        else:
            categories.append(cat)
    return tuple(categories)


def _pickup_values(check: RowChecker) -> dict[str, Any]:
    v: dict[str, Any] = {}
    v["ref"] = check_code(check, "ref", required=False)
    v["donor_name"] = check.get("donor_name", required=True, max_length=200)
    phone = check.get("phone", required=True)
    if phone is not None and phone_problem(phone):
        check.error("phone", phone_problem(phone))
    v["phone"] = phone
    v["address"] = check.get("address", required=True, max_length=300)
    v["postcode"] = check_postcode(check)
    v["lat"], v["lon"] = check_position(check)
    volume = check.get("volume_m3", parse_number, required=True)
    check.in_range("volume_m3", volume, 0, 100, low_open=True)
    v["volume_m3"] = volume
    v["date"] = check.get("date", parse_date, required=True)
    _slot(check, v)
    v["categories"] = _categories(check)
    floor = check.get("floor", parse_int)
    check.in_range("floor", floor, -5, 60)
    v["floor"] = floor
    v["has_lift"] = check.get("has_lift", parse_bool)
    v["access_code"] = check.get("access_code", max_length=40)
    v["notes"] = check.get("notes", max_length=2000)
    extra_cells(check)
    return v


def _judged_rows(table: CsvTable, errors: list[dict[str, Any]], *, session: Session, settings, network,
                 today: dt.date) -> list[tuple[int, dict[str, Any]]]:
    """The rows whose values are valid and that the collection rules accept, each counted in the bookings
    of the rows below it: (row, {"request", "decision", "ref"})."""
    from dispatch.pickups import requests as pickup_service

    config = pickup_service.rules_config(settings)
    base_ctx = pickup_service.rule_context(session=session, settings=settings, network=network, today=today)
    booked: dict[tuple[dt.date, str], int] = {}
    lo, hi = today, rules.latest_date(config, today)
    for (day, slot), count in pickup_service.booked_slots(session=session, start=lo, end=hi).items():
        booked[(day, slot)] = count
    parsed: list[tuple[int, dict[str, Any]]] = []
    for check, values in checked_rows(table, errors, _pickup_values, key="ref", label="reference"):
        if not check.ok:
            continue
        request = pickup_service.PickupInput(
            donor_name=values["donor_name"], phone=values["phone"], address=values["address"],
            postcode=values["postcode"], lat=values["lat"], lon=values["lon"], volume_m3=values["volume_m3"],
            date=values["date"], slot=values["slot"], categories=values["categories"], floor=values["floor"],
            has_lift=values["has_lift"], access_code=values["access_code"], notes=values["notes"],
        )
        ctx = rule_decision.RuleContext(today=base_ctx.today, largest_van_m3=base_ctx.largest_van_m3,
                                        in_graph_area=base_ctx.in_graph_area, booked=dict(booked))
        decision = pickup_service.evaluate(request, config=config, ctx=ctx)
        if not decision.accepted:
            for reason in decision.reasons:
                column = {"position": "lat"}.get(reason.field, reason.field) or None
                check.error(column, f"{reason.code}: {reason.message('en')}")
            continue
        key = (values["date"], values["slot"].value)
        booked[key] = booked.get(key, 0) + 1
        parsed.append((check.row, {"request": request, "decision": decision, "ref": values["ref"]}))
    return parsed


def _record(v: dict[str, Any], *, session: Session) -> PickupRequest:
    from dispatch.pickups import requests as pickup_service

    request, decision = v["request"], v["decision"]
    return PickupRequest(
        ref=v["ref"] or pickup_service.new_ref(session), donor_name=request.donor_name, phone=request.phone,
        address=request.address, postcode=request.postcode, lat=request.lat, lon=request.lon,
        volume_m3=request.volume_m3, categories=list(request.categories), date=request.date, slot=request.slot,
        floor=request.floor, has_lift=request.has_lift, access_code=request.access_code, notes=request.notes,
        status=PickupStatus.ACCEPTED, status_reason=None, decision=decision.to_dict(),
    )


def import_pickups(
    data: bytes, *, session: Session, settings, network, today: dt.date, max_rows: int, max_bytes: int,
    dry_run: bool = False,
) -> ImportResult:
    """Create accepted home-pickup requests from a CSV file, all or nothing.

    Every row is judged by the collection rules (zone, lead time, capacities counting the rows above
    it, position on the road network...): a row the rules refuse is a bad row, reported with every reason.
    """
    table = read_csv(data, PICKUP_COLUMNS, max_rows=max_rows, max_bytes=max_bytes)
    errors: list[dict[str, Any]] = []
    parsed = _judged_rows(table, errors, session=session, settings=settings, network=network, today=today)

    refs = [v["ref"].upper() for _, v in parsed if v["ref"]]
    taken = {r.upper() for r in stored(session, PickupRequest.ref, PickupRequest.ref, refs)}
    for row, v in parsed:
        if v["ref"] and v["ref"].upper() in taken:
            errors.append({"row": row, "column": "ref",
                           "error": f"a pickup request {v['ref']!r} already exists: use another reference"})
    reject_if_any(errors, len(table.rows))

    result = ImportResult.of("pickups", dry_run, table)
    for _, v in parsed:
        result.created += 1
        if dry_run:
            result.refs.append(v["ref"] or "")
            continue
        record = _record(v, session=session)
        session.add(record)
        result.refs.append(record.ref)
    if not dry_run:
        session.flush()
    return result
