"""CSV imports of relay points and home-pickup requests: all rows valid, or nothing imported.

The file is decoded whatever spreadsheet wrote it (UTF-8 with or without BOM, UTF-16 with BOM, else
Windows-1252 / Latin-1 as French Excel writes "CSV (séparateur : point-virgule)"), the separator is
detected (``,``, ``;`` or tab) and every row is checked: types, ranges, the position on the road
network (the snap check planning uses), duplicate codes in the file and in the database, and for
pickups the association's collection rules (:mod:`dispatch.pickups.requests`). If any row is bad nothing is
written and :class:`ImportRejected` lists every problem as ``{"row", "column", "error"}``; ``row`` is
the spreadsheet row (the header is row 1).

Text is stored verbatim (``<script>`` or ``=cmd|...`` included): it is escaped where it is shown
(HTML templates) and neutralised where it is exported (:mod:`dispatch.exchange.exports`).

Services take ``*, session``, flush and never commit.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.pickups import rule_decision, rules
from dispatch.fleet.relay_points import MIN_RELAY_CAPACITY_M3
from dispatch.errors import DispatchError, InvalidInput
from dispatch.exchange.fields import bad_character, phone_problem
from dispatch.models import (
    PickupRequest,
    PickupStatus,
    RelayPoint,
    RelayPointKind,
    ReportSource,
    Slot,
    StockReport,
    utcnow,
)

# ------------------------------------------------------------------ errors


class FileTooLarge(DispatchError):
    status_hint = 413


class UnsupportedFile(DispatchError):
    """Not a CSV text file (a spreadsheet, an image, binary data)."""

    status_hint = 415


class ImportRejected(InvalidInput):
    """At least one row is bad: nothing was imported. ``errors`` lists every problem."""

    def __init__(self, errors: list[dict[str, Any]], rows: int) -> None:
        bad_rows = sorted({e["row"] for e in errors if e.get("row")})
        first = errors[0]
        where = f"row {first['row']}" if first.get("row") else "the file"
        super().__init__(
            f"{len(bad_rows) or 1} of {rows} rows have errors, nothing was imported: fix them and send the file "
            f"again (first: {where}, column {first.get('column')}: {first['error']})",
            field="file",
        )
        self.errors = errors


# ------------------------------------------------------------------ columns


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    aliases: tuple[str, ...] = ()


RELAY_POINT_COLUMNS: tuple[Column, ...] = (
    Column("code", True, "unique code, letters, digits, '-' or '_' (at most 40), e.g. AMI-019-02"),
    Column("name", True, "name shown to crews (at most 200 characters)", ("nom",)),
    Column("kind", True, "town_hall, library, shop, company, association or home "
                         "(French: mairie, bibliotheque, commerce, entreprise, association, particulier)", ("type",)),
    Column("address", True, "street address (at most 300 characters)", ("adresse",)),
    Column("postcode", True, "5-digit postcode, e.g. 75019", ("code_postal", "cp")),
    Column("lat", True, "latitude in decimal degrees (WGS84), '.' or ',' as decimal mark", ("latitude",)),
    Column("lon", True, "longitude in decimal degrees (WGS84)", ("lng", "longitude")),
    Column("capacity_m3", True, f"capacity in m³, at least {MIN_RELAY_CAPACITY_M3:g} and at most 50", ("capacite_m3",)),
    Column("opening_hours", True, "e.g. 'Mo-Fr 10:00-12:30 14:00-19:00 | Sa 10:00-13:00' "
                                  "(days Mo Tu We Th Fr Sa Su or lu ma me je ve sa di; entries separated by '|')",
           ("horaires",)),
    Column("arrondissement", False, "1-20; default: from a Paris postcode 750xx"),
    Column("stock_m3", False, "current stock in m³, 0 to the capacity (default 0)"),
    Column("daily_rate_m3", False, "expected donations in m³ per day, 0-10 (default 0.1)", ("debit_m3_jour",)),
    Column("contact_name", False, "host contact (at most 200 characters)", ("contact",)),
    Column("contact_phone", False, "host phone (at most 40 characters)", ("telephone_contact",)),
    Column("access_notes", False, "notes for crews (parking, entrance)", ("acces",)),
    Column("active", False, "yes/no, true/false, oui/non, 1/0 (default yes)", ("actif",)),
)

PICKUP_COLUMNS: tuple[Column, ...] = (
    Column("donor_name", True, "donor's name (at most 200 characters)", ("nom",)),
    Column("phone", True, "donor's phone: digits, spaces, + ( ) . -", ("telephone",)),
    Column("address", True, "street address", ("adresse",)),
    Column("postcode", True, "5-digit postcode", ("code_postal", "cp")),
    Column("lat", True, "latitude in decimal degrees (WGS84)", ("latitude",)),
    Column("lon", True, "longitude in decimal degrees (WGS84)", ("lng", "longitude")),
    Column("volume_m3", True, "estimated volume in m³ (more than 0, at most 100)", ("volume",)),
    Column("date", True, "collection day, YYYY-MM-DD or DD/MM/YYYY"),
    Column("slot", True, "morning or afternoon (matin, apres-midi)", ("creneau",)),
    Column("ref", False, "your reference, unique (at most 40); default: generated", ("reference",)),
    Column("categories", False, "accepted categories separated by '|', e.g. furniture|books", ("categories_objets",)),
    Column("floor", False, "floor number, 0 = ground floor (-5 to 60)", ("etage",)),
    Column("has_lift", False, "yes/no (required above the ground floor)", ("ascenseur",)),
    Column("access_code", False, "door code (at most 40)", ("digicode",)),
    Column("notes", False, "notes for the crew (at most 2000)"),
)

_KIND_ALIASES = {
    "mairie": "town_hall", "bibliotheque": "library", "mediatheque": "library", "commerce": "shop",
    "boutique": "shop", "magasin": "shop", "entreprise": "company", "societe": "company",
    "particulier": "home", "domicile": "home",
}
_SLOT_ALIASES = {"matin": "morning", "am": "morning", "apres-midi": "afternoon", "apresmidi": "afternoon",
                 "pm": "afternoon", "aprem": "afternoon"}
_TRUE = {"1", "true", "yes", "y", "oui", "o", "vrai", "x"}
_FALSE = {"0", "false", "no", "n", "non", "faux"}
_DAYS = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6,
         "lu": 0, "ma": 1, "me": 2, "je": 3, "ve": 4, "di": 6}
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_POSTCODE_RE = re.compile(r"^\d{5}$")
_CATEGORY_RE = re.compile(r"^[a-z_]{1,40}$")
_TIME_RE = re.compile(r"^(\d{1,2})[:hH](\d{2})$")

ACCEPTED_CONTENT_TYPES = frozenset({
    "text/csv", "application/csv", "text/plain", "text/comma-separated-values", "application/vnd.ms-excel",
    "text/x-csv", "application/x-csv", "text/tab-separated-values", "application/octet-stream", "",
})


def _fold(text: str) -> str:
    """Lower case, accents removed, spaces and dashes as '_' (for header and enum matching)."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s\-]+", "_", text)


