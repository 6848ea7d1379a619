"""Pydantic schemas of data exchange: the CSV imports (their documented columns and what an import did) and the
monthly report for funders (volumes by arrondissement and by kind, km, crew hours, visits, pickups)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class ImportColumnOut(BaseModel):
    name: str
    required: bool
    description: str
    aliases: list[str] = Field(description="other accepted header names (French, accents and case ignored)")


class ImportOut(BaseModel):
    kind: Literal["relay_points", "pickups", "depots"]
    dry_run: bool = Field(description="true: checked only, nothing stored")
    rows: int
    created: int
    updated: int
    encoding: str = Field(description="how the file was decoded: utf-8, utf-8-sig (BOM), utf-16, cp1252, latin-1")
    delimiter: str
    ignored_columns: list[str] = Field(description="header columns that are not documented (not imported)")
    refs: list[str] = Field(description="pickups: the references of the requests created")


class ReportVolumeRow(BaseModel):
    m3: float
    reported_m3: float = Field(description="collected m³ as reported by crews")
    planned_m3: float = Field(description="expected m³ of planned stops with no outcome reported")
    stops: int


class ReportArrondissementRow(ReportVolumeRow):
    arrondissement: str = Field(description="75001-75020, or a neighbouring commune's postcode")


class ReportKindRow(ReportVolumeRow):
    kind: str = Field(description="the relay point's kind, or home_pickup")


class MonthlyReportOut(BaseModel):
    month: str
    published_plans: int
    days: list[dt.date]
    rounds: int
    volume_m3: dict[str, float] = Field(description="total, reported and planned parts")
    volume_by_arrondissement: list[ReportArrondissementRow]
    volume_by_kind: list[ReportKindRow]
    km_driven: dict[str, float | str]
    crew_hours: dict[str, float | str]
    relay_point_visits: dict[str, int | str]
    pickups: dict[str, int | str]
    missed_reasons: dict[str, int]
    sources: dict[str, str]
