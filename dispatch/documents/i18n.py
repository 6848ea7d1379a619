"""French (default) and English texts of the human-facing pages and manifests.

Drivers, relay points, donors and manifests read French; English is given on request
(``?lang=en`` or ``Accept-Language``). Messages are keyed by stable codes: ``text(key, lang, **params)``
looks them up in ``MESSAGES``, the one catalogue, whose tables are the areas of
:mod:`dispatch.documents.texts`; dates, times, numbers and volumes are written the way each language writes
them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dispatch.documents.texts import AREAS

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"


def slot_hours(slot: str, lang: str) -> str:
    """A slot's hours as people write them: "8 h – 12 h" in French, "8:00–12:00" in English."""
    from dispatch.models import SLOT_WINDOWS_S, Slot

    start, end = SLOT_WINDOWS_S[Slot(slot)]
    if lang == "fr":
        return f"{_fr_hour(start)} – {_fr_hour(end)}"
    return f"{start // 3600}:{start % 3600 // 60:02d}–{end // 3600}:{end % 3600 // 60:02d}"


def _fr_hour(seconds: int) -> str:
    h, m = seconds // 3600, seconds % 3600 // 60
    return f"{h} h {m:02d}" if m else f"{h} h"


def negotiate(lang: str | None = None, accept_language: str | None = None) -> str:
    """``lang`` if supported, else the best of Accept-Language among fr/en, else French."""
    if lang:
        code = lang.strip().lower()[:2]
        if code in LANGS:
            return code
    if accept_language:
        best: tuple[float, int, str] | None = None
        for i, part in enumerate(accept_language.split(",")):
            bits = part.strip().split(";")
            code = bits[0].strip().lower()[:2]
            q = 1.0
            for b in bits[1:]:
                b = b.strip()
                if b.startswith("q="):
                    try:
                        q = float(b[2:])
                    except ValueError:  # handled: a malformed Accept-Language weight counts as 0
                        q = 0.0
            if code in LANGS and q > 0 and (best is None or (q, -i) > (best[0], best[1])):
                best = (q, -i, code)
        if best:
            return best[2]
    return DEFAULT_LANG


# The one catalogue of texts, by key: its tables are the areas of dispatch/documents/texts/.
MESSAGES: dict[str, dict[str, str]] = {key: entry for area in AREAS for key, entry in area.TEXTS.items()}

UNASSIGNED_REASONS = {
    "capacity": {"fr": "capacité des camions", "en": "van capacity"},
    "time_window": {"fr": "horaires incompatibles", "en": "time window"},
    "shift": {"fr": "fin de journée des équipes", "en": "crew shift"},
    "skill": {"fr": "équipement requis", "en": "required equipment"},
    "unreachable": {"fr": "inaccessible par la route", "en": "unreachable by road"},
    "cost": {"fr": "reporté (détour trop coûteux)", "en": "postponed (detour too costly)"},
    "closed": {"fr": "fermé ce jour-là", "en": "closed that day"},
    "site_too_far": {"fr": "trop loin d'une rue", "en": "too far from a street"},
}

MISSED_REASONS = ("absent", "access", "refused", "full", "other")

WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}


def text(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    value = entry.get(lang) or entry[DEFAULT_LANG]
    if key.startswith("slot_") and "hours" not in params:  # the hours come from the one table of slots
        params = {**params, "hours": slot_hours(key.removeprefix("slot_"), lang)}
    value = value.format(**params) if params else value
    return french_spaces(value) if lang == "fr" else value


def french_spaces(value: str) -> str:
    """French typography: a non-breaking space before ':', ';', '?' and '!' (an ordinary space becomes one)."""
    for mark in (":", ";", "?", "!"):
        value = value.replace(f" {mark}", f"\u00a0{mark}")
    return value


class Translator:
    """``_ = Translator("fr"); _("van")`` in templates."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG

    def __call__(self, key: str, **params: Any) -> str:
        return text(key, self.lang, **params)


def format_date(day: dt.date | str, lang: str = DEFAULT_LANG) -> str:
    """'mardi 1er décembre 2026' / 'Tuesday 1 December 2026' (of a date or an ISO date string)."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    number = "1er" if lang == "fr" and day.day == 1 else str(day.day)
    return f"{WEEKDAYS[lang][day.weekday()]} {number} {_MONTHS[lang][day.month - 1]} {day.year}"


def format_time(moment: dt.datetime | None, lang: str = DEFAULT_LANG) -> str:
    if moment is None:
        return ""
    return f"{moment:%H}h{moment:%M}" if lang == "fr" else f"{moment:%H:%M}"


def format_number(value: float | None, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    """12.5 -> '12,5' in French, '12.5' in English."""
    if value is None:
        return ""
    out = f"{value:.{digits}f}"
    return out.replace(".", ",") if lang == "fr" else out


def format_m3(value: float | None, lang: str = DEFAULT_LANG) -> str:
    if value is None:
        return ""
    out = f"{value:.1f}"
    return (out.replace(".", ",") if lang == "fr" else out) + " m³"


def unassigned_reason(code: str, lang: str = DEFAULT_LANG) -> str:
    return UNASSIGNED_REASONS.get(code, {}).get(lang, code)


def stop_kind(kind: str, lang: str = DEFAULT_LANG) -> str:
    return text(f"kind_{kind}", lang)
