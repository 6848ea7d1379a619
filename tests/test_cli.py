"""The `dispatch` command line, in-process on a fresh SQLite file."""

from __future__ import annotations

import pytest

from api.cli import main
from dispatch.settings import get_settings


@pytest.fixture
def fresh_db(tmp_path, monkeypatch):
    monkeypatch.setenv("DISPATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("DISPATCH_SOLVE_TIME_LIMIT_S", "2")
    monkeypatch.delenv("DISPATCH_GRAPH_PATH", raising=False)  # restored (removed) after --graph sets it
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_plan_on_an_empty_database_says_what_to_do(fresh_db, capsys):
    assert main(["plan", "--date", "2026-12-01"]) == 2
    assert "run `dispatch seed-demo`" in capsys.readouterr().err


def test_seed_then_plan_prints_the_summary(fresh_db, capsys):
    assert main(["seed-demo", "--date", "2026-12-01"]) == 0
    assert "60 relay points, 4 vans" in capsys.readouterr().out
    assert main(["seed-demo", "--date", "2026-12-01"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["seed-demo", "--if-empty"]) == 0
    assert main(["plan", "--date", "2026-12-01", "--time-limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "Plan 1 for 2026-12-01" in out and "rounds," in out and "Unassigned:" in out
    assert main(["plan", "--date", "2026-12-01", "--time-limit", "1", "--json"]) == 0
    assert '"plan_id": 2' in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["plan", "--date", "2026-13-01"], "use YYYY-MM-DD"),
        (["plan", "--time-limit", "-3"], "positive number of seconds"),
        (["serve", "--port", "99999"], "TCP port"),
        (["--graph", "/no/such/file.graphml", "roads", "info"], "is not a file"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(fresh_db, capsys, argv, needle):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert needle in capsys.readouterr().err


def test_sunday_is_refused(fresh_db, capsys):
    main(["seed-demo", "--date", "2026-12-01"])
    assert main(["plan", "--date", "2026-11-29"]) == 2
    assert "Sunday" in capsys.readouterr().err


def test_graph_option_selects_another_road_graph(fresh_db, capsys):
    from tests.conftest import REPO

    assert main(["--graph", str(REPO / "tests/data/paris08_17_osm.graphml"), "roads", "info"]) == 0
    assert "paris08_17_osm.graphml" in capsys.readouterr().out


def test_manifests_command_writes_one_pdf_per_round_and_the_summary(fresh_db, capsys):
    main(["seed-demo", "--date", "2026-12-01"])
    assert main(["manifests", "--date", "2026-12-01", "--out", str(fresh_db / "m")]) == 2
    assert "no plan" in capsys.readouterr().err.lower()
    main(["plan", "--date", "2026-12-01", "--time-limit", "1"])
    rounds = capsys.readouterr().out.count(" / Équipe ")
    assert main(["manifests", "--date", "2026-12-01", "--out", str(fresh_db / "m")]) == 0
    written = capsys.readouterr().out.split()
    assert len(written) == rounds + 1
    for path in written:
        with open(path, "rb") as f:
            assert f.read(5) == b"%PDF-"
