"""One validation for every door: the field rules that the JSON API, the page forms and the CSV imports share.

- **Identifiers.** A relay-point code: 1-40 ASCII letters, digits, ``-`` or ``_`` (``AMI-75019-03``).
  A pickup reference: ``PU-`` and 8 hexadecimal digits, or (imported) the same character set as a code.
- **Phone numbers.** 6-40 characters among digits, spaces and ``+ ( ) . -``, with at least 6 digits.
- **Floors.** -5 (basements) to 60.
- **Text.** Names, addresses, notes...: no control characters (NUL, escape...; line breaks and tabs only in
  notes) and no invisible direction or formatting characters (U+202A-U+202E, U+2066-U+2069, U+200B-U+200F,
  U+2028/U+2029, U+FEFF): they are refused at entry with the field named. Text stored before these rules
  is passed through :func:`neutralise` before it reaches a PDF, an HTML page or a header.

Domain errors are :class:`dispatch.errors.InvalidInput` naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from dispatch.errors import InvalidInput

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
REF_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
PHONE_RE = re.compile(r"^[0-9+ ().-]{6,40}$")
FLOOR_MIN, FLOOR_MAX = -5, 60
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
                       "\u2060\u2066\u2067\u2068\u2069\ufeff")
_MULTILINE_OK = frozenset("\n\r\t")


def bad_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character a text field may not hold, as ``U+XXXX``; None when the text is clean."""
    for char in text:
        if char in _INVISIBLE or (unicodedata.category(char) in ("Cc", "Cs") and
                                  not (multiline and char in _MULTILINE_OK)):
            return f"U+{ord(char):04X}"
    return None


def check_text(field: str, value: Any, *, multiline: bool = False) -> None:
    if isinstance(value, str):
        bad = bad_character(value, multiline=multiline)
        if bad is not None:
            raise InvalidInput(f"{field} holds an invisible or control character ({bad}): remove it", field=field)


def neutralise(text: Any) -> Any:
    """``text`` without control and invisible direction characters (for data stored before the checks)."""
    if not isinstance(text, str):
        return text
    return "".join(" " if c in "\t\r\n" else "" if c in _INVISIBLE or unicodedata.category(c) in ("Cc", "Cs")
                   else c for c in text)


def for_display(text: str) -> str:
    """``text`` without control and invisible characters, keeping line breaks and tabs (pages, PDFs)."""
    if not any(c in _INVISIBLE or (unicodedata.category(c) in ("Cc", "Cs") and c not in _MULTILINE_OK)
               for c in text):
        return text
    return "".join(c for c in text if not (c in _INVISIBLE or (unicodedata.category(c) in ("Cc", "Cs")
                                                                and c not in _MULTILINE_OK)))


def safe_filename(text: str, default: str = "file") -> str:
    """A file name for a ``Content-Disposition`` header: ASCII letters, digits, ``.``, ``-`` and ``_`` only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text or "").strip("._")[:100]
    return cleaned or default


def phone_problem(phone: str | None) -> str | None:
    if phone is None:
        return None
    if not PHONE_RE.match(phone) or sum(c.isdigit() for c in phone) < 6:
        return f"{phone!r} is not a phone number: 6-40 digits, spaces, + ( ) . -, with at least 6 digits"
    return None


def check_phone(field: str, phone: str | None) -> None:
    problem = phone_problem(phone)
    if problem:
        raise InvalidInput(problem, field=field)


def check_floor(floor: int | None) -> None:
    if floor is not None and not FLOOR_MIN <= floor <= FLOOR_MAX:
        raise InvalidInput(f"floor {floor} is out of range: give {FLOOR_MIN} to {FLOOR_MAX} (0 = ground floor)",
                           field="floor")


def check_code(code: str, field: str = "code") -> None:
    if not CODE_RE.match(code or ""):
        raise InvalidInput(f"{code!r} is not a valid code: use 1-40 letters, digits, '-' or '_' (e.g. AMI-75019-03)",
                           field=field)


PICKUP_TEXT = ("donor_name", "address", "postcode", "access_code")


def check_pickup_text(request: Any) -> None:
    """The rules every door applies to a pickup request (a ``PickupInput``), before the collection rules."""
    check_phone("phone", request.phone)
    check_floor(request.floor)
    for name in PICKUP_TEXT:
        check_text(name, getattr(request, name))
    check_text("notes", request.notes, multiline=True)
    for category in request.categories or ():
        check_text("categories", category)


RELAY_TEXT = ("name", "address", "postcode", "contact_name", "pause_reason")


def check_relay_fields(values: dict[str, Any]) -> None:
    """The rules every door applies to a relay point's fields (those present in ``values``)."""
    if "code" in values:
        check_code(str(values["code"] or "").strip())
    if values.get("contact_phone"):
        check_phone("contact_phone", values["contact_phone"])
    for name in RELAY_TEXT:
        check_text(name, values.get(name))
    check_text("access_notes", values.get("access_notes"), multiline=True)


def pickup_field_problems(values: dict[str, Any]) -> list[str]:
    """The fields of a pickup form (``PickupInput`` names) that break the rules above, for a form to name."""
    bad = []
    if values.get("phone") and phone_problem(values["phone"]):
        bad.append("phone")
    floor = values.get("floor")
    if floor is not None and not FLOOR_MIN <= floor <= FLOOR_MAX:
        bad.append("floor")
    for name in (*PICKUP_TEXT, "notes"):
        if isinstance(values.get(name), str) and bad_character(values[name], multiline=name == "notes"):
            bad.append(name)
    if any(isinstance(c, str) and bad_character(c) for c in values.get("categories") or ()):
        bad.append("categories")
    return bad
