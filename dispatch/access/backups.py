"""Backups of the database: ``dispatch backup FILE`` and ``dispatch restore FILE`` (issue 23 item 5).

- SQLite (the embedded default): SQLite's online backup API (``sqlite3.Connection.backup``) copies a consistent
  snapshot while the API keeps serving: every write committed before the copy started is in it, none half-done.
  The copy is written next to FILE and renamed into place, so FILE is never a partial backup.
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot by design; the API keeps serving), restored by
  ``pg_restore --clean --if-exists --no-owner``. Both tools come with PostgreSQL's client package. When the URL
  puts the tables in a schema of their own (``?options=-csearch_path%3Dname``, one database shared by several
  deployments or test processes), only that schema is dumped, and so restored.

Restoring replaces the database's content with the backup's: stop the API first. The schema is then brought to
this version (``dispatch.db.upgrade``), so a backup made by an older version can be restored.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from dispatch.errors import DispatchError, InvalidInput

log = logging.getLogger("dispatch.backups")
SQLITE_HEADER = b"SQLite format 3\x00"
PG_HEADER = b"PGDMP"


class BackupError(DispatchError):
    """A backup or restore could not be made (a missing tool, a database that refused)."""

    status_hint = 500


@dataclass(frozen=True)
class BackupResult:
    file: Path
    engine: str  # "sqlite" or "postgresql"
    bytes: int


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise InvalidInput("an in-memory SQLite database cannot be backed up: set DISPATCH_DATABASE_URL to a file",
                           field="database_url")
    return Path(parsed.database)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _own_schema(url: str) -> str | None:
    """The schema the URL's connections use (``options=-csearch_path=name``), or None for the default."""
    options = make_url(url).query.get("options", "")
    for part in (options if isinstance(options, tuple) else (options,)):
        for word in part.replace("-c ", "-c").split():
            if word.startswith("-csearch_path="):
                schemas = [s.strip().strip('"') for s in word.split("=", 1)[1].split(",") if s.strip()]
                return schemas[0] if schemas and schemas[0] != "public" else None
    return None


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: install PostgreSQL's client tools "
                          "(apt-get install postgresql-client, the same major version as the server)")
    return found


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit status {done.returncode}): {done.stderr.strip()[-500:]}")


def backup(url: str, file: str | os.PathLike) -> BackupResult:
    """Write a consistent backup of the database at ``url`` to ``file`` (replaced if it exists)."""
    target = Path(file)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = _sqlite_path(url)
    if source is not None:
        if not source.is_file():
            raise InvalidInput(f"there is no database at {source}: check DISPATCH_DATABASE_URL", field="database_url")
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=1024)  # steps of 1024 pages: the API's writers are not held up for long
        finally:
            dst.close()
            src.close()
        engine = "sqlite"
    else:
        schema = _own_schema(url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={_libpq_url(url)}",
              *([f"--schema={schema}"] if schema else [])], "pg_dump")
        engine = "postgresql"
    os.replace(partial, target)
    log.info("backup of the %s database written to %s", engine, target)
    return BackupResult(target, engine, target.stat().st_size)


def restore(url: str, file: str | os.PathLike) -> BackupResult:
    """Replace the content of the database at ``url`` by the backup in ``file``, then upgrade its schema."""
    from dispatch.db import upgrade

    path = Path(file)
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file: give a file written by `dispatch backup`", field="file")
    with path.open("rb") as f:
        head = f.read(16)
    target = _sqlite_path(url)
    if target is not None:
        if head != SQLITE_HEADER:
            raise InvalidInput(f"{path} is not a SQLite backup (a PostgreSQL one cannot be restored into SQLite)",
                               field="file")
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        engine = "sqlite"
    else:
        if not head.startswith(PG_HEADER):
            raise InvalidInput(f"{path} is not a PostgreSQL backup (pg_dump's custom format)", field="file")
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq_url(url)}", str(path)], "pg_restore")
        engine = "postgresql"
    upgrade(url)
    log.info("the %s database was restored from %s", engine, path)
    return BackupResult(path, engine, path.stat().st_size)
