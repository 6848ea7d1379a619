"""One validation for every door: the donor form, the JSON API and the CSV import refuse the same bad values;
malformed JSON of any depth is a 4xx; identifiers keep their character set; control and bidi characters never
reach a page, a PDF or a header; exporting then importing relay points changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging

import pytest
from sqlalchemy import func, select

from dispatch.db import session_scope
from dispatch.models import PickupRequest, RelayPoint
from tests.conftest import DEMO_DAY

DAY = (DEMO_DAY + dt.timedelta(days=14)).isoformat()


def _form(**over):
    data = {"donor_name": "Mme Durand", "phone": "06 12 34 56 78", "address": "12 rue de Belleville",
            "postcode": "75020", "volume_m3": "2.5", "date": DAY, "slot": "morning", "categories": ["books"],
            "floor": "0", "lat": "48.8721", "lon": "2.3770"}
    data.update(over)
    return data


def _json(**over):
    body = {"donor_name": "Mme Durand", "phone": "06 12 34 56 78", "address": "12 rue de Belleville, 75020 Paris",
            "postcode": "75020", "lat": 48.8721, "lon": 2.3770, "volume_m3": 2.5, "date": DAY, "slot": "morning",
            "categories": ["books"], "floor": 0, "has_lift": False}
    body.update(over)
    return body


def _csv_row(**over):
    row = {"donor_name": "Mme Durand", "phone": "0612345678", "address": "12 rue de Belleville",
           "postcode": "75020", "lat": "48.8721", "lon": "2.3770", "volume_m3": "2.5", "date": DAY,
           "slot": "morning", "categories": "books", "floor": "0", "has_lift": "no"}
    row.update(over)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode("utf-8")


def _pickups(engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(PickupRequest))


BAD = [
    ("phone", "x"), ("phone", "=1+1 <b>"), ("phone", "(((((("), ("floor", -100_000_000), ("floor", 61),
    ("donor_name", "Jean\x00Dupont"), ("donor_name", "\u202eJean Dupont"), ("address", "12 rue\u2066 X"),
    ("access_code", "12\x1b[2J"), ("notes", "a\x00b"),
]


@pytest.mark.parametrize("field,value", BAD)
def test_every_door_refuses_the_same_values(client, anon_client, db_engine, field, value):
    before = _pickups(db_engine)
    page = anon_client.post("/donner", data=_form(**{field: str(value)}))
    assert page.status_code == 422, page.text[:300]
    api = client.post("/api/v1/pickup-requests", json=_json(**{field: value}))
    assert api.status_code == 422 and api.json()["field"] in (field, "body"), api.text
    imported = client.post("/api/v1/imports/pickups", files={"file": ("p.csv", _csv_row(**{field: str(value)}),
                                                                     "text/csv")})
    if "\x00" in str(value):  # a file with NUL bytes is not taken as text at all
        assert imported.status_code == 415, imported.text
    else:
        assert imported.status_code == 422 and any(e["column"] == field for e in imported.json()["errors"]), \
            imported.text
    assert _pickups(db_engine) == before


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("body", [_deep(100_000), b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"{", b"\xff\xfe",
                                  b'{"volume_m3": NaN}', b"[]"])
@pytest.mark.parametrize("path", ["/donner/verifier", "/api/v1/pickup-requests", "/api/v1/webhooks",
                                  "/api/v1/relay-points"])
def test_malformed_or_deep_json_is_a_4xx_everywhere(client, path, body):
    r = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])


RELAY = {"code": "AMI-75019-90", "name": "Librairie test", "kind": "shop", "address": "12 avenue de Flandre",
         "postcode": "75019", "lat": 48.8867, "lon": 2.3720, "capacity_m3": 1.5,
         "opening_hours": [{"days": [1, 2, 3, 4, 5], "open": "10:00", "close": "19:00"}]}


@pytest.mark.parametrize("code", ["AMI-😀", 'AMI"; filename="evil.exe', "AMI 01", "AMI/01", "AMI\u202e10", "é-01"])
def test_relay_codes_keep_their_character_set_at_creation_and_import(client, code):
    r = client.post("/api/v1/relay-points", json={**RELAY, "code": code})
    assert r.status_code == 422 and r.json()["field"] == "code", r.text
    row = ("code,name,kind,address,postcode,lat,lon,capacity_m3,opening_hours\n"
           f'"{code.replace(chr(34), chr(34) * 2)}",Test,shop,1 rue X,75019,48.8867,2.372,1.5,Mo-Fr 10:00-19:00\n')
    imported = client.post("/api/v1/imports/relay-points", files={"file": ("r.csv", row.encode(), "text/csv")})
    assert imported.status_code == 422 and any(e["column"] == "code" for e in imported.json()["errors"])


def test_a_bad_code_stored_before_the_checks_does_not_break_the_poster(client, db_engine):
    with session_scope(db_engine) as s:
        rp = s.scalars(select(RelayPoint).order_by(RelayPoint.id)).first()
        rp.code = 'AMI-😀"; filename="evil.exe'
        rp_id = rp.id
    link = client.post(f"/api/v1/relay-points/{rp_id}/link").json()
    poster = client.get(link["poster_url"].split("//", 1)[-1].split("/", 1)[-1].join(["/", ""]))
    assert poster.status_code == 200 and poster.content.startswith(b"%PDF")
    disposition = poster.headers["content-disposition"]
    assert disposition.count("filename=") == 1 and "evil.exe" not in disposition.split('"')[-1]
    assert all(c.isascii() and (c.isalnum() or c in '._-; ="') for c in disposition)


def test_stored_control_and_bidi_characters_never_reach_pages_or_pdfs(client, anon_client, db_engine):
    from dispatch.documents.manifests import render_html

    with session_scope(db_engine) as s:
        rp = s.scalars(select(RelayPoint).order_by(RelayPoint.id)).first()
        rp.name = "Libra\x07irie \u202eesrever"  # (PostgreSQL stores no NUL at all)
        rp_id = rp.id
    link = client.post(f"/api/v1/relay-points/{rp_id}/link").json()
    page = anon_client.get("/p/" + link["url"].rsplit("/p/", 1)[1])
    assert page.status_code == 200 and "Librairie esrever" in page.text
    assert "\x07" not in page.text and "\u202e" not in page.text
    html = render_html("tracking.html", lang="fr", track=None, not_found=True, ref="AB\x00\u202eC")
    assert "\x00" not in html and "\u202e" not in html and "ABC" in html
    page = client.get("/api/v1/relay-points", params={"limit": 500}).json()  # JSON keeps the stored text
    assert any("\u202e" in p["name"] for p in page["items"])


def test_the_pdf_library_logs_no_donor_name(caplog):
    from dispatch.documents.manifests import _pdf_context, html_to_pdf

    fonts = _pdf_context("fr")
    html = (f"<html><head><style>@font-face {{ font-family: dv; src: url({fonts['font_regular']}); }} "
            "body { font-family: dv; }</style></head><body><p>Mme Zhang 张伟 Dupont</p></body></html>")
    with caplog.at_level(logging.DEBUG):
        assert html_to_pdf(html).startswith(b"%PDF")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Zhang" not in text and "张" not in text and "Dupont" not in text


def test_export_then_import_of_relay_points_changes_nothing(client, db_engine):
    with session_scope(db_engine) as s:
        rp = s.scalars(select(RelayPoint).order_by(RelayPoint.id)).first()
        rp.name, rp.contact_phone, rp.contact_name = "=Point test", "+33 1 44 52 29 19", "-Accueil-"
        rp_id = rp.id
    before = client.get("/api/v1/exports/relay-points.csv")
    assert before.status_code == 200 and "'=Point test" in before.text  # the export's formula protection
    imported = client.post("/api/v1/imports/relay-points", params={"update": "true"},
                           files={"file": ("r.csv", before.content, "text/csv")})
    assert imported.status_code == 200, imported.text
    with session_scope(db_engine) as s:
        rp = s.get(RelayPoint, rp_id)
        assert (rp.name, rp.contact_phone, rp.contact_name) == ("=Point test", "+33 1 44 52 29 19", "-Accueil-")
    assert client.get("/api/v1/exports/relay-points.csv").content == before.content


def test_a_pickup_file_written_by_an_export_keeps_its_values(client, db_engine):
    """A phone or a name the exports protected with a quote is imported without the quote."""
    data = _csv_row(phone="'+33 6 12 34 56 78", donor_name="'=Dupont", notes="'-fragile-")
    r = client.post("/api/v1/imports/pickups", files={"file": ("p.csv", data, "text/csv")})
    assert r.status_code == 200, r.text
    with session_scope(db_engine) as s:
        stored = s.scalars(select(PickupRequest).where(PickupRequest.ref == r.json()["refs"][0])).one()
        assert (stored.phone, stored.donor_name, stored.notes) == ("+33 6 12 34 56 78", "=Dupont", "-fragile-")
