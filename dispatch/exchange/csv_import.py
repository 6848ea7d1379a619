"""Reading a CSV import file, whatever spreadsheet wrote it, and what every CSV import shares.

The file is decoded (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252 / Latin-1 as French
Excel writes "CSV (séparateur : point-virgule)"), the separator is detected (``,``, ``;`` or tab) and the
header is mapped onto the documented ``Column``s (names and aliases, accents and case ignored):
``read_csv`` returns the raw rows or raises ``FileTooLarge``, ``UnsupportedFile`` or ``InvalidInput`` for
the file as a whole. Imports are all or nothing: ``reject_if_any`` raises :class:`ImportRejected` listing
every problem as ``{"row", "column", "error"}``; ``row`` is the spreadsheet row (the header is row 1).
``ImportResult`` is what an import reports.

Text is kept verbatim (``<script>`` or ``=cmd|...`` included): it is escaped where it is shown (HTML
templates) and neutralised where it is exported (:mod:`dispatch.exchange.exports`), whose formula
protection ``unquote_formula`` undoes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from dispatch.errors import DispatchError, InvalidInput

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


def reject_if_any(errors: list[dict[str, Any]], rows: int) -> None:
    """Raise :class:`ImportRejected` with ``errors`` sorted by row and column, if there are any."""
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"] or "")), rows)


# ------------------------------------------------------------------ columns


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str
    aliases: tuple[str, ...] = ()


ACCEPTED_CONTENT_TYPES = frozenset({
    "text/csv", "application/csv", "text/plain", "text/comma-separated-values", "application/vnd.ms-excel",
    "text/x-csv", "application/x-csv", "text/tab-separated-values", "application/octet-stream", "",
})


def fold(text: str) -> str:
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


def _check_size_and_kind(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise FileTooLarge(f"the file is {len(data):,} bytes, more than the {max_bytes:,} allowed: split it into "
                           "smaller files (the limit is DISPATCH_IMPORT_MAX_BYTES)", field="file")
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnsupportedFile("this is an Excel workbook, not a CSV file: in Excel use File > Save as > "
                              "'CSV UTF-8 (comma delimited)' or 'CSV (semicolon delimited)'", field="file")


def _header_line(reader: Any) -> list[str]:
    """The first line that is not blank."""
    try:
        raw_header = next(reader)
        while raw_header is not None and not any(c.strip() for c in raw_header):
            raw_header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty: send a CSV file with a header line", field="file") from None
    except csv.Error as exc:
        raise InvalidInput(f"the header line cannot be read as CSV ({exc})", field="file") from None
    return raw_header


def _map_header(raw_header: list[str], columns: tuple[Column, ...]) -> tuple[list[str], list[str], set[str]]:
    """(canonical name per cell, "" when unknown; the unknown names; the columns found), every required
    column present and none twice."""
    lookup: dict[str, str] = {}
    for col in columns:
        lookup[fold(col.name)] = col.name
        for alias in col.aliases:
            lookup[fold(alias)] = col.name
    header: list[str] = []
    ignored: list[str] = []
    seen: set[str] = set()
    for name in raw_header:
        canonical = lookup.get(fold(name))
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
    return header, ignored, seen


def _read_rows(reader: Any, header: list[str], seen: set[str], max_rows: int) -> list[dict[str, str]]:
    """The rows that are not blank, by canonical column name (``__extra__``: more cells than the header)."""
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
    return rows


def read_csv(data: bytes, columns: tuple[Column, ...], *, max_rows: int, max_bytes: int) -> CsvTable:
    """Decode, detect the separator, map the header to the documented columns, return the raw rows."""
    _check_size_and_kind(data, max_bytes)
    text, encoding = decode(data)
    if not text.strip():
        raise InvalidInput("the file is empty: send a CSV file with a header line and at least one row",
                           field="file")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, ignored, seen = _map_header(_header_line(reader), columns)
    rows = _read_rows(reader, header, seen, max_rows)
    if not rows:
        raise InvalidInput("the file has a header but no rows: add at least one row", field="file")
    return CsvTable(encoding, delimiter, header, rows, ignored)


def unquote_formula(cell: str) -> str:
    """Undo the exports' formula protection (dispatch/exchange/exports.py ``safe_cell``): a quote before ``=``, ``+``,
    ``-``, ``@`` is the export's, not the data's, so that an export imported back changes nothing."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r":
        return cell[1:].strip()
    return cell


# ------------------------------------------------------------------ the result


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

    @classmethod
    def of(cls, kind: str, dry_run: bool, table: CsvTable) -> ImportResult:
        """The result of importing ``table``, nothing counted yet."""
        return cls(kind, dry_run, len(table.rows), encoding=table.encoding, delimiter=table.delimiter,
                   ignored_columns=table.ignored_columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "dry_run": self.dry_run, "rows": self.rows, "created": self.created,
            "updated": self.updated, "encoding": self.encoding,
            "delimiter": {"\t": "tab"}.get(self.delimiter, self.delimiter),
            "ignored_columns": self.ignored_columns, "refs": self.refs,
        }
