"""The offline geocoder: the BAN address index file loaded in memory, reloaded when the file changes.

The index file (``DISPATCH_ADDRESS_INDEX_PATH``, default ``var/addresses.csv.gz``) is a BAN CSV file written by
``dispatch addresses import`` (dispatch/addresses/importer.py). While it does not exist, the extract of the
demo's own addresses bundled in ``dispatch/data/addresses/`` is used, so the demo works offline from the first
run. Loading happens at the first search, not at import time; one index is shared by every request.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from dispatch.addresses.ban_csv import read_addresses
from dispatch.addresses.index import AddressIndex
from dispatch.addresses.matches import AddressMatch
from dispatch.errors import InvalidInput, Unavailable
from dispatch.settings import DATA_DIR

log = logging.getLogger(__name__)
BUNDLED_EXTRACT = DATA_DIR / "addresses" / "adresses-demo.csv"

_lock = threading.Lock()
_loaded: dict[Path, tuple[tuple[int, int], AddressIndex]] = {}


def load_index(path: Path) -> AddressIndex:
    """The index of ``path``, built once and rebuilt when the file's size or modification time changes."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise Unavailable(f"the address index {path} cannot be read ({exc.strerror}): run `dispatch addresses "
                          "import adresses-75.csv.gz`") from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _loaded.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            index = AddressIndex(read_addresses(path))
        except (InvalidInput, OSError, EOFError) as exc:
            detail = exc.message if isinstance(exc, InvalidInput) else str(exc)
            log.error("address index %s unreadable: %s", path, detail)
            raise Unavailable(f"the address index {path} is damaged ({detail}): import the BAN file again "
                              "with `dispatch addresses import FILE --replace`") from None
        _loaded[path] = (stamp, index)
        log.info("address index %s: %d addresses, %d streets", path, len(index), index.street_count)
        return index


class OfflineGeocoder:
    """Searches the index file at ``path``, or the bundled demo extract while that file does not exist."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def source(self) -> Path:
        return self.path if self.path.exists() else BUNDLED_EXTRACT

    def index(self) -> AddressIndex:
        return load_index(self.source)

    def search(self, query: str, *, limit: int = 5, lat: float | None = None,
               lon: float | None = None) -> list[AddressMatch]:
        return self.index().search(query, limit=limit, lat=lat, lon=lon)

    def reverse(self, lat: float, lon: float, *, limit: int = 1) -> list[AddressMatch]:
        return self.index().reverse(lat, lon, limit=limit)

    def covers_postcode(self, postcode: str) -> bool:
        """Whether any indexed address has this postcode (to say "not served" rather than "not found")."""
        return postcode in self.index().postcodes

    def describe(self) -> str:
        index = self.index()
        codes = sorted(index.postcodes)
        span = f"{codes[0]}-{codes[-1]}" if codes else "none"
        return f"{self.source}: {len(index)} addresses on {index.street_count} streets, postcodes {span}"
