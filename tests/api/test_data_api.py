"""Imports, exports, the monthly report and webhook subscriptions over HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.api.conftest import PLAN_DAY
from tests.conftest import REPO

SAMPLES = REPO / "docs" / "samples"
MAX_BYTES = 2 * 1024 * 1024  # the default DISPATCH_IMPORT_MAX_BYTES


@pytest.fixture
def settings(migrated_url: str):
    """The shared test settings, without the background webhook delivery (the tests look at the outbox)."""
    from dispatch.settings import Settings

    return Settings(database_url=migrated_url, solve_time_limit_s=3, webhook_delivery_interval_s=0,
                    job_isolation="thread", _env_file=None)


def _upload(client, path: str, data: bytes, name: str = "file.csv", content_type: str = "text/csv", **params):
    return client.post(path, params=params, files={"file": (name, data, content_type)})


def _total(client) -> int:
    return client.get("/api/v1/relay-points", params={"limit": 1}).json()["total"]


def test_import_relay_points_then_duplicates_then_update(client):
    sample = (SAMPLES / "relay_points.csv").read_bytes()
    before = _total(client)
    dry = _upload(client, "/api/v1/imports/relay-points", sample, dry_run="true")
    assert dry.status_code == 200 and dry.json()["dry_run"] and dry.json()["created"] == 3
    assert _total(client) == before
    r = _upload(client, "/api/v1/imports/relay-points", sample)
    assert r.status_code == 200, r.text
    assert r.json() | {"refs": []} == {"kind": "relay_points", "dry_run": False, "rows": 3, "created": 3,
                                        "updated": 0, "encoding": "utf-8", "delimiter": ",",
                                        "ignored_columns": [], "refs": []}
    assert _total(client) == before + 3
    again = _upload(client, "/api/v1/imports/relay-points", sample)
    assert again.status_code == 422
    body = again.json()
    assert again.headers["content-type"].startswith("application/problem+json")
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "code"), (3, "code"), (4, "code")]
    assert "nothing was imported" in body["detail"]
    updated = _upload(client, "/api/v1/imports/relay-points", sample, update="true")
    assert updated.status_code == 200 and updated.json()["updated"] == 3
    assert _total(client) == before + 3
    # The audit log keeps the imports that changed something, with their counts; not the refused one.
    audit = client.get("/api/v1/audit", params={"limit": 500}).json()
    entries = audit["items"] if isinstance(audit, dict) else audit
    imported = [e for e in entries if e["path"] == "/api/v1/imports/relay-points"]
    assert sorted((e["detail"]["dry_run"], e["detail"]["created"], e["detail"]["updated"]) for e in imported) == \
        [(False, 0, 3), (False, 3, 0), (True, 3, 0)]


def test_bad_rows_give_a_row_level_report_and_import_nothing(client):
    text = (SAMPLES / "relay_points.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[2] = lines[2].replace("48.86590", "quarante-huit")
    lines.append(lines[1].replace("AMI-019-20", "AMI-001-01"))  # a demo code
    before = _total(client)
    r = _upload(client, "/api/v1/imports/relay-points", ("\n".join(lines) + "\n").encode("cp1252"))
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(3, "lat"), (5, "code")}
    assert all(set(e) == {"row", "column", "error"} for e in errors)
    assert _total(client) == before


@pytest.mark.parametrize("data,name,ctype,status,needle", [
    (b"x" * (MAX_BYTES + 10), "big.csv", "text/csv", 413, "DISPATCH_IMPORT_MAX_BYTES"),
    (b"", "empty.csv", "text/csv", 422, "empty"),
    (b"PK\x03\x04rest-of-a-zip", "sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     415, "CSV"),
    (b"\x89PNG\r\n\x1a\n", "logo.png", "image/png", 415, "text/csv"),
    (b"code;nom\nA;B\n", "partial.csv", "text/csv", 422, "lacks the required column"),
])
def test_unusable_files_are_4xx_with_the_fix(client, data, name, ctype, status, needle):
    r = _upload(client, "/api/v1/imports/relay-points", data, name=name, content_type=ctype)
    assert r.status_code == status, r.text
    assert needle in r.json()["detail"]


def test_a_large_good_file_passes_the_general_body_limit(client, settings):
    """Above DISPATCH_MAX_BODY_BYTES (1 MB) but within DISPATCH_IMPORT_MAX_BYTES: imported (here: checked)."""
    sample = (SAMPLES / "relay_points.csv").read_text(encoding="utf-8").splitlines()
    header, row = sample[0], sample[1]
    notes = "x" * 1800
    lines = [header] + [row.replace("AMI-019-20", f"AMI-L-{i:04d}").replace(",yes", "").rsplit(",", 1)[0]
                        + f",{notes},yes" for i in range(700)]
    data = ("\n".join(lines) + "\n").encode()
    assert settings.max_body_bytes < len(data) < MAX_BYTES
    r = _upload(client, "/api/v1/imports/relay-points", data, dry_run="true")
    assert r.status_code == 200, r.text[:500]
    assert r.json()["created"] == 700


def test_no_file_field_is_a_422(client):
    r = client.post("/api/v1/imports/relay-points", data={"other": "x"})
    assert r.status_code == 422 and r.json()["field"] == "file"


def test_columns_are_documented(client):
    cols = client.get("/api/v1/imports/columns").json()
    assert {c["name"] for c in cols["relay_points"] if c["required"]} >= {"code", "lat", "lon", "opening_hours"}
    assert any(c["name"] == "slot" and "matin" in c["description"] for c in cols["pickups"])


def _next_days(settings, count: int) -> list[dt.date]:
    from dispatch.pickups.requests import rules_config
    from dispatch.pickups.rules import earliest_date
    from dispatch.workdays import is_collection_day, local_today

    today = local_today(settings.timezone)
    day, out = earliest_date(rules_config(settings), today) + dt.timedelta(days=3), []
    while len(out) < count:
        if is_collection_day(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def test_import_pickups(client, settings):
    day1, day2 = _next_days(settings, 2)
    text = (SAMPLES / "pickups.csv").read_text(encoding="utf-8")
    text = text.replace("2026-12-08", day1.isoformat()).replace("2026-12-09", day2.strftime("%d/%m/%Y"))
    r = _upload(client, "/api/v1/imports/pickups", text.encode("utf-8"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3 and r.json()["refs"] == ["IMP-0001", "IMP-0002", "IMP-0003"]
    listed = client.get("/api/v1/pickup-requests", params={"date": day2.isoformat()}).json()
    assert [(p["ref"], p["status"], p["donor_name"]) for p in listed] == [("IMP-0003", "accepted", "Mme Zoé Lefèvre")]
    bad = text.replace("IMP-0001", "IMP-0009").replace("IMP-0002", "IMP-0008").replace("75011,", "13001,")
    r = _upload(client, "/api/v1/imports/pickups", bad.encode("utf-8"))
    assert r.status_code == 422
    assert [(e["row"], e["column"]) for e in r.json()["errors"]] == [(3, "postcode"), (4, "ref")]


# ------------------------------------------------------------------ exports and report


@pytest.fixture
def planned(client):
    r = client.post("/api/v1/plans", json={"date": PLAN_DAY.isoformat(), "time_limit_s": 2, "seed": 1})
    assert r.status_code == 201, r.text
    return r.json()


def test_exports_of_a_planned_day(client, planned):
    r = client.get("/api/v1/exports/rounds.csv", params={"date": PLAN_DAY.isoformat()})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"))))
    assert len(rows) == sum(len(x["stops"]) for x in planned["rounds"])
    first = planned["rounds"][0]["stops"][0]
    assert rows[0]["name"] == first["name"] and rows[0]["position"] == "1"
    excel = client.get("/api/v1/exports/rounds.csv", params={"date": PLAN_DAY.isoformat(), "excel": "true"})
    assert excel.content.startswith(b"\xef\xbb\xbf") and b";" in excel.content.splitlines()[0]
    geo = client.get("/api/v1/exports/rounds.geojson", params={"date": PLAN_DAY.isoformat()})
    assert geo.status_code == 200 and geo.headers["content-type"].startswith("application/geo+json")
    features = geo.json()["features"]
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert len(lines) == planned["rounds_count"] and all(f["properties"]["street_level"] for f in lines)
    rps = client.get("/api/v1/exports/relay-points.csv")
    assert rps.status_code == 200 and rps.text.startswith("code,name,kind,address")
    assert len(rps.text.strip().splitlines()) == 1 + _total(client)
    missing = client.get("/api/v1/exports/rounds.csv", params={"date": "2026-12-03"})
    assert missing.status_code == 404 and missing.json()["field"] == "date"
    assert client.get("/api/v1/exports/rounds.csv", params={"date": "2026-02-30"}).status_code == 422


def test_monthly_report_of_a_published_day(client, planned):
    assert client.post(f"/api/v1/plans/{planned['plan_id']}/publish",
                       params={"accept_unassigned": "true"}).status_code == 200
    r = client.get("/api/v1/reports/monthly", params={"month": "2026-12"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["published_plans"] == 1 and report["rounds"] == planned["rounds_count"]
    visits = report["relay_point_visits"]["planned"] + report["pickups"]["planned"]
    assert visits == planned["stops_count"]
    assert report["volume_m3"]["reported"] == 0 and report["volume_m3"]["planned"] > 0  # nothing reported yet
    assert report["km_driven"]["value"] == pytest.approx(planned["distance_km"], abs=0.2)
    as_csv = client.get("/api/v1/reports/monthly", params={"month": "2026-12", "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.text.startswith("section,key,value,unit,source")
    for bad in ("2026-13", "december", "2026-12-01"):
        assert client.get("/api/v1/reports/monthly", params={"month": bad}).status_code == 422
    assert client.get("/api/v1/reports/monthly", params={"month": "2026-12", "format": "xml"}).status_code == 422


# ------------------------------------------------------------------ webhooks


def test_webhook_subscriptions(client, planned):
    for url in ("ftp://example.org/x", "not a url", "https://u:p@example.org/"):
        r = client.post("/api/v1/webhooks", json={"url": url, "events": ["plan.published"]})
        assert r.status_code == 422 and r.json()["field"] == "url", url
    assert client.post("/api/v1/webhooks", json={"url": "https://example.org/h", "events": ["x"]}).status_code == 422
    created = client.post("/api/v1/webhooks", json={
        "url": "https://example.org/hooks/amistock", "events": ["plan.published", "pickup.scheduled"]})
    assert created.status_code == 201, created.text
    sub = created.json()
    assert len(sub["secret"]) >= 32
    listed = client.get("/api/v1/webhooks").json()
    assert [s["id"] for s in listed] == [sub["id"]] and "secret" not in listed[0]

    assert client.post(f"/api/v1/plans/{planned['plan_id']}/publish",
                       params={"accept_unassigned": "true"}).status_code == 200
    deliveries = client.get(f"/api/v1/webhooks/{sub['id']}/deliveries").json()
    events = sorted(d["event"] for d in deliveries)
    pickups = sum(1 for r in planned["rounds"] for s in r["stops"] if s["kind"] == "pickup")
    assert events == sorted(["plan.published"] + ["pickup.scheduled"] * pickups)
    assert all(d["status"] == "pending" for d in deliveries)

    assert client.delete(f"/api/v1/webhooks/{sub['id']}").status_code == 204
    assert client.get("/api/v1/webhooks").json() == []
    assert client.delete(f"/api/v1/webhooks/{sub['id']}").status_code == 404


def test_roles(client_as, anon_client):
    sample = (SAMPLES / "relay_points.csv").read_bytes()
    switchboard = client_as("switchboard")
    assert _upload(switchboard, "/api/v1/imports/relay-points", sample).status_code == 403
    # Switchboard staff may import pickups (the file is then judged: here, a 422 for an empty file).
    assert _upload(switchboard, "/api/v1/imports/pickups", b"").status_code == 422
    assert switchboard.get("/api/v1/exports/rounds.csv", params={"date": "2026-12-01"}).status_code == 403
    assert switchboard.get("/api/v1/webhooks").status_code == 403
    coordinator = client_as("coordinator")
    assert coordinator.get("/api/v1/reports/monthly", params={"month": "2026-12"}).status_code == 200
    assert coordinator.get("/api/v1/webhooks").status_code == 200
    for method, path in (("post", "/api/v1/imports/relay-points"), ("post", "/api/v1/imports/pickups"),
                         ("get", "/api/v1/exports/rounds.geojson?date=2026-12-01"),
                         ("get", "/api/v1/reports/monthly?month=2026-12"), ("get", "/api/v1/webhooks")):
        assert getattr(anon_client, method)(path).status_code == 401, path
