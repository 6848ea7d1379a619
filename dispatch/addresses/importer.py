"""Importing a BAN CSV file (``adresses-75.csv.gz``) into the offline address index file.

Design: the index is itself a BAN CSV file (gzip), sorted and deduplicated, at ``DISPATCH_ADDRESS_INDEX_PATH``
(default ``var/addresses.csv.gz``); the API loads it in memory (dispatch/addresses/offline.py) and reloads it
when it changes. An import:

- streams the source row by row (plain or .gz), checking every row; the first bad row stops it with its line;
- merges the rows with the current index by BAN ``id`` (a row of the new file replaces the same id), unless
  ``replace`` starts from an empty index; importing the same file twice gives the same, byte-identical index;
- writes a temporary file next to the index and renames it over the index only once every row was read and
  written: all or nothing, a failed or interrupted import leaves the previous index as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dispatch.addresses.ban_csv import AddressRecord, read_addresses, write_addresses
from dispatch.addresses.normalize import fold
from dispatch.errors import InvalidInput

Progress = Callable[[int, float], None]  # (rows read, share of the file read 0-1)


@dataclass(frozen=True)
class ImportResult:
    read: int
    added: int
    updated: int
    unchanged: int
    total: int
    index_path: Path


def _sort_key(r: AddressRecord) -> tuple:
    return r.code_postal, fold(r.nom_voie), int(r.numero), r.rep, r.id


def import_addresses(source: Path, index_path: Path, *, replace: bool = False,
                     progress: Progress | None = None) -> ImportResult:
    """Merge (or, with ``replace``, install) the addresses of ``source`` into the index file; see the module."""
    if not source.is_file():
        raise InvalidInput(f"{source} is not a file: give the BAN CSV file, e.g. adresses-75.csv.gz", field="file")
    current: dict[str, AddressRecord] = {}
    if index_path.exists() and not replace:
        current = {r.id: r for r in read_addresses(index_path)}
    added = updated = unchanged = read = 0
    try:
        for record in read_addresses(source, progress=progress):
            read += 1
            before = current.get(record.id)
            if before is None:
                added += 1
            elif before == record:
                unchanged += 1
            else:
                updated += 1
            current[record.id] = record
    except (OSError, EOFError) as exc:
        raise InvalidInput(f"{source} could not be read to the end ({exc}): download it again", field="file") from None
    if read == 0:
        raise InvalidInput(f"{source} holds no address (only a header?): nothing imported", field="file")
    index_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".addresses-", suffix=".csv.gz", dir=index_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        total = write_addresses(sorted(current.values(), key=_sort_key), tmp, compress=True)
        os.replace(tmp, index_path)
    finally:
        tmp.unlink(missing_ok=True)
    return ImportResult(read=read, added=added, updated=updated, unchanged=unchanged, total=total,
                        index_path=index_path)
