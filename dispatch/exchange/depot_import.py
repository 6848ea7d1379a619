"""CSV import of depots and of which depot each van is based at: all rows valid, or nothing imported.

Same file handling as :mod:`dispatch.exchange.csv_import` (encodings, ``,``/``;``/tab, every bad row listed as
``{"row", "column", "error"}``). A depot is matched by name (case-insensitive): a new name creates a
depot, a known one is updated only with ``update``. The optional ``vans`` column lists the names of
vans to base at that depot (``Camion 1|Fourgon 3``): they are moved there. Flushes, never commits.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.exchange.csv_import import Column, ImportRejected, ImportResult, read_csv
from dispatch.exchange.import_rows import RowChecker, extra_cells, parse_number, parse_opening_hours, position_error
from dispatch.models import Depot, Van

DEPOT_COLUMNS: tuple[Column, ...] = (
    Column("name", True, "depot name, unique (at most 200 characters)", ("nom",)),
    Column("address", True, "street address (at most 300 characters)", ("adresse",)),
    Column("lat", True, "latitude in decimal degrees (WGS84)", ("latitude",)),
    Column("lon", True, "longitude in decimal degrees (WGS84)", ("lng", "longitude")),
    Column("opening_hours", False, "when vans may leave and must be back, e.g. 'Mo-Sa 07:00-18:00' "
                                   "(empty: no limit beyond the crews' shifts)", ("horaires",)),
    Column("region", False, "planning region, lower-case letters, digits, '-' or '_' (empty: 'default')",
           ("region_planification",)),
    Column("vans", False, "names of the vans based there, separated by '|', e.g. 'Camion 1|Fourgon 3'",
           ("camions",)),
)
_REGION_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def _row_values(check: RowChecker, vans: dict[str, Van], network, max_snap_distance_m: float) -> dict[str, Any]:
    v: dict[str, Any] = {"name": check.get("name", required=True, max_length=200),
                         "address": check.get("address", required=True, max_length=300)}
    lat, lon = check.get("lat", parse_number, required=True), check.get("lon", parse_number, required=True)
    check.in_range("lat", lat, -90, 90)
    check.in_range("lon", lon, -180, 180)
    if check.ok and lat is not None and lon is not None:
        problem = position_error(lat, lon, network, max_snap_distance_m)
        if problem:
            check.error("lat", problem)
    v["lat"], v["lon"] = lat, lon
    v["opening_hours"] = check.get("opening_hours", parse_opening_hours, default=[])
    region = check.get("region")
    if region is not None and not _REGION_RE.match(region.strip().lower()):
        check.error("region", f"{region!r}: use lower-case letters, digits, '-' or '_' (at most 60)")
    v["region"] = region.strip().lower() if region else None
    v["vans"] = []
    for name in (n.strip() for n in (check.get("vans") or "").split("|")):
        if not name:
            continue
        van = vans.get(name.lower())
        if van is None:
            check.error("vans", f"no van is named {name!r}: the vans are {', '.join(sorted(v.name for v in vans.values()))}")
        else:
            v["vans"].append(van)
    extra_cells(check)
    return v


def import_depots(data: bytes, *, session: Session, network, max_snap_distance_m: float, max_rows: int,
                  max_bytes: int, dry_run: bool = False, update: bool = False) -> ImportResult:
    """Create (and with ``update``, update by name) depots from a CSV file, all or nothing."""
    table = read_csv(data, DEPOT_COLUMNS, max_rows=max_rows, max_bytes=max_bytes)
    vans = {v.name.lower(): v for v in session.scalars(select(Van)).all()}
    stored = {d.name.lower(): d for d in session.scalars(select(Depot)).all()}
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    van_rows: dict[int, int] = {}
    for i, raw in enumerate(table.rows):
        check = RowChecker(i + 2, raw, errors)
        values = _row_values(check, vans, network, max_snap_distance_m)
        key = (values["name"] or "").lower()
        if key in seen:
            check.error("name", f"depot {values['name']!r} is already in row {seen[key]} of this file")
        elif key:
            seen[key] = check.row
        if key in stored and not update:
            check.error("name", f"depot {values['name']!r} already exists: change the name, or import with "
                                "update (--update, update=true) to change it")
        for van in values["vans"]:
            if van.id in van_rows:
                check.error("vans", f"van {van.name!r} is already based at the depot of row {van_rows[van.id]}")
            van_rows[van.id] = check.row
        if check.ok:
            parsed.append((check.row, values))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"] or "")), len(table.rows))
    result = ImportResult("depots", dry_run, len(table.rows), encoding=table.encoding, delimiter=table.delimiter,
                          ignored_columns=table.ignored_columns)
    for _, values in parsed:
        depot = stored.get(values["name"].lower())
        if depot is None:
            result.created += 1
        else:
            result.updated += 1
        if dry_run:
            continue
        if depot is None:
            depot = Depot(name=values["name"])
            session.add(depot)
        for name in ("address", "lat", "lon", "opening_hours", "region"):
            setattr(depot, name, values[name])
        session.flush()
        for van in values["vans"]:
            van.depot_id = depot.id
    if not dry_run:
        session.flush()
    return result