def columns_doc(columns: tuple[Column, ...]) -> list[dict[str, Any]]:
    return [{"name": c.name, "required": c.required, "description": c.description, "aliases": list(c.aliases)}
            for c in columns]


# ------------------------------------------------------------------ reading the file


@dataclass
class CsvTable:
    encoding: str
    delimiter: str
    header: list[str]  # canonical column names, in file order ("" for an ignored unknown column)
    rows: list[dict[str, str]]  # canonical name -> raw text (stripped)
    ignored_columns: list[str] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding): UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252 (Latin-1)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise UnsupportedFile("the file starts like UTF-16 but is not valid UTF-16: save it again as "
                                  "'CSV UTF-8'", field="file") from None
    if b"\x00" in data:
        raise UnsupportedFile("this is not a text file (it contains NUL bytes): export the sheet as CSV "
                              "('CSV UTF-8' or 'CSV (séparateur : point-virgule)')", field="file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:  # handled: not UTF-8: cp1252 is tried next
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # handled: the 5 bytes cp1252 leaves undefined: plain Latin-1
        return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ","


def read_csv(data: bytes, columns: tuple[Column, ...], *, max_rows: int, max_bytes: int) -> CsvTable:
    """Decode, detect the separator, map the header to the documented columns, return the raw rows."""
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is {len(data):,} bytes, more than the {max_bytes:,} allowed: split it into "
                           "smaller files (the limit is DISPATCH_IMPORT_MAX_BYTES)", field="file")
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnsupportedFile("this is an Excel workbook, not a CSV file: in Excel use File > Save as > "
                              "'CSV UTF-8 (comma delimited)' or 'CSV (semicolon delimited)'", field="file")
    text, encoding = decode(data)
    if not text.strip():
        raise InvalidInput("the file is empty: send a CSV file with a header line and at least one row",
                           field="file")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        raw_header = next(reader)
        while raw_header is not None and not any(c.strip() for c in raw_header):
            raw_header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty: send a CSV file with a header line", field="file") from None
    except csv.Error as exc:
        raise InvalidInput(f"the header line cannot be read as CSV ({exc})", field="file") from None

    lookup: dict[str, str] = {}
    for col in columns:
        lookup[_fold(col.name)] = col.name
        for alias in col.aliases:
            lookup[_fold(alias)] = col.name
    header: list[str] = []
    ignored: list[str] = []
    seen: set[str] = set()
    for name in raw_header:
        canonical = lookup.get(_fold(name))
        if canonical is None:
            if name.strip():
                ignored.append(name.strip())
            header.append("")
            continue
        if canonical in seen:
            raise InvalidInput(f"column {canonical!r} appears twice in the header: keep one", field=canonical)
        seen.add(canonical)
        header.append(canonical)
    missing = [c.name for c in columns if c.required and c.name not in seen]
    if missing:
        expected = ", ".join(c.name for c in columns if c.required)
        found = ", ".join(map(repr, raw_header[:20])) + (f" and {len(raw_header) - 20} more" if len(raw_header) > 20 else "")
        raise InvalidInput(
            f"the header lacks the required column(s) {', '.join(missing)}: the first line must name the "
            f"columns, at least {expected} (separated by ',' or ';'); found {found}",
            field=missing[0],
        )

    rows: list[dict[str, str]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # blank line (Excel often ends with some)
            if len(rows) >= max_rows:
                raise FileTooLarge(f"the file has more than {max_rows:,} rows: split it (the limit is "
                                   "DISPATCH_IMPORT_MAX_ROWS)", field="file")
            row = {name: "" for name in seen}
            extra = record[len(header):]
            for name, cell in zip(header, record):
                if name:
                    row[name] = unquote_formula(cell.strip())
            if any(c.strip() for c in extra):
                row["__extra__"] = str(len(record))
            rows.append(row)
    except csv.Error as exc:
        raise InvalidInput(f"the file is not valid CSV near line {reader.line_num} ({exc}): check the quotes",
                           field="file") from None
    if not rows:
        raise InvalidInput("the file has a header but no rows: add at least one row", field="file")
    return CsvTable(encoding, delimiter, header, rows, ignored)


def unquote_formula(cell: str) -> str:
    """Undo the exports' formula protection (dispatch/exchange/exports.py ``safe_cell``): a quote before ``=``, ``+``,
    ``-``, ``@`` is the export's, not the data's, so that an export imported back changes nothing."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r":
        return cell[1:].strip()
    return cell


# ------------------------------------------------------------------ cell parsers


class _Bad(Exception):
    pass


def _number(text: str) -> float:
    t = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in t and "." not in t:
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        raise _Bad(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise _Bad(f"{text!r} is not a finite number")
    return value


def _int(text: str) -> int:
    value = _number(text)
    if value != int(value):
        raise _Bad(f"{text!r} is not a whole number")
    return int(value)


def _bool(text: str) -> bool:
    t = _fold(text)
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise _Bad(f"{text!r} is not yes/no (use yes, no, oui, non, true, false, 1 or 0)")


def _date(text: str) -> dt.date:
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y",
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return dt.datetime.strptime(t, fmt).date()
        except ValueError:  # handled: not a date in this format: the next format is tried
            continue
    raise _Bad(f"{text!r} is not a date: use YYYY-MM-DD (2026-12-01) or DD/MM/YYYY (01/12/2026)")


def _hhmm(text: str) -> str:
    m = _TIME_RE.match(text.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and int(m.group(2))):
        raise _Bad(f"{text!r} is not a time HH:MM")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_opening_hours(text: str) -> list[dict[str, Any]]:
    """'Mo-Fr 10:00-12:30 14:00-19:00 | Sa 10:00-13:00' -> [{"days": [...], "open", "close"}, ...]."""
    out: list[dict[str, Any]] = []
    for entry in (e.strip() for e in text.split("|")):
        if not entry:
            continue
        parts = entry.split()
        if len(parts) < 2:
            raise _Bad(f"{entry!r}: give days then time ranges, e.g. 'Mo-Fr 10:00-19:00'")
        days: list[int] = []
        for chunk in parts[0].split(","):
            ends = chunk.split("-")
            try:
                idx = [_DAYS[_fold(e)[:2]] for e in ends if e]
            except KeyError:
                raise _Bad(f"{chunk!r} is not a day: use Mo Tu We Th Fr Sa Su (or lu ma me je ve sa di)") from None
            if len(idx) == 1:
                days.append(idx[0])
            elif len(idx) == 2 and idx[0] <= idx[1]:
                days.extend(range(idx[0], idx[1] + 1))
            else:
                raise _Bad(f"{chunk!r} is not a day range like Mo-Fr")
        for rng in parts[1:]:
            bounds = rng.split("-")
            if len(bounds) != 2:
                raise _Bad(f"{rng!r} is not a time range like 10:00-19:00")
            start, end = _hhmm(bounds[0]), _hhmm(bounds[1])
            if end <= start:
                raise _Bad(f"{rng!r}: the closing time must be after the opening time")
            out.append({"days": sorted(set(days)), "open": start, "close": end})
    if not out:
        raise _Bad("no opening hours given")
    return out


class _RowChecker:
    """Collects every error of one row."""

    def __init__(self, row_number: int, raw: dict[str, str], errors: list[dict[str, Any]]) -> None:
        self.row, self.raw, self.errors, self.ok = row_number, raw, errors, True

    def error(self, column: str | None, message: str) -> None:
        self.ok = False
        self.errors.append({"row": self.row, "column": column, "error": message})

    def get(self, column: str, parser: Callable[[str], Any] | None = None, *, required: bool = False,
            max_length: int | None = None, default: Any = None) -> Any:
        text = self.raw.get(column, "")
        if not text:
            if required:
                self.error(column, f"{column} is required")
            return default
        if max_length is not None and len(text) > max_length:
            self.error(column, f"at most {max_length} characters (got {len(text)})")
            return default
        bad = bad_character(text, multiline=column in ("notes", "access_notes"))
        if bad is not None:  # the same rule as the API and the forms (dispatch/exchange/fields.py)
            self.error(column, f"holds an invisible or control character ({bad}): remove it")
            return default
        if parser is None:
            return text
        try:
            return parser(text)
        except _Bad as exc:
            self.error(column, str(exc))
            return default

    def in_range(self, column: str, value: float | None, low: float, high: float, *, low_open: bool = False) -> None:
        if value is None:
            return
        if (value <= low if low_open else value < low) or value > high:
            lo = f"more than {low:g}" if low_open else f"at least {low:g}"
            self.error(column, f"{value:g} is out of range: must be {lo} and at most {high:g}")


def _extra_cells(check: _RowChecker) -> None:
    if "__extra__" in check.raw:
        check.error(None, f"the row has {check.raw['__extra__']} cells, more than the header's columns: "
                          "a separator inside a value? quote it (\"...\")")


def _position_error(lat: float, lon: float, network, max_snap_distance_m: float) -> str | None:
    """None when (lat, lon) snaps onto the routable road network, else the reason."""
    if not network.contains(lat, lon):
        return (f"({lat:.5f}, {lon:.5f}) is outside the area of the road network: check the coordinates "
                "(latitude and longitude swapped?)")
    try:
        network.snap("import", lat, lon, max_distance_m=max_snap_distance_m)
    except InvalidInput as exc:
        return exc.message
    return None


# ------------------------------------------------------------------ relay points


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    rows: int
    created: int = 0
    updated: int = 0
    encoding: str = ""
    delimiter: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)  # pickups: the stored (or would-be) references

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "dry_run": self.dry_run, "rows": self.rows, "created": self.created,
            "updated": self.updated, "encoding": self.encoding,
            "delimiter": {"\t": "tab"}.get(self.delimiter, self.delimiter),
            "ignored_columns": self.ignored_columns, "refs": self.refs,
        }


def _relay_values(check: _RowChecker) -> dict[str, Any]:
    v: dict[str, Any] = {}
    code = check.get("code", required=True)
    if code is not None and not _CODE_RE.match(code):
        check.error("code", f"{code!r}: use 1-40 letters, digits, '-' or '_'")
    v["code"] = code
    v["name"] = check.get("name", required=True, max_length=200)
    kind = check.get("kind", required=True)
    if kind is not None:
        folded = _fold(kind)
        folded = _KIND_ALIASES.get(folded, folded)
        try:
            v["kind"] = RelayPointKind(folded)
        except ValueError:
            check.error("kind", f"{kind!r} is not a kind: use one of "
                                f"{', '.join(k.value for k in RelayPointKind)}")
    v["address"] = check.get("address", required=True, max_length=300)
    postcode = check.get("postcode", required=True)
    if postcode is not None:
        postcode = postcode.replace(" ", "")
        if not _POSTCODE_RE.match(postcode):
            check.error("postcode", f"{postcode!r} is not a 5-digit postcode")
    v["postcode"] = postcode
    lat, lon = check.get("lat", _number, required=True), check.get("lon", _number, required=True)
    check.in_range("lat", lat, -90, 90)
    check.in_range("lon", lon, -180, 180)
    v["lat"], v["lon"] = lat, lon
    cap = check.get("capacity_m3", _number, required=True)
    check.in_range("capacity_m3", cap, MIN_RELAY_CAPACITY_M3, 50)
    v["capacity_m3"] = cap
    v["opening_hours"] = check.get("opening_hours", parse_opening_hours, required=True)
    arr = check.get("arrondissement", _int)
    check.in_range("arrondissement", arr, 1, 20)
    if arr is None and postcode and re.match(r"^750(0[1-9]|1\d|20)$", postcode):
        arr = int(postcode[3:])
    elif arr is None and postcode == "75116":
        arr = 16
    v["arrondissement"] = arr
    stock = check.get("stock_m3", _number, default=0.0)
    if cap is not None and cap > 0:
        check.in_range("stock_m3", stock, 0, cap)
    v["stock_m3"] = stock
    rate = check.get("daily_rate_m3", _number, default=0.1)
    check.in_range("daily_rate_m3", rate, 0, 10)
    v["daily_rate_m3"] = rate
    v["contact_name"] = check.get("contact_name", max_length=200)
    phone = check.get("contact_phone", max_length=40)
    if phone is not None and phone_problem(phone):
        check.error("contact_phone", phone_problem(phone))
    v["contact_phone"] = phone
    v["access_notes"] = check.get("access_notes", max_length=2000)
    v["active"] = check.get("active", _bool, default=True)
    _extra_cells(check)
    # What the row really gives (an update leaves the other columns as stored).
    v["__given__"] = {name for name, text in check.raw.items() if text} | ({"arrondissement"} if arr else set())
    return v


_REQUIRED_RELAY = frozenset(c.name for c in RELAY_POINT_COLUMNS if c.required)


def import_relay_points(
    data: bytes, *, session: Session, network, max_snap_distance_m: float, max_rows: int, max_bytes: int,
    dry_run: bool = False, update: bool = False,
) -> ImportResult:
    """Create (and with ``update``, update by code) relay points from a CSV file, all or nothing.

    An update sets the required columns and the optional ones the row fills in; an optional column that
    is absent or empty leaves the stored value as it is.
    """
    table = read_csv(data, RELAY_POINT_COLUMNS, max_rows=max_rows, max_bytes=max_bytes)
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    first_row_of: dict[str, int] = {}
    for i, raw in enumerate(table.rows):
        check = _RowChecker(i + 2, raw, errors)
        values = _relay_values(check)
        code = values["code"]
        if code:
            key = code.upper()
            if key in first_row_of:
                check.error("code", f"code {code!r} is already used by row {first_row_of[key]} of this file")
            else:
                first_row_of[key] = check.row
        if values["lat"] is not None and values["lon"] is not None and -90 <= values["lat"] <= 90 \
                and -180 <= values["lon"] <= 180:
            problem = _position_error(values["lat"], values["lon"], network, max_snap_distance_m)
            if problem:
                check.error("lat", problem)
        if check.ok:
            parsed.append((check.row, values))

    codes = [v["code"].upper() for _, v in parsed]
    existing: dict[str, RelayPoint] = {}
    for start in range(0, len(codes), 500):
        query = select(RelayPoint).where(func.upper(RelayPoint.code).in_(codes[start:start + 500]))
        existing.update({rp.code.upper(): rp for rp in session.scalars(query).all()})
    # Case-insensitive clash with a stored code written differently.
    if not update:
        for row, values in parsed:
            if values["code"].upper() in existing:
                errors.append({"row": row, "column": "code",
                               "error": f"relay point {values['code']!r} already exists: change the code, or send "
                                        "the file with update=true to update it"})
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"] or "")), len(table.rows))

    result = ImportResult("relay_points", dry_run, len(table.rows), encoding=table.encoding,
                          delimiter=table.delimiter, ignored_columns=table.ignored_columns)
    now = utcnow()
    for _, values in parsed:
        given = values.pop("__given__")
        rp = existing.get(values["code"].upper())
        if rp is None:
            result.created += 1
            if not dry_run:
                rp = RelayPoint(**values, full=values["stock_m3"] >= values["capacity_m3"], stock_updated_at=now)
                session.add(rp)
                session.add(StockReport(relay_point=rp, reported_at=now, source=ReportSource.STAFF,
                                        stock_m3=rp.stock_m3, full=rp.full, note="CSV import: initial stock"))
        else:
            result.updated += 1
            if dry_run:
                continue
            for name, value in values.items():
                if name != "code" and (name in given or name in _REQUIRED_RELAY):
                    setattr(rp, name, value)
            if "stock_m3" in given or rp.stock_m3 > rp.capacity_m3:
                rp.stock_m3 = min(rp.stock_m3, rp.capacity_m3)
                rp.full = rp.stock_m3 >= rp.capacity_m3
                rp.stock_updated_at = now
                session.add(StockReport(relay_point=rp, reported_at=now, source=ReportSource.STAFF,
                                        stock_m3=rp.stock_m3, full=rp.full, note="CSV import: stock updated"))
    if not dry_run:
        session.flush()
    return result


# ------------------------------------------------------------------ pickups


def _pickup_values(check: _RowChecker) -> dict[str, Any]:
    v: dict[str, Any] = {}
    ref = check.get("ref")
    if ref is not None and not _CODE_RE.match(ref):
        check.error("ref", f"{ref!r}: use 1-40 letters, digits, '-' or '_'")
    v["ref"] = ref
    v["donor_name"] = check.get("donor_name", required=True, max_length=200)
    phone = check.get("phone", required=True)
    if phone is not None and phone_problem(phone):
        check.error("phone", phone_problem(phone))
    v["phone"] = phone
    v["address"] = check.get("address", required=True, max_length=300)
    postcode = check.get("postcode", required=True)
    if postcode is not None:
        postcode = postcode.replace(" ", "")
        if not _POSTCODE_RE.match(postcode):
            check.error("postcode", f"{postcode!r} is not a 5-digit postcode")
    v["postcode"] = postcode
    lat, lon = check.get("lat", _number, required=True), check.get("lon", _number, required=True)
    check.in_range("lat", lat, -90, 90)
    check.in_range("lon", lon, -180, 180)
    v["lat"], v["lon"] = lat, lon
    volume = check.get("volume_m3", _number, required=True)
    check.in_range("volume_m3", volume, 0, 100, low_open=True)
    v["volume_m3"] = volume
    v["date"] = check.get("date", _date, required=True)
    slot = check.get("slot", required=True)
    if slot is not None:
        folded = _fold(slot).replace("_", "-")
        try:
            v["slot"] = Slot(_SLOT_ALIASES.get(folded, folded))
        except ValueError:
            check.error("slot", f"{slot!r} is not a slot: morning or afternoon (matin, après-midi)")
    cats = check.get("categories", default="")
    categories: list[str] = []
    for raw_cat in re.split(r"[|,;]", cats or ""):
        cat = _fold(raw_cat)
        if not cat:
            continue
        if not _CATEGORY_RE.match(cat):
            check.error("categories", f"{raw_cat.strip()!r} is not a category name (letters and '_')")
        else:
            categories.append(cat)
    v["categories"] = tuple(categories)
    floor = check.get("floor", _int)
    check.in_range("floor", floor, -5, 60)
    v["floor"] = floor
    v["has_lift"] = check.get("has_lift", _bool)
    v["access_code"] = check.get("access_code", max_length=40)
    v["notes"] = check.get("notes", max_length=2000)
    _extra_cells(check)
    return v


def import_pickups(
    data: bytes, *, session: Session, settings, network, today: dt.date, max_rows: int, max_bytes: int,
    dry_run: bool = False,
) -> ImportResult:
    """Create accepted home-pickup requests from a CSV file, all or nothing.

    Every row is judged by the collection rules (zone, lead time, capacities counting the rows above
    it, position on the road network...): a row the rules refuse is a bad row, reported with every reason.
    """
    from dispatch.pickups import requests as pickup_service

    table = read_csv(data, PICKUP_COLUMNS, max_rows=max_rows, max_bytes=max_bytes)
    config = pickup_service.rules_config(settings)
    base_ctx = pickup_service.rule_context(session=session, settings=settings, network=network, today=today)
    booked: dict[tuple[dt.date, str], int] = {}
    lo, hi = today, rules.latest_date(config, today)
    for (day, slot), count in pickup_service.booked_slots(session=session, start=lo, end=hi).items():
        booked[(day, slot)] = count
    errors: list[dict[str, Any]] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    first_row_of: dict[str, int] = {}
    for i, raw in enumerate(table.rows):
        check = _RowChecker(i + 2, raw, errors)
        values = _pickup_values(check)
        ref = values["ref"]
        if ref:
            key = ref.upper()
            if key in first_row_of:
                check.error("ref", f"reference {ref!r} is already used by row {first_row_of[key]} of this file")
            else:
                first_row_of[key] = check.row
        if not check.ok:
            continue
        request = pickup_service.PickupInput(
            donor_name=values["donor_name"], phone=values["phone"], address=values["address"],
            postcode=values["postcode"], lat=values["lat"], lon=values["lon"], volume_m3=values["volume_m3"],
            date=values["date"], slot=values["slot"], categories=values["categories"], floor=values["floor"],
            has_lift=values["has_lift"], access_code=values["access_code"], notes=values["notes"],
        )
        ctx = rule_decision.RuleContext(today=base_ctx.today, largest_van_m3=base_ctx.largest_van_m3,
                                        in_graph_area=base_ctx.in_graph_area, booked=dict(booked))
        decision = pickup_service.evaluate(request, config=config, ctx=ctx)
        if not decision.accepted:
            for reason in decision.reasons:
                column = {"position": "lat"}.get(reason.field, reason.field) or None
                check.error(column, f"{reason.code}: {reason.message('en')}")
            continue
        key = (values["date"], values["slot"].value)
        booked[key] = booked.get(key, 0) + 1
        parsed.append((check.row, {"request": request, "decision": decision, "ref": ref}))

    refs = [v["ref"].upper() for _, v in parsed if v["ref"]]
    taken: set[str] = set()
    for start in range(0, len(refs), 500):
        query = select(PickupRequest.ref).where(func.upper(PickupRequest.ref).in_(refs[start:start + 500]))
        taken |= {r.upper() for r in session.scalars(query).all()}
    for row, v in parsed:
        if v["ref"] and v["ref"].upper() in taken:
            errors.append({"row": row, "column": "ref",
                           "error": f"a pickup request {v['ref']!r} already exists: use another reference"})
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"] or "")), len(table.rows))

    result = ImportResult("pickups", dry_run, len(table.rows), encoding=table.encoding, delimiter=table.delimiter,
                          ignored_columns=table.ignored_columns)
    for _, v in parsed:
        result.created += 1
        request, decision = v["request"], v["decision"]
        if dry_run:
            result.refs.append(v["ref"] or "")
            continue
        record = PickupRequest(
            ref=v["ref"] or pickup_service._new_ref(session), donor_name=request.donor_name, phone=request.phone,
            address=request.address, postcode=request.postcode, lat=request.lat, lon=request.lon,
            volume_m3=request.volume_m3, categories=list(request.categories), date=request.date, slot=request.slot,
            floor=request.floor, has_lift=request.has_lift, access_code=request.access_code, notes=request.notes,
            status=PickupStatus.ACCEPTED, status_reason=None, decision=decision.to_dict(),
        )
        session.add(record)
        result.refs.append(record.ref)
    if not dry_run:
        session.flush()
    return result


# Shared with the depots import (dispatch/exchange/depot_import.py) and the `dispatch depots` command.
BadValue = _Bad
RowChecker = _RowChecker
extra_cells = _extra_cells
parse_number = _number
position_error = _position_error
