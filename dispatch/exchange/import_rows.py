"""Checking the rows of a CSV import: cell parsers, the row checker, the checks the imports share.

A parser turns a cell's text into a value or raises ``BadValue`` with the reason; ``RowChecker`` collects
every error of a row as ``{"row", "column", "error"}`` (text rules shared with the API and the forms,
:mod:`dispatch.exchange.fields`). ``check_code``, ``check_postcode`` and ``check_position`` are the column
checks several imports make; ``checked_rows`` walks a table's rows and reports a key (code, reference)
used twice in the file; ``stored`` finds the records whose key a file names, case-insensitively;
``position_error`` says why a position does not snap onto the road network.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput
from dispatch.exchange.csv_import import CsvTable, fold
from dispatch.exchange.fields import bad_character

_TRUE = {"1", "true", "yes", "y", "oui", "o", "vrai", "x"}
_FALSE = {"0", "false", "no", "n", "non", "faux"}
_DAYS = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6,
         "lu": 0, "ma": 1, "me": 2, "je": 3, "ve": 4, "di": 6}
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_POSTCODE_RE = re.compile(r"^\d{5}$")
_TIME_RE = re.compile(r"^(\d{1,2})[:hH](\d{2})$")
_QUERY_CHUNK = 500  # keys per IN (...) query

# ------------------------------------------------------------------ cell parsers


class BadValue(Exception):
    pass


def parse_number(text: str) -> float:
    t = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in t and "." not in t:
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        raise BadValue(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise BadValue(f"{text!r} is not a finite number")
    return value


def parse_int(text: str) -> int:
    value = parse_number(text)
    if value != int(value):
        raise BadValue(f"{text!r} is not a whole number")
    return int(value)


def parse_bool(text: str) -> bool:
    t = fold(text)
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise BadValue(f"{text!r} is not yes/no (use yes, no, oui, non, true, false, 1 or 0)")


def parse_date(text: str) -> dt.date:
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y",
                "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return dt.datetime.strptime(t, fmt).date()
        except ValueError:  # handled: not a date in this format: the next format is tried
            continue
    raise BadValue(f"{text!r} is not a date: use YYYY-MM-DD (2026-12-01) or DD/MM/YYYY (01/12/2026)")


def _hhmm(text: str) -> str:
    m = _TIME_RE.match(text.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and int(m.group(2))):
        raise BadValue(f"{text!r} is not a time HH:MM")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _days(chunk: str) -> list[int]:
    """'Mo' or 'Mo-Fr' -> the days' numbers (Monday 0)."""
    ends = chunk.split("-")
    try:
        idx = [_DAYS[fold(e)[:2]] for e in ends if e]
    except KeyError:
        raise BadValue(f"{chunk!r} is not a day: use Mo Tu We Th Fr Sa Su (or lu ma me je ve sa di)") from None
    if len(idx) == 1:
        return [idx[0]]
    if len(idx) == 2 and idx[0] <= idx[1]:
        return list(range(idx[0], idx[1] + 1))
    raise BadValue(f"{chunk!r} is not a day range like Mo-Fr")


def parse_opening_hours(text: str) -> list[dict[str, Any]]:
    """'Mo-Fr 10:00-12:30 14:00-19:00 | Sa 10:00-13:00' -> [{"days": [...], "open", "close"}, ...]."""
    out: list[dict[str, Any]] = []
    for entry in (e.strip() for e in text.split("|")):
        if not entry:
            continue
        parts = entry.split()
        if len(parts) < 2:
            raise BadValue(f"{entry!r}: give days then time ranges, e.g. 'Mo-Fr 10:00-19:00'")
        days: list[int] = []
        for chunk in parts[0].split(","):
            days.extend(_days(chunk))
        for rng in parts[1:]:
            bounds = rng.split("-")
            if len(bounds) != 2:
                raise BadValue(f"{rng!r} is not a time range like 10:00-19:00")
            start, end = _hhmm(bounds[0]), _hhmm(bounds[1])
            if end <= start:
                raise BadValue(f"{rng!r}: the closing time must be after the opening time")
            out.append({"days": sorted(set(days)), "open": start, "close": end})
    if not out:
        raise BadValue("no opening hours given")
    return out


