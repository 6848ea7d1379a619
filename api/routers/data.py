"""Data exchange: CSV imports, CSV/GeoJSON exports of a day's rounds, the monthly report for funders."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from api.deps import NetworkDep, SessionDep, SettingsDep
from api.errors import problem
from api.schemas.exchange import ImportColumnOut, ImportOut, MonthlyReportOut
from api.security import Role, note, require
from dispatch.exchange import exports
from dispatch.exchange import csv_import, pickup_import, relay_import
from dispatch.exchange import reports
from dispatch.exchange import ImportRejected, UnsupportedFile
from dispatch.workdays import local_today

imports_router = APIRouter(prefix="/api/v1/imports", tags=["data exchange"])
exports_router = APIRouter(prefix="/api/v1/exports", tags=["data exchange"],
                           dependencies=[require(Role.COORDINATOR)])
reports_router = APIRouter(prefix="/api/v1/reports", tags=["data exchange"],
                           dependencies=[require(Role.COORDINATOR)])

REJECTED = {
    422: {"description": "bad rows (nothing imported): `errors` lists every one as {row, column, error}; "
                         "or an empty file / missing header columns", "content": {"application/problem+json": {}}},
    413: {"description": "file larger than DISPATCH_IMPORT_MAX_BYTES or more rows than DISPATCH_IMPORT_MAX_ROWS"},
    415: {"description": "not a CSV text file (e.g. an .xlsx workbook)"},
}
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "CSV"}}


def _read_upload(file: UploadFile, max_bytes: int) -> bytes:
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if content_type not in csv_import.ACCEPTED_CONTENT_TYPES:
        raise UnsupportedFile(f"the file is sent as {content_type!r}: send a CSV file (text/csv); from Excel use "
                              "File > Save as > 'CSV UTF-8' or 'CSV (semicolon delimited)'", field="file")
    return file.file.read(max_bytes + 1)


def _rejected(request: Request, exc: ImportRejected) -> JSONResponse:
    request.state.error_status = 422  # nothing changed: not an audited change (like a raised error)
    return problem(422, exc.message, field="file", errors=exc.errors)


def _imported(request: Request, result: csv_import.ImportResult) -> ImportOut:
    note(request, entity=result.kind, rows=result.rows, created=result.created, updated=result.updated,
         dry_run=result.dry_run)
    return ImportOut(**result.to_dict())


@imports_router.get("/columns", summary="The documented columns of each import file",
                    dependencies=[require(Role.COORDINATOR, Role.SWITCHBOARD)])
def import_columns() -> dict[str, list[ImportColumnOut]]:
    return {
        "relay_points": [ImportColumnOut(**c) for c in csv_import.columns_doc(relay_import.RELAY_POINT_COLUMNS)],
        "pickups": [ImportColumnOut(**c) for c in csv_import.columns_doc(pickup_import.PICKUP_COLUMNS)],
    }


@imports_router.post(
    "/relay-points", responses=REJECTED, dependencies=[require(Role.COORDINATOR)],
    summary="Import relay points from a CSV file (all rows or none)",
    description="Multipart upload, field `file`. Separator `,`, `;` or tab; UTF-8 (with or without BOM) or "
    "Windows-1252/Latin-1 (French Excel). Columns: see `GET /api/v1/imports/columns`. Every row is checked "
    "(types, ranges, position on the road network, duplicate codes in the file and in the database); if any "
    "row is bad nothing is imported and the 422 lists every problem. `dry_run=true` only checks; "
    "`update=true` updates relay points whose code exists instead of refusing them.",
)
def import_relay_points(
    request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep,
    file: Annotated[UploadFile, File(description="the CSV file")],
    dry_run: bool = False, update: bool = False,
) -> ImportOut:
    data = _read_upload(file, settings.import_max_bytes)
    try:
        result = relay_import.import_relay_points(
            data, session=session, network=network, max_snap_distance_m=settings.max_snap_distance_m,
            max_rows=settings.import_max_rows, max_bytes=settings.import_max_bytes, dry_run=dry_run, update=update,
        )
    except ImportRejected as exc:
        return _rejected(request, exc)  # nothing was added to the session
    return _imported(request, result)


@imports_router.post(
    "/pickups", responses=REJECTED, dependencies=[require(Role.COORDINATOR, Role.SWITCHBOARD)],
    summary="Import home-pickup requests from a CSV file (all rows or none)",
    description="Same file rules as relay points. Every row is judged by the collection rules (zone, lead "
    "time, capacities counting the rows above it, required details...): a refused row is a bad row, with "
    "every reason. Imported requests are `accepted`.",
)
def import_pickups(
    request: Request, session: SessionDep, settings: SettingsDep, network: NetworkDep,
    file: Annotated[UploadFile, File(description="the CSV file")],
    dry_run: bool = False,
) -> ImportOut:
    data = _read_upload(file, settings.import_max_bytes)
    today = local_today(settings.timezone)
    try:
        result = pickup_import.import_pickups(
            data, session=session, settings=settings, network=network, today=today,
            max_rows=settings.import_max_rows, max_bytes=settings.import_max_bytes, dry_run=dry_run,
        )
    except ImportRejected as exc:
        return _rejected(request, exc)
    return _imported(request, result)


@exports_router.get(
    "/rounds.csv", response_class=Response, responses=CSV_RESPONSE,
    summary="A day's rounds as CSV, one line per stop",
    description="Columns: date, plan, round, van, crew, position, kind, ref, name, address, position, planned "
    "arrival, window, service minutes, expected m³, load after, contact, access notes. `excel=true`: `;` "
    "separator, decimal commas and a UTF-8 BOM (French Excel). `personal=false` leaves donors' names, phones "
    "and exact positions out. Cells starting with = + - @ are prefixed with a quote.",
)
def rounds_csv(session: SessionDep, date: dt.date, excel: bool = False, personal: bool = True) -> Response:
    data = exports.rounds_csv(date, session=session, excel=excel, personal=personal)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="rounds-{date.isoformat()}.csv"', "Cache-Control": "no-store"})


@exports_router.get(
    "/relay-points.csv", response_class=Response, responses=CSV_RESPONSE,
    summary="Every relay point in the import's columns (edit, then import back with update=true)",
)
def relay_points_csv(session: SessionDep, excel: bool = False) -> Response:
    return Response(exports.relay_points_csv(session=session, excel=excel), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="relay-points.csv"',
                             "Cache-Control": "no-store"})


@exports_router.get(
    "/rounds.geojson", response_class=JSONResponse,
    responses={200: {"content": {"application/geo+json": {}}, "description": "GeoJSON FeatureCollection"}},
    summary="A day's rounds as GeoJSON: stops as points, each round as a street-level LineString",
)
def rounds_geojson(session: SessionDep, settings: SettingsDep, network: NetworkDep, date: dt.date,
                   personal: bool = True, streets: bool = True) -> JSONResponse:
    data = exports.rounds_geojson(date, session=session, network=network if streets else None,
                                  max_snap_distance_m=settings.max_snap_distance_m, personal=personal)
    return JSONResponse(data, media_type="application/geo+json", headers={
        "Content-Disposition": f'inline; filename="rounds-{date.isoformat()}.geojson"', "Cache-Control": "no-store"})


@reports_router.get(
    "/monthly", response_model=MonthlyReportOut,
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
    summary="Monthly report for funders: m³ by arrondissement and kind, km, crew hours, visits, pickups",
    description="From the published plans and the crews' stop events. Each figure says whether it is "
    "`reported` (crews' collected m³ and missed stops) or `planned` (expected m³ where nothing was reported; "
    "km and hours of the planned rounds). `format=csv` gives flat lines (add `excel=true` for French Excel).",
)
def monthly(session: SessionDep, month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-12"])],
            format: Literal["json", "csv"] = "json", excel: bool = False) -> Any:
    if format == "csv":
        data = reports.monthly_report_csv(month, session=session, excel=excel)
        return Response(data, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="report-{month}.csv"', "Cache-Control": "no-store"})
    return MonthlyReportOut(**reports.monthly_report(month, session=session))


routers = (imports_router, exports_router, reports_router)


# Shared with the depots import (api/routers/depots.py).
read_upload, rejected, imported = _read_upload, _rejected, _imported
