"""CSV import of relay points: all rows valid, or nothing imported.

Every row is checked (types, ranges, opening hours, the position on the road network with the snap check
planning uses, a code used twice in the file or, without ``update``, already stored); the file handling and
the error report are those of :mod:`dispatch.exchange.csv_import`. A new relay point gets a staff stock
report of its initial stock; with ``update`` a stored one (matched by code, case-insensitively) takes the
row's values. Flushes, never commits.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from dispatch.exchange.csv_import import Column, ImportResult, fold, read_csv, reject_if_any
from dispatch.exchange.fields import phone_problem
from dispatch.exchange.import_rows import (
    RowChecker,
    check_code,
    check_position,
    check_postcode,
    checked_rows,
    extra_cells,
    parse_bool,
    parse_int,
    parse_number,
    parse_opening_hours,
    position_error,
    stored,
)
from dispatch.fleet import MIN_RELAY_CAPACITY_M3
from dispatch.models import RelayPoint, RelayPointKind, ReportSource, StockReport, utcnow

RELAY_POINT_COLUMNS: tuple[Column, ...] = (
    Column("code", True, "unique code, letters, digits, '-' or '_' (at most 40), e.g. AMI-019-02"),
    Column("name", True, "name shown to crews (at most 200 characters)", ("nom",)),
    Column("kind", True, "town_hall, library, shop, company, association or home "
                         "(French: mairie, bibliotheque, commerce, entreprise, association, particulier)", ("type",)),
    Column("address", True, "street address (at most 300 characters)", ("adresse",)),
    Column("postcode", True, "5-digit postcode, e.g. 75019", ("code_postal", "cp")),
    Column("lat", True, "latitude in decimal degrees (WGS84), '.' or ',' as decimal mark", ("latitude",)),
    Column("lon", True, "longitude in decimal degrees (WGS84)", ("lng", "longitude")),
    Column("capacity_m3", True, f"capacity in m³, at least {MIN_RELAY_CAPACITY_M3:g} and at most 50", ("capacite_m3",)),
    Column("opening_hours", True, "e.g. 'Mo-Fr 10:00-12:30 14:00-19:00 | Sa 10:00-13:00' "
                                  "(days Mo Tu We Th Fr Sa Su or lu ma me je ve sa di; entries separated by '|')",
           ("horaires",)),
    Column("arrondissement", False, "1-20; default: from a Paris postcode 750xx"),
    Column("stock_m3", False, "current stock in m³, 0 to the capacity (default 0)"),
    Column("daily_rate_m3", False, "expected donations in m³ per day, 0-10 (default 0.1)", ("debit_m3_jour",)),
    Column("contact_name", False, "host contact (at most 200 characters)", ("contact",)),
    Column("contact_phone", False, "host phone (at most 40 characters)", ("telephone_contact",)),
    Column("access_notes", False, "notes for crews (parking, entrance)", ("acces",)),
    Column("active", False, "yes/no, true/false, oui/non, 1/0 (default yes)", ("actif",)),
)

_KIND_ALIASES = {
    "mairie": "town_hall", "bibliotheque": "library", "mediatheque": "library", "commerce": "shop",
    "boutique": "shop", "magasin": "shop", "entreprise": "company", "societe": "company",
    "particulier": "home", "domicile": "home",
}
_REQUIRED_RELAY = frozenset(c.name for c in RELAY_POINT_COLUMNS if c.required)


def _kind(check: RowChecker, v: dict[str, Any]) -> None:
    kind = check.get("kind", required=True)
    if kind is not None:
        folded = fold(kind)
        folded = _KIND_ALIASES.get(folded, folded)
        try:
            v["kind"] = RelayPointKind(folded)
        except ValueError:
            check.error("kind", f"{kind!r} is not a kind: use one of "
                                f"{', '.join(k.value for k in RelayPointKind)}")


def _arrondissement(check: RowChecker, postcode: str | None) -> int | None:
    arr = check.get("arrondissement", parse_int)
    check.in_range("arrondissement", arr, 1, 20)
    if arr is None and postcode and re.match(r"^750(0[1-9]|1\d|20)$", postcode):
        arr = int(postcode[3:])
    elif arr is None and postcode == "75116":
        arr = 16
    return arr


def _relay_values(check: RowChecker) -> dict[str, Any]:
    v: dict[str, Any] = {}
    v["code"] = check_code(check, "code", required=True)
    v["name"] = check.get("name", required=True, max_length=200)
    _kind(check, v)
    v["address"] = check.get("address", required=True, max_length=300)
    v["postcode"] = postcode = check_postcode(check)
    v["lat"], v["lon"] = check_position(check)
    cap = check.get("capacity_m3", parse_number, required=True)
    check.in_range("capacity_m3", cap, MIN_RELAY_CAPACITY_M3, 50)
    v["capacity_m3"] = cap
    v["opening_hours"] = check.get("opening_hours", parse_opening_hours, required=True)
    v["arrondissement"] = arr = _arrondissement(check, postcode)
    stock = check.get("stock_m3", parse_number, default=0.0)
    if cap is not None and cap > 0:
        check.in_range("stock_m3", stock, 0, cap)
    v["stock_m3"] = stock
    rate = check.get("daily_rate_m3", parse_number, default=0.1)
    check.in_range("daily_rate_m3", rate, 0, 10)
    v["daily_rate_m3"] = rate
    v["contact_name"] = check.get("contact_name", max_length=200)
    phone = check.get("contact_phone", max_length=40)
    if phone is not None and phone_problem(phone):
        check.error("contact_phone", phone_problem(phone))
    v["contact_phone"] = phone
    v["access_notes"] = check.get("access_notes", max_length=2000)
    v["active"] = check.get("active", parse_bool, default=True)
    extra_cells(check)
    # What the row really gives (an update leaves the other columns as stored).
    v["__given__"] = {name for name, text in check.raw.items() if text} | ({"arrondissement"} if arr else set())
    return v


def _store(values: dict[str, Any], rp: RelayPoint | None, result: ImportResult, *, session: Session,
           now: Any) -> None:
    """Create (``rp`` None) or update one relay point, with its stock report; counts it in ``result``."""
    given = values.pop("__given__")
    if rp is None:
        result.created += 1
        if not result.dry_run:
            rp = RelayPoint(**values, full=values["stock_m3"] >= values["capacity_m3"], stock_updated_at=now)
            session.add(rp)
            session.add(StockReport(relay_point=rp, reported_at=now, source=ReportSource.STAFF,
                                    stock_m3=rp.stock_m3, full=rp.full, note="CSV import: initial stock"))
        return
    result.updated += 1
    if result.dry_run:
        return
    for name, value in values.items():
        if name != "code" and (name in given or name in _REQUIRED_RELAY):
            setattr(rp, name, value)
    if "stock_m3" in given or rp.stock_m3 > rp.capacity_m3:
        rp.stock_m3 = min(rp.stock_m3, rp.capacity_m3)
        rp.full = rp.stock_m3 >= rp.capacity_m3
        rp.stock_updated_at = now
        session.add(StockReport(relay_point=rp, reported_at=now, source=ReportSource.STAFF,
                                stock_m3=rp.stock_m3, full=rp.full, note="CSV import: stock updated"))


def import_relay_points(
    data: bytes, *, session: Session, network, max_snap_distance_m: float, max_rows: int, max_bytes: int,
    dry_run: bool = False, update: bool = False,
) -> ImportResult:
    """Create (and with ``update``, update by code) relay points from a CSV file, all or nothing.

    An update sets the required columns and the optional ones the row fills in; an optional column that
    is absent or empty leaves the stored value as it is.
    """
    table = read_csv(data, RELAY_POINT_COLUMNS, max_rows=max_rows, max_bytes=max_bytes)
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for check, values in checked_rows(table, errors, _relay_values, key="code", label="code"):
        if values["lat"] is not None and values["lon"] is not None and -90 <= values["lat"] <= 90 \
                and -180 <= values["lon"] <= 180:
            problem = position_error(values["lat"], values["lon"], network, max_snap_distance_m)
            if problem:
                check.error("lat", problem)
        if check.ok:
            parsed.append((check.row, values))

    codes = [v["code"].upper() for _, v in parsed]
    existing = {rp.code.upper(): rp for rp in stored(session, RelayPoint, RelayPoint.code, codes)}
    # Case-insensitive clash with a stored code written differently.
    if not update:
        for row, values in parsed:
            if values["code"].upper() in existing:
                errors.append({"row": row, "column": "code",
                               "error": f"relay point {values['code']!r} already exists: change the code, or send "
                                        "the file with update=true to update it"})
    reject_if_any(errors, len(table.rows))

    result = ImportResult.of("relay_points", dry_run, table)
    now = utcnow()
    for _, values in parsed:
        _store(values, existing.get(values["code"].upper()), result, session=session, now=now)
    if not dry_run:
        session.flush()
    return result