# ------------------------------------------------------------------ rows


class RowChecker:
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
        except BadValue as exc:
            self.error(column, str(exc))
            return default

    def in_range(self, column: str, value: float | None, low: float, high: float, *, low_open: bool = False) -> None:
        if value is None:
            return
        if (value <= low if low_open else value < low) or value > high:
            lo = f"more than {low:g}" if low_open else f"at least {low:g}"
            self.error(column, f"{value:g} is out of range: must be {lo} and at most {high:g}")


def extra_cells(check: RowChecker) -> None:
    if "__extra__" in check.raw:
        check.error(None, f"the row has {check.raw['__extra__']} cells, more than the header's columns: "
                          "a separator inside a value? quote it (\"...\")")


def check_code(check: RowChecker, column: str, *, required: bool) -> str | None:
    """A code or reference: 1-40 letters, digits, '-' or '_' (the text is returned even when bad)."""
    code = check.get(column, required=required)
    if code is not None and not _CODE_RE.match(code):
        check.error(column, f"{code!r}: use 1-40 letters, digits, '-' or '_'")
    return code


def check_postcode(check: RowChecker) -> str | None:
    """The required ``postcode``, spaces removed (returned even when it is not 5 digits)."""
    postcode = check.get("postcode", required=True)
    if postcode is not None:
        postcode = postcode.replace(" ", "")
        if not _POSTCODE_RE.match(postcode):
            check.error("postcode", f"{postcode!r} is not a 5-digit postcode")
    return postcode


def check_position(check: RowChecker) -> tuple[float | None, float | None]:
    """The required ``lat`` and ``lon``, in range."""
    lat, lon = check.get("lat", parse_number, required=True), check.get("lon", parse_number, required=True)
    check.in_range("lat", lat, -90, 90)
    check.in_range("lon", lon, -180, 180)
    return lat, lon


def checked_rows(table: CsvTable, errors: list[dict[str, Any]], values_of: Callable[[RowChecker], dict[str, Any]],
                 *, key: str, label: str) -> Iterator[tuple[RowChecker, dict[str, Any]]]:
    """Each row's checker and values (``values_of``), a ``key`` (compared in upper case) already used by an
    earlier row of the file reported as ``"{label} '...' is already used by row N of this file"``."""
    first_row_of: dict[str, int] = {}
    for i, raw in enumerate(table.rows):
        check = RowChecker(i + 2, raw, errors)
        values = values_of(check)
        value = values[key]
        if value:
            upper = value.upper()
            if upper in first_row_of:
                check.error(key, f"{label} {value!r} is already used by row {first_row_of[upper]} of this file")
            else:
                first_row_of[upper] = check.row
        yield check, values


def stored(session: Session, what: Any, column: Any, keys: list[str]) -> list[Any]:
    """``what`` (an entity or a column) of the records whose ``column`` in upper case is one of ``keys``."""
    found: list[Any] = []
    for start in range(0, len(keys), _QUERY_CHUNK):
        query = select(what).where(func.upper(column).in_(keys[start:start + _QUERY_CHUNK]))
        found.extend(session.scalars(query).all())
    return found


def position_error(lat: float, lon: float, network, max_snap_distance_m: float) -> str | None:
    """None when (lat, lon) snaps onto the routable road network, else the reason."""
    if not network.contains(lat, lon):
        return (f"({lat:.5f}, {lon:.5f}) is outside the area of the road network: check the coordinates "
                "(latitude and longitude swapped?)")
    try:
        network.snap("import", lat, lon, max_distance_m=max_snap_distance_m)
    except InvalidInput as exc:
        return exc.message
    return None
