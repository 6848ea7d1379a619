"""Exports of a day's rounds (CSV, GeoJSON) and the monthly report for funders."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from sqlalchemy import select

from dispatch.exchange import exports
from dispatch.exchange import reports
from dispatch.field.events import record_stop_event
from dispatch.errors import InvalidInput, NotFound
from dispatch.models import PickupRequest, PickupStatus, PlanStatus, StopKind, UnassignedVisit
from tests.plan_factory import DAY, build_plan


def _rows(data: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_rounds_csv_has_one_line_per_stop_in_order(session):
    plan = build_plan(session)
    rows = _rows(exports.rounds_csv(DAY, session=session))
    assert len(rows) == sum(len(r.stops) for r in plan.rounds) == 7
    assert [(r["round_id"], r["position"]) for r in rows] == [
        (str(rnd.id), str(s.position)) for rnd in plan.rounds for s in rnd.stops]
    first = rows[0]
    rp = plan.rounds[0].stops[0].relay_point
    assert (first["kind"], first["ref"], first["name"], first["address"]) == ("relay_point", rp.code, rp.name, rp.address)
    assert (first["planned_arrival"], first["window_start"], first["window_end"]) == ("08:40", "10:00", "19:00")
    assert first["expected_m3"] == "1.5" and first["van"] == plan.rounds[0].van.name
    assert first["crew"] == plan.rounds[0].crew.name and first["plan_status"] == "draft"
    pickup = rows[1]
    pu = plan.rounds[0].stops[1].pickup_request
    assert (pickup["kind"], pickup["name"], pickup["contact"]) == ("pickup", pu.donor_name, pu.phone)
    assert [r["kind"] for r in rows[2:4]] == ["break", "unload"]
    assert rows[2]["name"] == "Pause déjeuner" and rows[2]["lat"] == ""


def test_excel_flavour_semicolons_decimal_commas_and_bom(session):
    build_plan(session)
    data = exports.rounds_csv(DAY, session=session, excel=True)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _rows(data, delimiter=";")
    assert rows[0]["expected_m3"] == "1,5" and "," in rows[0]["lat"] and "." not in rows[0]["lat"]
    assert "Déchargement au dépôt" in data.decode("utf-8-sig")


def test_exports_without_personal_data_keep_donors_out(session):
    plan = build_plan(session)
    pu = plan.rounds[0].stops[1].pickup_request
    data = exports.rounds_csv(DAY, session=session, personal=False).decode()
    assert pu.donor_name not in data and pu.phone not in data and pu.address not in data
    assert pu.ref in data
    geo = json.dumps(exports.rounds_geojson(DAY, session=session, personal=False), ensure_ascii=False)
    assert pu.donor_name not in geo and str(pu.lat) not in geo


def test_formula_injection_in_stored_names_is_neutralised(session):
    plan = build_plan(session)
    rp = plan.rounds[0].stops[0].relay_point
    rp.name, rp.access_notes = "=cmd|' /C calc'!A0", "@SUM(A1)"
    session.flush()
    for excel, delimiter in ((False, ","), (True, ";")):
        row = _rows(exports.rounds_csv(DAY, session=session, excel=excel), delimiter)[0]
        assert row["name"] == "'=cmd|' /C calc'!A0" and row["access_notes"] == "'@SUM(A1)"


def test_geojson_stops_and_street_level_lines(session, paris_network):
    plan = build_plan(session)
    geo = exports.rounds_geojson(DAY, session=session, network=paris_network)
    assert geo["type"] == "FeatureCollection" and geo["properties"]["plan_id"] == plan.id
    points = [f for f in geo["features"] if f["geometry"]["type"] == "Point"]
    lines = [f for f in geo["features"] if f["geometry"]["type"] == "LineString"]
    assert len(points) == 6  # every stop but the lunch break
    assert len(lines) == 2 and all(f["properties"]["street_level"] for f in lines)
    # Along the streets: many more vertices than depot + stops + depot.
    assert len(lines[0]["geometry"]["coordinates"]) > 10
    depot = plan.rounds[0].van.depot
    start = lines[0]["geometry"]["coordinates"][0]
    assert abs(start[0] - depot.lon) < 0.005 and abs(start[1] - depot.lat) < 0.005
    rp = plan.rounds[0].stops[0].relay_point
    assert points[0]["geometry"]["coordinates"] == [rp.lon, rp.lat]
    assert points[0]["properties"]["name"] == rp.name and points[0]["properties"]["position"] == 1
    straight = exports.rounds_geojson(DAY, session=session)
    straight_lines = [f for f in straight["features"] if f["geometry"]["type"] == "LineString"]
    assert len(straight_lines[0]["geometry"]["coordinates"]) == 6  # depot, 4 placed stops, depot
    assert not straight_lines[0]["properties"]["street_level"]


def test_no_plan_for_the_day_is_a_404(session):
    with pytest.raises(NotFound, match="plan the day first"):
        exports.rounds_csv(dt.date(2026, 12, 2), session=session)


# ------------------------------------------------------------------ monthly report


def _events(session, plan):
    r1, r2 = plan.rounds
    record_stop_event(r1.id, r1.stops[0].id, "collected", session=session, idempotency_key="evt-00000001",
                      collected_m3=1.2)
    record_stop_event(r1.id, r1.stops[1].id, "missed", session=session, idempotency_key="evt-00000002",
                      reason="absent")
    record_stop_event(r2.id, r2.stops[0].id, "arrived", session=session, idempotency_key="evt-00000003")
    record_stop_event(r2.id, r2.stops[0].id, "collected", session=session, idempotency_key="evt-00000004",
                      collected_m3=2.0)


def test_monthly_report_mixes_reported_and_planned_figures(session):
    plan = build_plan(session, status=PlanStatus.PUBLISHED)
    _events(session, plan)
    left_out = session.scalars(select(PickupRequest).where(PickupRequest.status == PickupStatus.ACCEPTED)).first()
    plan.unassigned.append(UnassignedVisit(kind=StopKind.PICKUP, pickup_request_id=left_out.id, mandatory=True,
                                           reason="capacity", detail="no van had room left"))
    session.flush()
    r1, r2 = plan.rounds
    report = reports.monthly_report("2026-12", session=session)
    assert report["published_plans"] == 1 and report["days"] == ["2026-12-01"] and report["rounds"] == 2
    # Reported: 1.2 (relay point) + 0 (missed pickup) + 2.0 (pickup); planned: the two relay points not reported.
    planned = r1.stops[4].expected_m3 + r2.stops[1].expected_m3
    assert report["volume_m3"] == {"total": round(3.2 + planned, 2), "reported": 3.2, "planned": round(planned, 2)}
    assert report["relay_point_visits"]["planned"] == 3 and report["relay_point_visits"]["collected"] == 1
    assert report["relay_point_visits"]["not_reported"] == 2
    assert {k: report["pickups"][k] for k in ("planned", "collected", "missed", "not_reported")} == \
        {"planned": 2, "collected": 1, "missed": 1, "not_reported": 0}
    assert report["pickups"]["not_planned"] == 1
    assert report["missed_reasons"] == {"absent": 1}
    assert report["km_driven"] == {"value": 42.0, "source": "planned"}
    assert report["crew_hours"]["value"] == 11.5 and report["crew_hours"]["source"] == "planned"
    assert report["crew_hours"]["person_hours"] >= 11.5
    kinds = {row["kind"]: row for row in report["volume_by_kind"]}
    assert kinds["home_pickup"]["reported_m3"] == 2.0 and kinds["home_pickup"]["stops"] == 2
    rp1 = r1.stops[0].relay_point
    assert kinds[rp1.kind.value]["reported_m3"] >= 1.2
    arrs = {row["arrondissement"]: row for row in report["volume_by_arrondissement"]}
    assert f"750{rp1.arrondissement:02d}" in arrs
    assert round(sum(r["m3"] for r in report["volume_by_arrondissement"]), 2) == report["volume_m3"]["total"]
    assert round(sum(r["m3"] for r in report["volume_by_kind"]), 2) == report["volume_m3"]["total"]
    assert set(report["sources"]) == {"reported", "planned"}


def test_drafts_and_other_months_do_not_count(session):
    build_plan(session)  # a draft
    assert reports.monthly_report("2026-12", session=session)["published_plans"] == 0
    assert reports.monthly_report("2026-11", session=session)["volume_m3"]["total"] == 0


def test_monthly_report_csv(session):
    plan = build_plan(session, status=PlanStatus.PUBLISHED)
    _events(session, plan)
    rows = _rows(reports.monthly_report_csv("2026-12", session=session))
    by = {(r["section"], r["key"]): r for r in rows}
    assert by[("volume", "total")]["reported"] == "3.2" and by[("volume", "total")]["source"] == "mixed"
    assert by[("km_driven", "total")]["value"] == "42" and by[("km_driven", "total")]["source"] == "planned"
    assert by[("pickups", "missed")]["value"] == "1" and by[("pickups", "missed")]["source"] == "reported"
    assert ("volume_by_kind", "home_pickup") in by


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-12", "", "2026-12-01", "9999-01"])
def test_bad_months_are_refused(session, month):
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        reports.monthly_report(month, session=session)

