"""CSV imports: every bad row reported, nothing imported unless every row is good; any encoding Excel writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dispatch.exchange import import_rows, pickup_import, relay_import
from dispatch.errors import InvalidInput
from dispatch.exchange.csv_import import FileTooLarge, ImportRejected, UnsupportedFile
from dispatch.models import PickupRequest, PickupStatus, RelayPoint, RelayPointKind, Slot
from tests.conftest import REPO

SAMPLES = REPO / "docs" / "samples"
TODAY = dt.date(2026, 11, 27)  # a Friday: the earliest bookable day is Monday 30 November
DAY = dt.date(2026, 12, 8)  # a Tuesday
HEADER = "code,name,kind,address,postcode,lat,lon,capacity_m3,opening_hours"
GOOD_ROW = 'AMI-T-01,Bibliothèque Test,library,"18 rue Janssen, 75019 Paris",75019,48.877,2.3937,1.5,Tu-Sa 10:00-18:00'


def _rp(session, data: bytes | str, **kw):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return relay_import.import_relay_points(
        data, session=session, network=kw.pop("network"), max_snap_distance_m=300, max_rows=kw.pop("max_rows", 100),
        max_bytes=kw.pop("max_bytes", 100_000), **kw,
    )


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# ------------------------------------------------------------------ relay points


def test_the_sample_relay_point_file_imports(session, paris_network):
    result = _rp(session, (SAMPLES / "relay_points.csv").read_bytes(), network=paris_network)
    assert (result.created, result.updated, result.rows) == (3, 0, 3)
    rp = session.scalars(select(RelayPoint).where(RelayPoint.code == "AMI-011-20")).one()
    assert rp.kind is RelayPointKind.SHOP and rp.arrondissement == 11 and rp.capacity_m3 == 2.5
    assert rp.opening_hours == [
        {"days": [0, 1, 2, 3, 4], "open": "10:00", "close": "13:00"},
        {"days": [0, 1, 2, 3, 4], "open": "14:00", "close": "19:00"},
        {"days": [5], "open": "10:00", "close": "17:00"},
    ]
    assert rp.access_notes == "Livraison par la cour, code 4512" and rp.active and not rp.full
    assert session.scalars(select(RelayPoint.name).where(RelayPoint.code == "AMI-019-20")).one() == \
        "Bibliothèque Place des Fêtes"


def test_every_bad_row_is_reported_and_nothing_is_imported(session, paris_network):
    rows = [
        GOOD_ROW,
        'AMI-T-02,Sans latitude,library,"1 rue X, 75019 Paris",75019,abc,2.39,1.5,Mo-Fr 10:00-18:00',
        'AMI-T-03,Marseille,shop,"1 La Canebière, 13001 Marseille",13001,43.2965,5.3698,1,Mo 10:00-18:00',
        'AMI-T-04,,castle,"1 rue Y",7501,48.877,2.3937,-2,Mo-Fr 18:00-10:00',
        'AMI T 05,Loin des rues,library,"Bois de Vincennes",75012,48.8330,2.4330,1,Mo 10:00-12:00',
    ]
    before = _count(session, RelayPoint)
    with pytest.raises(ImportRejected) as exc:
        _rp(session, "\n".join([HEADER, *rows]) + "\n", network=paris_network)
    errors = exc.value.errors
    by_row: dict[int, set] = {}
    for e in errors:
        by_row.setdefault(e["row"], set()).add(e["column"])
        assert e["error"]
    assert 2 not in by_row  # the good row is not blamed
    assert by_row[3] == {"lat"}
    assert "outside the area" in next(e["error"] for e in errors if e["row"] == 4)
    assert {"name", "kind", "postcode", "capacity_m3", "opening_hours"} <= by_row[5]
    assert {"code"} <= by_row[6]
    assert "4 of 5 rows" in exc.value.message
    assert _count(session, RelayPoint) == before  # all or nothing
    assert session.scalars(select(RelayPoint).where(RelayPoint.code == "AMI-T-01")).first() is None


def test_a_position_far_from_any_street_is_refused(session, paris_network):
    far = 'AMI-T-09,Au milieu du lac,library,"Lac Daumesnil",75012,48.8335,2.4135,1,Mo 10:00-12:00'
    with pytest.raises(ImportRejected) as exc:
        relay_import.import_relay_points(f"{HEADER}\n{far}\n".encode(), session=session, network=paris_network,
                                    max_snap_distance_m=5, max_rows=10, max_bytes=10_000)
    assert exc.value.errors[0]["column"] == "lat"
    assert "DISPATCH_MAX_SNAP_DISTANCE_M" in exc.value.errors[0]["error"]


def test_french_excel_latin1_semicolons_and_decimal_commas(session, paris_network):
    text = (
        "Code;Nom;Type;Adresse;Code postal;Latitude;Longitude;Capacité m3;Horaires;Stock_m3\r\n"
        "AMI-T-10;Médiathèque Françoise Sagan;bibliothèque;8 rue Léon Schwartzenberg, 75010 Paris;75010;"
        "48,8771;2,3575;1,5;lu-ve 10:00-19:00 | sa 10h00-18h00;0,5\r\n"
    )
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really not UTF-8
    result = _rp(session, data, network=paris_network)
    assert (result.created, result.encoding, result.delimiter) == (1, "cp1252", ";")
    rp = session.scalars(select(RelayPoint).where(RelayPoint.code == "AMI-T-10")).one()
    assert rp.name == "Médiathèque Françoise Sagan" and rp.address.startswith("8 rue Léon")
    assert rp.kind is RelayPointKind.LIBRARY
    assert (rp.lat, rp.lon, rp.capacity_m3, rp.stock_m3) == (48.8771, 2.3575, 1.5, 0.5)
    assert rp.opening_hours[1] == {"days": [5], "open": "10:00", "close": "18:00"}


def test_utf8_with_bom(session, paris_network):
    data = b"\xef\xbb\xbf" + f"{HEADER}\r\n{GOOD_ROW}\r\n".encode()
    result = _rp(session, data, network=paris_network)
    assert result.created == 1 and result.encoding == "utf-8-sig"
    assert session.scalars(select(RelayPoint.name).where(RelayPoint.code == "AMI-T-01")).one() == "Bibliothèque Test"


def test_utf16_from_excel_unicode_text(session, paris_network):
    data = f"{HEADER}\n{GOOD_ROW}\n".replace(",", "\t").replace('"18 rue Janssen\t 75019 Paris"', "18 rue Janssen")
    result = _rp(session, data.encode("utf-16"), network=paris_network)
    assert result.created == 1 and result.delimiter == "\t"


def test_duplicate_codes_in_the_file_and_in_the_database(session, paris_network):
    _rp(session, f"{HEADER}\n{GOOD_ROW}\n", network=paris_network)
    dup_in_file = GOOD_ROW.replace("AMI-T-01", "AMI-T-02")
    text = f"{HEADER}\n{GOOD_ROW}\n{dup_in_file}\n{dup_in_file.replace('AMI-T-02', 'ami-t-02')}\n"
    with pytest.raises(ImportRejected) as exc:
        _rp(session, text, network=paris_network)
    errors = {(e["row"], e["column"]): e["error"] for e in exc.value.errors}
    assert "already exists" in errors[(2, "code")] and "update=true" in errors[(2, "code")]
    assert "already used by row 3" in errors[(4, "code")]
    assert (3, "code") not in errors
    # update=true updates the existing relay point by code instead.
    changed = GOOD_ROW.replace("Bibliothèque Test", "Bibliothèque Renommée").replace(",1.5,", ",2.0,")
    result = _rp(session, f"{HEADER}\n{changed}\n", network=paris_network, update=True)
    assert (result.created, result.updated) == (0, 1)
    rp = session.scalars(select(RelayPoint).where(RelayPoint.code == "AMI-T-01")).one()
    assert (rp.name, rp.capacity_m3) == ("Bibliothèque Renommée", 2.0)


def test_dry_run_checks_without_writing(session, paris_network):
    result = _rp(session, f"{HEADER}\n{GOOD_ROW}\n", network=paris_network, dry_run=True)
    assert result.dry_run and result.created == 1
    assert session.scalars(select(RelayPoint).where(RelayPoint.code == "AMI-T-01")).first() is None


def test_file_limits_and_unreadable_files(session, paris_network):
    big = (f"{HEADER}\n" + f"{GOOD_ROW}\n" * 200).encode()
    with pytest.raises(FileTooLarge) as exc:
        _rp(session, big, network=paris_network, max_bytes=4096)
    assert exc.value.status_hint == 413 and "DISPATCH_IMPORT_MAX_BYTES" in exc.value.message
    with pytest.raises(FileTooLarge) as exc:
        _rp(session, big, network=paris_network, max_rows=50)
    assert "DISPATCH_IMPORT_MAX_ROWS" in exc.value.message
    with pytest.raises(InvalidInput, match="empty"):
        _rp(session, b"", network=paris_network)
    with pytest.raises(InvalidInput, match="no rows"):
        _rp(session, f"{HEADER}\n\n,,,\n".encode(), network=paris_network)
    with pytest.raises(UnsupportedFile, match="Excel workbook"):
        _rp(session, b"PK\x03\x04" + b"\x00" * 100, network=paris_network)
    with pytest.raises(UnsupportedFile, match="not a text file"):
        _rp(session, b"\x89PNG\r\n\x1a\n\x00\x00", network=paris_network)


def test_missing_header_columns_name_them_and_the_fix(session, paris_network):
    with pytest.raises(InvalidInput) as exc:
        _rp(session, "code;name;address\nA;B;C\n", network=paris_network)
    assert exc.value.field == "kind"
    assert "kind, postcode, lat, lon, capacity_m3, opening_hours" in exc.value.message
    with pytest.raises(InvalidInput, match="appears twice"):
        _rp(session, f"{HEADER},Nom\n{GOOD_ROW},x\n", network=paris_network)


def test_a_row_with_more_cells_than_the_header_is_bad(session, paris_network):
    row = GOOD_ROW.replace('"18 rue Janssen, 75019 Paris"', "18 rue Janssen, 75019 Paris")
    with pytest.raises(ImportRejected) as exc:
        _rp(session, f"{HEADER}\n{row}\n", network=paris_network)
    assert any("quote it" in e["error"] for e in exc.value.errors)


INJECTIONS = ["=cmd|' /C calc'!A0", "<script>alert('x')</script>", "+SUM(1,2)", "@HYPERLINK(\"http://x\")"]


def test_injection_strings_are_stored_verbatim_and_exported_neutralised(session, paris_network):
    import csv
    import io

    from dispatch.exchange.exports import write_csv

    lines = [HEADER + ",access_notes"]
    for i, text in enumerate(INJECTIONS):
        quoted = '"' + text.replace('"', '""') + '"'
        lines.append(GOOD_ROW.replace("AMI-T-01", f"AMI-X-{i}").replace("Bibliothèque Test", quoted) + f",{quoted}")
    result = _rp(session, "\n".join(lines) + "\n", network=paris_network)
    assert result.created == len(INJECTIONS)
    stored = dict(session.execute(select(RelayPoint.code, RelayPoint.name).where(RelayPoint.code.like("AMI-X-%"))).all())
    assert sorted(stored.values()) == sorted(INJECTIONS)
    notes = session.scalars(select(RelayPoint.access_notes).where(RelayPoint.code.like("AMI-X-%"))).all()
    assert sorted(notes) == sorted(INJECTIONS)
    exported = write_csv([{"name": n, "n": -1.5} for n in INJECTIONS], ["name", "n"]).decode()
    cells = [row[0] for row in csv.reader(io.StringIO(exported))][1:]
    assert cells == ["'=cmd|' /C calc'!A0", "<script>alert('x')</script>", "'+SUM(1,2)", "'@HYPERLINK(\"http://x\")"]
    assert "-1.5" in exported  # numbers written by the export are not text cells


# ------------------------------------------------------------------ pickups


@pytest.fixture
def fleet(session):
    from dispatch.demo import seed_demo

    seed_demo(dt.date(2026, 12, 1), session=session)
    return session


def _pu(session, settings, network, data: bytes | str, **kw):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return pickup_import.import_pickups(data, session=session, settings=settings, network=network, today=TODAY,
                                  max_rows=kw.pop("max_rows", 100), max_bytes=100_000, **kw)


PU_HEADER = "ref,donor_name,phone,address,postcode,lat,lon,volume_m3,date,slot,categories,floor,has_lift"


def _pu_row(ref: str, **over) -> str:
    values = {"ref": ref, "donor_name": "Mme Test", "phone": "06 12 34 56 78",
              "address": '"25 rue de Belleville, 75019 Paris"', "postcode": "75019", "lat": "48.8725",
              "lon": "2.3783", "volume_m3": "3", "date": DAY.isoformat(), "slot": "morning",
              "categories": "furniture|books", "floor": "0", "has_lift": ""}
    values.update(over)
    return ",".join(values[c] for c in PU_HEADER.split(","))


def test_the_sample_pickup_file_imports_as_accepted_requests(fleet, settings, paris_network):
    result = _pu(fleet, settings, paris_network, (SAMPLES / "pickups.csv").read_bytes())
    assert result.created == 3 and result.refs == ["IMP-0001", "IMP-0002", "IMP-0003"]
    pu = fleet.scalars(select(PickupRequest).where(PickupRequest.ref == "IMP-0003")).one()
    assert pu.status is PickupStatus.ACCEPTED and pu.slot is Slot.MORNING and pu.floor == 5 and pu.has_lift is False
    assert pu.donor_name == "Mme Zoé Lefèvre" and pu.categories == ["furniture"]
    assert pu.decision["accepted"] is True


def test_pickups_are_judged_by_the_collection_rules(fleet, settings, paris_network):
    rows = [
        _pu_row("IMP-A"),
        _pu_row("IMP-B", date="2026-11-28"),  # too soon
        _pu_row("IMP-C", categories="mattress|hazardous"),
        _pu_row("IMP-D", postcode="13001"),
        _pu_row("IMP-E", floor="3"),  # lift not given
        _pu_row("IMP-F", date="2026-12-13"),  # a Sunday
        _pu_row("ENL-001"),  # a demo reference
        _pu_row("IMP-A", slot="afternoon"),  # the same ref twice in the file
        _pu_row("IMP-H", volume_m3='"0,5"', slot="soir", phone="call me"),
    ]
    before = _count(fleet, PickupRequest)
    with pytest.raises(ImportRejected) as exc:
        _pu(fleet, settings, paris_network, "\n".join([PU_HEADER, *rows]) + "\n")
    errors = exc.value.errors
    text = {row: " ".join(e["error"] for e in errors if e["row"] == row) for row in range(2, 11)}
    assert text[2] == ""
    assert "date_too_soon" in text[3]
    assert "category_refused" in text[4] and "mattress" in text[4] and "hazardous" in text[4]
    assert "outside_zone" in text[5]
    assert "missing_detail" in text[6] and any(e["column"] == "has_lift" for e in errors if e["row"] == 6)
    assert "date_not_collection_day" in text[7]
    assert "already exists" in text[8]
    assert "already used by row 2" in text[9]
    assert {e["column"] for e in errors if e["row"] == 10} == {"phone", "slot"}
    assert _count(fleet, PickupRequest) == before


def test_slot_capacity_counts_the_rows_above(fleet, settings, paris_network):
    rows = [_pu_row(f"IMP-{i:02d}") for i in range(9)]  # 8 morning pickups a day at most
    with pytest.raises(ImportRejected) as exc:
        _pu(fleet, settings, paris_network, "\n".join([PU_HEADER, *rows]) + "\n")
    assert [e["row"] for e in exc.value.errors] == [10]
    assert "slot_full" in exc.value.errors[0]["error"]
    result = _pu(fleet, settings, paris_network, "\n".join([PU_HEADER, *rows[:8]]) + "\n")
    assert result.created == 8


def test_pickup_dry_run_and_generated_references(fleet, settings, paris_network):
    text = PU_HEADER.replace("ref,", "") + "\n" + _pu_row("X").split(",", 1)[1] + "\n"
    assert _pu(fleet, settings, paris_network, text, dry_run=True).created == 1
    assert fleet.scalars(select(PickupRequest).where(PickupRequest.donor_name == "Mme Test")).first() is None
    result = _pu(fleet, settings, paris_network, text)
    assert result.refs[0].startswith("PU-")
    assert fleet.scalars(select(PickupRequest).where(PickupRequest.ref == result.refs[0])).one().donor_name == "Mme Test"


def test_opening_hours_parser():
    assert import_rows.parse_opening_hours("Mo,We,Fr 09:00-12:00") == [{"days": [0, 2, 4], "open": "09:00", "close": "12:00"}]
    for bad in ("Xx 10:00-12:00", "Mo 12:00-10:00", "Mo 10:00", "Mo 25:00-26:00", "Fr-Mo 10:00-11:00", ""):
        with pytest.raises(import_rows.BadValue):
            import_rows.parse_opening_hours(bad)


def test_sample_files_are_documented_columns():
    for path, columns in ((SAMPLES / "relay_points.csv", relay_import.RELAY_POINT_COLUMNS),
                          (SAMPLES / "pickups.csv", pickup_import.PICKUP_COLUMNS)):
        header = Path(path).read_text(encoding="utf-8").splitlines()[0].split(",")
        assert set(header) <= {c.name for c in columns}
        assert {c.name for c in columns if c.required} <= set(header)


# ------------------------------------------------------------------ command line


def test_cli_import_and_report(tmp_path, monkeypatch, capsys):
    from api.cli import main
    from dispatch.settings import get_settings

    monkeypatch.setenv("DISPATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("DISPATCH_GRAPH_PATH", raising=False)
    get_settings.cache_clear()
    try:
        sample = str(SAMPLES / "relay_points.csv")
        assert main(["import", "relay-points", sample, "--dry-run"]) == 0
        assert "would create 3" in capsys.readouterr().out
        assert main(["import", "relay-points", sample]) == 0
        assert "created 3, updated 0" in capsys.readouterr().out
        assert main(["import", "relay-points", sample]) == 2
        err = capsys.readouterr().err
        assert "row 2, column code: relay point 'AMI-019-20' already exists" in err and "dispatch: error:" in err
        assert main(["import", "relay-points", sample, "--update"]) == 0
        assert "updated 3" in capsys.readouterr().out
        assert main(["import", "pickups", str(tmp_path / "missing.csv")]) == 2
        assert "is not a file" in capsys.readouterr().err
        assert main(["report", "--month", "2026-12"]) == 0
        assert '"published_plans": 0' in capsys.readouterr().out
        assert main(["report", "--month", "2026-12", "--csv"]) == 0
        assert capsys.readouterr().out.startswith("section,key,value")
        assert main(["report", "--month", "12-2026"]) == 2
        assert "YYYY-MM" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_an_update_keeps_what_the_file_leaves_out(session, paris_network):
    from dispatch.models import StockReport

    _rp(session, (SAMPLES / "relay_points.csv").read_bytes(), network=paris_network)
    rp = session.scalars(select(RelayPoint).where(RelayPoint.code == "AMI-019-20")).one()
    assert rp.stock_m3 == 0.3 and rp.stock_updated_at is not None
    assert [r.stock_m3 for r in rp.reports] == [0.3]  # the forecast starts from the imported stock
    row = GOOD_ROW.replace("AMI-T-01", "AMI-019-20").replace("Bibliothèque Test", "Nouveau nom")
    _rp(session, f"{HEADER},contact_name\n{row},\n", network=paris_network, update=True)
    session.refresh(rp)
    assert (rp.name, rp.stock_m3, rp.contact_name, rp.daily_rate_m3) == ("Nouveau nom", 0.3, "Claire Dupont", 0.15)
    _rp(session, f"{HEADER},stock_m3\n{row},\"1,5\"\n", network=paris_network, update=True)
    session.refresh(rp)
    assert rp.stock_m3 == 1.5 and rp.full  # capacity 1.5 in GOOD_ROW
    assert session.scalar(select(func.count()).select_from(StockReport).where(StockReport.relay_point_id == rp.id)) == 2


@pytest.mark.parametrize("text,expected", [
    ("2026-12-08", DAY), ("08/12/2026", DAY), ("08/12/26", DAY), ("08.12.2026", DAY), ("2026-12-08 00:00:00", DAY),
    ("08/12/2026 00:00", DAY),
])
def test_dates_as_spreadsheets_write_them(text, expected):
    assert import_rows.parse_date(text) == expected


@pytest.mark.parametrize("text", ["2026-02-30", "12/08/2026x", "tomorrow", "2026-12"])
def test_bad_dates(text):
    with pytest.raises(import_rows.BadValue, match="not a date"):
        import_rows.parse_date(text)


def test_swapped_coordinates_are_explained(session, paris_network):
    swapped = GOOD_ROW.replace("48.877,2.3937", "2.3937,48.877")
    with pytest.raises(ImportRejected) as exc:
        _rp(session, f"{HEADER}\n{swapped}\n", network=paris_network)
    assert [e["column"] for e in exc.value.errors] == ["lat"]
    assert "swapped" in exc.value.errors[0]["error"]


@pytest.mark.parametrize("excel", [False, True])
def test_relay_points_round_trip_export_then_import(session, paris_network, excel):
    """Export every relay point, edit the file as a spreadsheet would, import it back with update=true."""
    from dispatch.demo import seed_demo
    from dispatch.exchange.exports import relay_points_csv

    seed_demo(dt.date(2026, 12, 1), session=session)
    before = {rp.code: (rp.name, rp.opening_hours, rp.lat, rp.capacity_m3, rp.access_notes, rp.stock_m3)
              for rp in session.scalars(select(RelayPoint))}
    data = relay_points_csv(session=session, excel=excel)
    if excel:
        assert data.startswith(b"\xef\xbb\xbf") and b";" in data.splitlines()[0]
        data = data.decode("utf-8-sig").replace("Médiathèque", "Bibliothèque").encode("cp1252")  # saved by Excel
    result = _rp(session, data, network=paris_network, update=True, max_rows=1000)
    assert (result.created, result.updated) == (0, len(before))
    after = {rp.code: (rp.name, rp.opening_hours, rp.lat, rp.capacity_m3, rp.access_notes, rp.stock_m3)
             for rp in session.scalars(select(RelayPoint))}
    if excel:
        before = {k: (v[0].replace("Médiathèque", "Bibliothèque"), *v[1:]) for k, v in before.items()}
    assert after == before
