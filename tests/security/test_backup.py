"""``dispatch backup`` while the API serves writes, then ``dispatch restore``: every write acknowledged before the
backup began is in the restored database (issue 23 item 5). Runs on SQLite, or on PostgreSQL (pg_dump /
pg_restore) when DISPATCH_TEST_DATABASE_URL names one."""

from __future__ import annotations

import subprocess
import threading
import time

import httpx
import pytest
from sqlalchemy import select

from tests.api.conftest import make_staff
from tests.live_server import fast_settings, serve


def _cli(monkeypatch, url: str, argv: list[str]) -> int:
    from api.cli import main
    from dispatch.settings import get_settings

    monkeypatch.setenv("DISPATCH_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return main(argv)
    finally:
        get_settings.cache_clear()


def test_a_backup_taken_under_load_holds_every_acknowledged_write(seeded, settings, paris_network, monkeypatch,
                                                                   tmp_path, capsys):
    import api.deps
    import dispatch.roads.cache
    from api.app import create_app
    from dispatch.db import engine_for, session_scope
    from dispatch.models import RelayPoint, StockReport

    monkeypatch.setattr(dispatch.roads.cache, "get_network", lambda _settings: paris_network)
    monkeypatch.setattr(api.deps, "get_network", lambda _settings: paris_network)
    url = settings.database_url
    _, token = make_staff(seeded, "coordinator")
    with session_scope(seeded) as s:
        relay_points = list(s.scalars(select(RelayPoint.id).order_by(RelayPoint.id)))[:8]
    acked: list[tuple[float, str]] = []  # (when the 201 came back, the write's note)
    stop = threading.Event()
    errors: list[str] = []

    def writer(base: str, n: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            i = 0
            while not stop.is_set():
                note = f"w{n}-{i}"
                r = c.post(f"/api/v1/relay-points/{relay_points[(n + i) % len(relay_points)]}/reports",
                           json={"level_pct": i % 100, "note": note})
                if r.status_code == 201:
                    acked.append((time.monotonic(), note))
                else:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                i += 1

    backup = tmp_path / "backups" / "dispatch.backup"
    with serve(create_app(fast_settings(settings))) as base:
        threads = [threading.Thread(target=writer, args=(base, n)) for n in range(3)]
        for t in threads:
            t.start()
        while len(acked) < 30 and not errors:
            time.sleep(0.05)
        began = time.monotonic()
        assert _cli(monkeypatch, url, ["backup", str(backup)]) == 0  # while the writers go on
        assert "backup of the" in capsys.readouterr().out
        count_at_backup = len(acked)
        while len(acked) < count_at_backup + 20 and not errors:  # writes after the backup: not in it
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    before = {note for at, note in acked if at < began}
    after_all = {note for _, note in acked}
    assert len(before) >= 30

    assert _cli(monkeypatch, url, ["restore", str(backup)]) == 1  # says what it would do, does nothing
    capsys.readouterr()
    assert _cli(monkeypatch, url, ["restore", str(backup), "--yes"]) == 0
    engine_for(url).dispose()  # connections opened before the restore
    with session_scope(engine_for(url)) as s:
        restored = set(s.scalars(select(StockReport.note).where(StockReport.note.like("w%-%"))))
    assert before <= restored, f"acknowledged before the backup, missing: {sorted(before - restored)[:10]}"
    assert restored < after_all  # the backup is a snapshot: the writes after it are not in it
    if url.startswith("sqlite"):
        import sqlite3

        assert sqlite3.connect(backup).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_restore_refuses_what_is_not_a_backup(seeded, settings, monkeypatch, tmp_path, capsys):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    assert _cli(monkeypatch, settings.database_url, ["restore", str(junk), "--yes"]) == 2
    assert "is not a" in capsys.readouterr().err
    assert _cli(monkeypatch, settings.database_url, ["restore", str(tmp_path / "none"), "--yes"]) == 2
    assert "is not a file" in capsys.readouterr().err



@pytest.mark.db
def test_a_url_with_its_own_schema_backs_up_and_restores_only_that_schema(migrated_url, tmp_path):
    """Several deployments (or test processes) sharing one PostgreSQL database, each in its own schema
    (``options=-csearch_path=...``): a backup holds only its own schema's tables, and restoring it leaves the
    neighbour's untouched."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from dispatch.access.backups import backup, restore

    if not migrated_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no schemas")
    base = make_url(migrated_url).difference_update_query(["options"]).render_as_string(hide_password=False)
    neighbour, mine = "backup_neighbour", "backup_mine"
    admin = create_engine(base)
    with admin.begin() as conn:
        for schema in (neighbour, mine):
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(text(f"CREATE TABLE {neighbour}.kept (v int)"))
        conn.execute(text(f"INSERT INTO {neighbour}.kept VALUES (1)"))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={mine}"}).render_as_string(
            hide_password=False)
        mine_engine = create_engine(url)
        with mine_engine.begin() as conn:
            conn.execute(text("CREATE TABLE notes (v int)"))
            conn.execute(text("INSERT INTO notes VALUES (7)"))
        mine_engine.dispose()
        file = tmp_path / "mine.backup"
        backup(url, file)
        listing = subprocess.run(["pg_restore", "--list", str(file)], capture_output=True, text=True, check=True)
        assert f"{mine} " in listing.stdout and neighbour not in listing.stdout
        with admin.begin() as conn:
            conn.execute(text(f"INSERT INTO {mine}.notes VALUES (8)"))
        restore(url, file)
        with admin.begin() as conn:
            assert conn.execute(text(f"SELECT v FROM {mine}.notes")).scalars().all() == [7]
            assert conn.execute(text(f"SELECT v FROM {neighbour}.kept")).scalars().all() == [1]
    finally:
        with admin.begin() as conn:
            for schema in (neighbour, mine):
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
