"""Depots without SQL: the `dispatch depots` command and the depots CSV import (all rows or none)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.cli import main
from dispatch.settings import get_settings


@pytest.fixture
def fresh_db(tmp_path, monkeypatch):
    monkeypatch.setenv("DISPATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("DISPATCH_GRAPH_PATH", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _depot_of_van(name: str) -> tuple[str, str | None]:
    from dispatch.db import engine_for, session_scope
    from dispatch.models import Van

    with session_scope(engine_for(get_settings().database_url)) as s:
        van = s.scalars(select(Van).where(Van.name == name)).one()
        return van.depot.name, van.depot.region


def test_add_set_and_list_depots_from_the_command_line(fresh_db, capsys):
    assert main(["seed-demo", "--date", "2026-12-01"]) == 0
    capsys.readouterr()
    assert main(["depots", "add", "Dépôt Sud", "--address", "92 boulevard Masséna, 75013 Paris",
                 "--lat", "48.8215", "--lon", "2.3675", "--hours", "Mo-Sa 07:00-18:00", "--region", "sud",
                 "--van", "Fourgon 4"]) == 0
    out = capsys.readouterr().out
    assert "Dépôt Sud (92 boulevard Masséna, 75013 Paris) region sud" in out and "vans: Fourgon 4" in out
    assert _depot_of_van("Fourgon 4") == ("Dépôt Sud", "sud")
    assert main(["depots", "set", "dépôt sud", "--region", "", "--van", "Fourgon 3"]) == 0
    assert "region default" in capsys.readouterr().out
    assert _depot_of_van("Fourgon 3") == ("Dépôt Sud", None)
    assert main(["depots", "set", "Nowhere", "--region", "x"]) == 2
    assert "no depot is named 'Nowhere'" in capsys.readouterr().err
    assert main(["depots", "add", "Dépôt Mer", "--address", "plage", "--lat", "43.3", "--lon", "5.37"]) == 2
    assert "from the nearest drivable street" in capsys.readouterr().err


def test_depots_csv_import_is_all_or_nothing(fresh_db, capsys):
    assert main(["seed-demo", "--date", "2026-12-01"]) == 0
    good = fresh_db / "depots.csv"
    good.write_text("nom;adresse;lat;lon;horaires;region;camions\n"
                    "Dépôt Sud;92 boulevard Masséna, 75013 Paris;48,8215;2,3675;Mo-Sa 07:00-18:00;sud;Fourgon 4\n",
                    encoding="cp1252")
    bad = fresh_db / "bad.csv"
    bad.write_text("name,address,lat,lon,opening_hours,region,vans\n"
                   "Dépôt Est,1 rue de Bagnolet 75020 Paris,48.857,2.401,Mo-Fr 18:00-07:00,est,Camion 9\n"
                   "Dépôt Ouest,1 avenue X,48.85,,,,\n", encoding="utf-8")
    assert main(["depots", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "row 2, column opening_hours" in err and "row 2, column vans: no van is named 'Camion 9'" in err
    assert "row 3, column lon: lon is required" in err
    assert main(["depots", "import", str(good), "--dry-run"]) == 0
    assert _depot_of_van("Fourgon 4")[0] != "Dépôt Sud"
    assert main(["depots", "import", str(good)]) == 0
    assert "created 1" in capsys.readouterr().out
    assert _depot_of_van("Fourgon 4") == ("Dépôt Sud", "sud")
    assert main(["depots", "import", str(good)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["depots", "import", str(good), "--update"]) == 0
    assert "updated 1" in capsys.readouterr().out
