"""Reading and writing the French national address base (BAN) CSV format, plain or gzip-compressed.

The file a user downloads once for Paris is ``adresses-75.csv.gz``: UTF-8, ``;``-separated, one address a line,
columns ``id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;...;lon;lat;...`` (read by name,
so their order and any extra column do not matter). :func:`read_addresses` streams it row by row and raises
:class:`~dispatch.errors.InvalidInput` naming the line at fault; :func:`write_addresses` writes records back
in the same format (the offline index file is such a file).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dispatch.errors import InvalidInput

BAN_COLUMNS = ("id", "id_fantoir", "numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune",
               "code_insee_ancienne_commune", "nom_ancienne_commune", "x", "y", "lon", "lat", "type_position",
               "alias", "nom_ld", "libelle_acheminement", "nom_afnor", "source_position", "source_nom_voie",
               "certification_commune", "cad_parcelles")
REQUIRED = ("id", "numero", "rep", "nom_voie", "code_postal", "nom_commune", "lon", "lat")
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class AddressRecord:
    """One address of the BAN: ``numero`` + ``rep`` + ``nom_voie``, ``code_postal`` ``nom_commune``, position."""

    id: str
    numero: str
    rep: str
    nom_voie: str
    code_postal: str
    code_insee: str
    nom_commune: str
    lon: float
    lat: float
    id_fantoir: str = ""
    x: str = ""
    y: str = ""


def open_text(path: Path) -> io.TextIOBase:
    """The file as text, gunzipped when it starts with the gzip signature (whatever its name)."""
    with path.open("rb") as probe:
        gz = probe.read(2) == GZIP_MAGIC
    raw = gzip.open(path, "rb") if gz else path.open("rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _float(value: str, name: str, line: int, lo: float, hi: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and lo <= number <= hi):
        raise InvalidInput(f"line {line}: {name} {value!r} is not a number between {lo} and {hi}", field=name)
    return number


def parse_row(row: dict[str, str], line: int) -> AddressRecord:
    """One CSV row -> a record; a missing or malformed value raises InvalidInput naming the line."""
    numero = (row.get("numero") or "").strip()
    if not numero.isdigit():
        raise InvalidInput(f"line {line}: numero {numero!r} is not a house number (digits only; the suffix goes "
                           "in the rep column)", field="numero")
    street = (row.get("nom_voie") or "").strip()
    postcode = (row.get("code_postal") or "").strip()
    if not street:
        raise InvalidInput(f"line {line}: nom_voie (the street name) is empty", field="nom_voie")
    if not (len(postcode) == 5 and postcode.isdigit()):
        raise InvalidInput(f"line {line}: code_postal {postcode!r} is not a 5-digit postcode", field="code_postal")
    ident = (row.get("id") or "").strip() or f"{postcode}_{street}_{numero}_{row.get('rep') or ''}"
    return AddressRecord(
        id=ident, numero=str(int(numero)), rep=(row.get("rep") or "").strip(), nom_voie=street,
        code_postal=postcode, code_insee=(row.get("code_insee") or "").strip(),
        nom_commune=(row.get("nom_commune") or "").strip(),
        lon=_float((row.get("lon") or "").strip(), "lon", line, -180, 180),
        lat=_float((row.get("lat") or "").strip(), "lat", line, -90, 90),
        id_fantoir=(row.get("id_fantoir") or "").strip(), x=(row.get("x") or "").strip(),
        y=(row.get("y") or "").strip(),
    )


def _fraction_read(text: io.TextIOWrapper, size: int) -> float:
    raw = getattr(text.buffer, "fileobj", None) or text.buffer  # the compressed file under gzip
    try:
        return min(1.0, raw.tell() / size)
    except (OSError, ValueError):
        return 0.0


def read_addresses(path: Path, *, progress: Callable[[int, float], None] | None = None,
                   every: int = 20_000) -> Iterator[AddressRecord]:
    """Stream the addresses of a BAN CSV file (plain or .gz). Raises InvalidInput on a missing column or a bad
    line, OSError/EOFError when the file cannot be read (a truncated download). ``progress(rows, share of the
    file read)`` is called every ``every`` rows and at the end."""
    size = max(path.stat().st_size, 1)
    count = 0
    with open_text(path) as text:
        reader = csv.DictReader(text, delimiter=";")
        try:
            header = reader.fieldnames or []
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInput(f"{path.name} is not a BAN CSV file ({exc}): expected a ';'-separated UTF-8 file "
                               "such as adresses-75.csv.gz", field="file") from None
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InvalidInput(f"{path.name} is not a BAN CSV file: column(s) {', '.join(missing)} missing "
                               f"(found: {';'.join(header[:8]) or 'nothing'})", field="file")
        try:
            for row in reader:
                yield parse_row(row, reader.line_num)
                count += 1
                if progress is not None and count % every == 0:
                    progress(count, _fraction_read(text, size))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidInput(f"line {reader.line_num}: not valid CSV text ({exc})", field="file") from None
    if progress is not None:
        progress(count, 1.0)


def write_addresses(records: Iterable[AddressRecord], path: Path, *, compress: bool | None = None) -> int:
    """Write ``records`` as a BAN CSV file (gzip when ``path`` ends with .gz); returns how many were written.
    Written to ``path`` as given: callers that replace a file write a temporary one and rename it."""
    compress = path.name.endswith(".gz") if compress is None else compress
    raw = gzip.open(path, "wb", compresslevel=6) if compress else path.open("wb")
    count = 0
    with io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        writer = csv.writer(text, delimiter=";", lineterminator="\n")
        writer.writerow(BAN_COLUMNS)
        for r in records:
            values = {"id": r.id, "id_fantoir": r.id_fantoir, "numero": r.numero, "rep": r.rep, "nom_voie": r.nom_voie,
                      "code_postal": r.code_postal, "code_insee": r.code_insee, "nom_commune": r.nom_commune,
                      "x": r.x, "y": r.y, "lon": f"{r.lon:.6f}", "lat": f"{r.lat:.6f}"}
            writer.writerow([values.get(c, "") for c in BAN_COLUMNS])
            count += 1
    return count
