"""`dispatch user ...` and `dispatch retention`, in-process on a fresh SQLite file (like tests/test_cli.py)."""

from __future__ import annotations

import io

import pytest

from api.cli import main
from tests.test_cli import fresh_db  # noqa: F401 - the same fresh database fixture


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def _session():
    from dispatch.db import engine_for, session_factory
    from dispatch.settings import get_settings

    return session_factory(engine_for(get_settings().database_url))()


def test_user_add_list_revoke(fresh_db, capsys, monkeypatch):
    from dispatch.access import auth

    assert main(["user", "list"]) == 0
    assert "dispatch user add NAME --role admin" in capsys.readouterr().out
    _stdin(monkeypatch, "a long enough password\n")
    assert main(["user", "add", "Marie", "--role", "admin", "--name", "Marie Dupont", "--password-stdin"]) == 0
    assert "created admin 'marie'" in capsys.readouterr().out
    _stdin(monkeypatch, "a long enough password\n")
    assert main(["user", "add", "marie", "--role", "coordinator", "--password-stdin"]) == 2
    assert "already taken" in capsys.readouterr().err
    _stdin(monkeypatch, "short\n")
    assert main(["user", "add", "paul", "--role", "switchboard", "--password-stdin"]) == 2
    assert "too short: use at least 10 characters" in capsys.readouterr().err
    assert main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "marie" in out and "admin" in out and "Marie Dupont" in out and "paul" not in out
    with _session() as s:
        user = auth.authenticate("marie", "a long enough password", session=s)
        token, _ = auth.issue_token(user, session=s)
        s.commit()
    assert main(["user", "revoke", "marie"]) == 0
    assert "revoked 1 token(s) of 'marie'" in capsys.readouterr().out
    with _session() as s:
        assert auth.resolve_token(token, session=s) is None
    assert main(["user", "revoke", "nobody"]) == 2
    assert "no staff user named 'nobody'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["user", "add", "x", "--role", "driver"])


def test_user_add_asks_twice_for_the_password(fresh_db, capsys, monkeypatch):
    import getpass

    answers = iter(["first long password", "second long password"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert main(["user", "add", "paul", "--role", "switchboard"]) == 2
    assert "the two passwords differ" in capsys.readouterr().err
    answers = iter(["same long password", "same long password"])
    assert main(["user", "add", "paul", "--role", "switchboard"]) == 0
    assert "created switchboard 'paul'" in capsys.readouterr().out


def test_retention_command(fresh_db, capsys):
    import datetime as dt

    from sqlalchemy import select

    from dispatch.models import PickupRequest

    assert main(["seed-demo", "--date", "2024-12-03"]) == 0  # pickups long ago
    capsys.readouterr()
    with _session() as s:
        count = len(s.scalars(select(PickupRequest)).all())
    assert count > 0
    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would anonymise {count} pickup request(s)" in out and "nothing changed" in out
    with _session() as s:
        assert all(p.donor_name != "anonymised" for p in s.scalars(select(PickupRequest)))
    assert main(["retention", "--days", str((dt.date.today() - dt.date(2024, 12, 3)).days + 30)]) == 0
    assert "anonymised 0 pickup request(s)" in capsys.readouterr().out  # not old enough for that many days
    assert main(["retention"]) == 0
    assert f"anonymised {count} pickup request(s)" in capsys.readouterr().out
    with _session() as s:
        assert {p.donor_name for p in s.scalars(select(PickupRequest))} == {"anonymised"}
    assert main(["retention"]) == 0
    assert "anonymised 0 pickup request(s)" in capsys.readouterr().out  # nothing left to do
    with pytest.raises(SystemExit):
        main(["retention", "--days", "0"])
