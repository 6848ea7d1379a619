"""Field checks the fleet's services share: a time HH:MM, a list of weekdays, opening hours, and a
calendar entry's dates and reason. Each raises :class:`dispatch.errors.InvalidInput` naming the field at fault.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dispatch.errors import InvalidInput
from dispatch.relay_points import parse_hhmm


_HHMM = re.compile(r"^([01]\d|2[0-4]):[0-5]\d$")


def checked_hhmm(value: Any, field: str) -> int:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise InvalidInput(f"{field} must be a time HH:MM (e.g. 09:30), got {value!r}", field=field)
    try:
        return parse_hhmm(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a time between 00:00 and 24:00, got {value!r}", field=field) from None


def checked_weekdays(values: Any, field: str) -> list[int]:
    if not isinstance(values, list | tuple) or any(not isinstance(d, int) or isinstance(d, bool) for d in values):
        raise InvalidInput(f"{field} must be a list of weekdays 0..6 (Monday = 0)", field=field)
    bad = [d for d in values if not 0 <= d <= 6]
    if bad:
        raise InvalidInput(f"{field}: weekdays are 0..6 (Monday = 0), got {bad}", field=field)
    return sorted(set(values))


def validate_opening_hours(entries: Any) -> list[dict]:
    """[{"days": [0..6], "open": "HH:MM", "close": "HH:MM"}, ...] -> the cleaned list, or InvalidInput
    naming the entry at fault (``opening_hours[1].close``)."""
    if not isinstance(entries, list | tuple):
        raise InvalidInput("opening_hours must be a list of {days, open, close}", field="opening_hours")
    out = []
    for i, entry in enumerate(entries):
        where = f"opening_hours[{i}]"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{where} must be an object {{days, open, close}}", field=where)
        days = checked_weekdays(entry.get("days"), f"{where}.days")
        if not days:
            raise InvalidInput(f"{where}.days must name at least one weekday (Monday = 0)", field=f"{where}.days")
        opens, closes = checked_hhmm(entry.get("open"), f"{where}.open"), checked_hhmm(entry.get("close"), f"{where}.close")
        if closes <= opens:
            raise InvalidInput(
                f"{where}: closing time {entry['close']} must be after opening time {entry['open']}",
                field=f"{where}.close",
            )
        out.append({"days": days, "open": entry["open"], "close": entry["close"]})
    return out


def check_date_span(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise InvalidInput(f"end_date {end.isoformat()} is before start_date {start.isoformat()}", field="end_date")


def checked_reason(reason: Any, field: str = "reason") -> str:
    text = (reason or "").strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput(f"give a {field} (e.g. 'congés du gérant', 'entretien')", field=field)
    return text[:300]
