"""Collection days: Monday to Saturday, except French public holidays; and what day and time it is now where
the association works (``local_today``, ``local_now``: ``Settings.timezone``, not the machine's zone)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@lru_cache(maxsize=64)
def french_public_holidays(year: int) -> dict[dt.date, str]:
    easter = easter_sunday(year)
    return {
        dt.date(year, 1, 1): "Jour de l'an",
        easter + dt.timedelta(days=1): "Lundi de Pâques",
        dt.date(year, 5, 1): "Fête du travail",
        dt.date(year, 5, 8): "Victoire 1945",
        easter + dt.timedelta(days=39): "Ascension",
        easter + dt.timedelta(days=50): "Lundi de Pentecôte",
        dt.date(year, 7, 14): "Fête nationale",
        dt.date(year, 8, 15): "Assomption",
        dt.date(year, 11, 1): "Toussaint",
        dt.date(year, 11, 11): "Armistice 1918",
        dt.date(year, 12, 25): "Noël",
    }


def why_not_collection_day(day: dt.date) -> str | None:
    """None when ``day`` is a collection day, else the reason in plain English."""
    if day.weekday() == 6:
        return f"{day.isoformat()} is a Sunday: no collection on Sundays"
    holiday = french_public_holidays(day.year).get(day)
    if holiday:
        return f"{day.isoformat()} is a French public holiday ({holiday}): no collection"
    return None


def is_collection_day(day: dt.date) -> bool:
    return why_not_collection_day(day) is None


def next_collection_day(after: dt.date) -> dt.date:
    day = after + dt.timedelta(days=1)
    while not is_collection_day(day):
        day += dt.timedelta(days=1)
    return day


def local_now(timezone: str) -> dt.datetime:
    """The time now in ``timezone`` (``Settings.timezone``, e.g. Europe/Paris), aware."""
    return dt.datetime.now(ZoneInfo(timezone))


def local_today(timezone: str) -> dt.date:
    """Today's date in ``timezone``: after 23:00 UTC in a Paris winter it is already tomorrow there."""
    return local_now(timezone).date()
