"""`dispatch addresses import`: streaming, plain or gzip, progress shown, all or nothing, idempotent."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from api.cli import main
from dispatch.addresses.ban_csv import BAN_COLUMNS
from dispatch.addresses.offline import OfflineGeocoder


def _row(ident: str, numero: str, street: str, postcode: str, lat: float, lon: float, rep: str = "") -> str:
    values = {"id": ident, "numero": numero, "rep": rep, "nom_voie": street, "code_postal": postcode,
              "code_insee": "751" + postcode[-2:], "nom_commune": f"Paris {int(postcode[-2:])}e Arrondissement",
              "lon": f"{lon}", "lat": f"{lat}"}
    return ";".join(values.get(c, "") for c in BAN_COLUMNS)


ROWS = [
    _row("75120_0863_00012", "12", "Rue de Belleville", "75020", 48.87236, 2.37693),
    _row("75120_0863_00014", "14", "Rue de Belleville", "75020", 48.87241, 2.37716),
    _row("75110_2931_00019_bis", "19", "Rue du Faubourg Saint-Martin", "75010", 48.87012, 2.35529, rep="bis"),
]


def _write(path: Path, rows: list[str], *, gz: bool = False) -> Path:
    text = ";".join(BAN_COLUMNS) + "\n" + "\n".join(rows) + "\n"
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def index_path(tmp_path, monkeypatch) -> Path:
    from dispatch.settings import get_settings

    path = tmp_path / "var" / "addresses.csv.gz"
    monkeypatch.setenv("DISPATCH_ADDRESS_INDEX_PATH", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_import_gz_then_search(tmp_path, index_path, capsys):
    source = _write(tmp_path / "adresses-75.csv.gz", ROWS, gz=True)
    assert main(["addresses", "import", str(source)]) == 0
    out = capsys.readouterr()
    assert "imported 3 addresses" in out.out and "3 new" in out.out
    assert "addresses read (100%)" in out.err  # progress
    found = OfflineGeocoder(index_path).search("12 r de belleville")
    assert found[0].label == "12 Rue de Belleville 75020 Paris" and found[0].lat == pytest.approx(48.87236)
    assert OfflineGeocoder(index_path).search("19b fg st martin")[0].label == (
        "19 bis Rue du Faubourg Saint-Martin 75010 Paris")


def test_reimport_is_idempotent_and_merges(tmp_path, index_path, capsys):
    source = _write(tmp_path / "a.csv", ROWS)
    assert main(["addresses", "import", str(source)]) == 0
    assert OfflineGeocoder(index_path).search("12 rue de belleville")[0].lat == pytest.approx(48.87236)
    first = index_path.read_bytes()
    assert main(["addresses", "import", str(source)]) == 0
    assert "0 new, 0 updated, 3 unchanged" in capsys.readouterr().out
    assert gzip.decompress(index_path.read_bytes()) == gzip.decompress(first)
    moved = _write(tmp_path / "b.csv", [_row("75120_0863_00012", "12", "Rue de Belleville", "75020", 48.9, 2.38),
                                       _row("75119_0001_00006", "6", "Rue Archereau", "75019", 48.8905, 2.3795)])
    assert main(["addresses", "import", str(moved)]) == 0
    assert "1 new, 1 updated, 0 unchanged; the index holds 4 addresses" in capsys.readouterr().out
    # A running service sees the new index at its next search (reloaded when the file changes).
    assert OfflineGeocoder(index_path).search("12 rue de belleville")[0].lat == pytest.approx(48.9)
    assert main(["addresses", "import", str(moved), "--replace"]) == 0
    assert "the index holds 2 addresses" in capsys.readouterr().out


@pytest.mark.parametrize("bad, needle", [
    (_row("x", "12", "Rue de Belleville", "75020", 48.87, 999.0), "line 3: lon '999.0'"),
    (_row("x", "douze", "Rue de Belleville", "75020", 48.87, 2.37), "line 3: numero 'douze'"),
    (_row("x", "12", "", "75020", 48.87, 2.37), "line 3: nom_voie"),
])
def test_a_bad_line_imports_nothing(tmp_path, index_path, capsys, bad, needle):
    assert main(["addresses", "import", str(_write(tmp_path / "good.csv", ROWS[:1]))]) == 0
    before = index_path.read_bytes()
    assert main(["addresses", "import", str(_write(tmp_path / "bad.csv", ROWS[1:2] + [bad]))]) == 2
    assert needle in capsys.readouterr().err
    assert index_path.read_bytes() == before
    assert [p.name for p in index_path.parent.iterdir()] == [index_path.name]  # no temporary file left


def test_not_a_ban_file(tmp_path, index_path, capsys):
    other = tmp_path / "other.csv"
    other.write_text("name,lat,lon\nx,1,2\n", encoding="utf-8")
    assert main(["addresses", "import", str(other)]) == 2
    assert "is not a BAN CSV file" in capsys.readouterr().err and not index_path.exists()
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(gzip.compress(("\n".join([";".join(BAN_COLUMNS)] + ROWS * 50)).encode())[:300])
    assert main(["addresses", "import", str(truncated)]) == 2
    assert "could not be read to the end" in capsys.readouterr().err and not index_path.exists()


def test_bundled_extract_covers_the_demo():
    """Every demo relay point, pickup and the depot is found at its own position (the offline default)."""
    from dispatch.addresses.index import distance_m
    from dispatch.demo import load_demo

    geocoder = OfflineGeocoder(Path("/nonexistent/addresses.csv.gz"))
    data = load_demo()
    for item in data["relay_points"] + data["pickups"] + [data["depot"]]:
        best = geocoder.search(item["address"], limit=1)[0]
        assert best.score >= 0.9 and distance_m(best.lat, best.lon, item["lat"], item["lon"]) < 1, item["address"]


def test_the_extract_is_rebuilt_identically(tmp_path):
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "extract.csv"
    subprocess.run([sys.executable, str(repo / "scripts" / "build_address_extract.py"), "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == (repo / "dispatch" / "data" / "addresses" / "adresses-demo.csv").read_bytes()


def test_search_command_and_a_file_with_a_bom(tmp_path, index_path, capsys):
    assert main(["addresses", "search", "6 r archereau", "--limit", "1"]) == 0  # the bundled extract: no index yet
    assert "6 Rue Archereau 75019 Paris  (48.890500, 2.379500)" in capsys.readouterr().out
    source = tmp_path / "bom.csv"
    source.write_bytes("\ufeff".encode() + (";".join(BAN_COLUMNS) + "\n" + ROWS[0] + "\n").encode())
    assert main(["addresses", "import", str(source)]) == 0
    assert main(["addresses", "search", "12 r de belleville"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("1.00  12 Rue de Belleville 75020 Paris")
