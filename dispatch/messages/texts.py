"""The texts of donor messages, French (default) and English.

Each message carries only what the donor needs: the reference, the date, the slot or visit window, and
what to prepare. No name, address, phone number or note. :func:`render` gives (subject, body).
"""

from __future__ import annotations

import datetime as dt

from dispatch.documents import format_date

KINDS = ("accepted", "rescheduled", "visit_window", "on_the_way", "missed", "cancelled")

SLOTS = {"morning": {"fr": "le matin (8 h – 12 h)", "en": "in the morning (8:00–12:00)"},
         "afternoon": {"fr": "l'après-midi (13 h – 16 h)", "en": "in the afternoon (13:00–16:00)"}}

PREPARE = {
    "fr": "À préparer : vos dons emballés ou en cartons, près de l'entrée, meubles vidés et démontés si possible ; "
          "le code d'accès et l'étage. Nous ne reprenons pas les produits dangereux ni l'électroménager hors "
          "d'usage.",
    "en": "Please prepare: your donations packed or boxed, near the entrance, furniture emptied and taken apart "
          "if possible; the door code and floor. We do not take hazardous products or broken appliances.",
}

SIGNATURE = {"fr": "Emmaüs Défi – collecte Amistock", "en": "Emmaüs Défi – Amistock collection"}
TRACK = {"fr": "Suivre ou annuler votre demande : {url}/suivi (référence {ref} et 4 derniers chiffres de votre "
               "téléphone).",
         "en": "Track or cancel your request: {url}/suivi?lang=en (reference {ref} and the last 4 digits of "
               "your phone)."}

_SUBJECTS = {
    "accepted": {"fr": "Votre demande d'enlèvement {ref} est acceptée", "en": "Your pickup request {ref} is accepted"},
    "rescheduled": {"fr": "Votre enlèvement {ref} a une nouvelle date", "en": "Your pickup {ref} has a new date"},
    "visit_window": {"fr": "Notre passage demain pour {ref}", "en": "Our visit tomorrow for {ref}"},
    "on_the_way": {"fr": "Nous sommes en route ({ref})", "en": "We are on our way ({ref})"},
    "missed": {"fr": "Nous n'avons pas pu passer ({ref})", "en": "We could not collect your donation ({ref})"},
    "cancelled": {"fr": "Votre enlèvement {ref} est annulé", "en": "Your pickup {ref} is cancelled"},
}

_BODIES = {
    "accepted": {"fr": "Bonjour, votre demande {ref} est acceptée : enlèvement le {date}, {slot}. "
                       "La veille, nous vous donnerons une heure de passage plus précise.",
                 "en": "Hello, your request {ref} is accepted: pickup on {date}, {slot}. "
                       "The day before, we will tell you a more precise visit time."},
    "rescheduled": {"fr": "Bonjour, votre enlèvement {ref} est déplacé au {date}, {slot}.",
                    "en": "Hello, your pickup {ref} is moved to {date}, {slot}."},
    "visit_window": {"fr": "Bonjour, notre équipe passera le {date} entre {start} et {end} pour l'enlèvement {ref}.",
                     "en": "Hello, our crew will come on {date} between {start} and {end} for pickup {ref}."},
    "on_the_way": {"fr": "Bonjour, notre équipe est en route pour l'enlèvement {ref} : arrivée prévue vers {time}.",
                   "en": "Hello, our crew is on its way for pickup {ref}: expected around {time}."},
    "missed": {"fr": "Bonjour, nous n'avons pas pu passer pour l'enlèvement {ref}. Nouvelle date : {date}, {slot}.",
               "en": "Hello, we could not collect pickup {ref}. New date: {date}, {slot}."},
    "missed_no_date": {"fr": "Bonjour, nous n'avons pas pu passer pour l'enlèvement {ref}. Nous vous rappelons "
                             "pour fixer une nouvelle date.",
                       "en": "Hello, we could not collect pickup {ref}. We will call you to agree on a new date."},
    "cancelled": {"fr": "Bonjour, votre enlèvement {ref} prévu le {date} est annulé. Pour donner à nouveau : "
                        "{url}/donner.",
                  "en": "Hello, your pickup {ref} planned on {date} is cancelled. To give again: {url}/donner?lang=en."},
}


def format_clock(moment: dt.datetime, lang: str) -> str:
    """'9 h 30' / '9:30'."""
    return f"{moment.hour} h {moment.minute:02d}" if lang == "fr" else f"{moment.hour}:{moment.minute:02d}"


def render(kind: str, lang: str, *, ref: str, base_url: str, day: dt.date | None = None, slot: str | None = None,
           start: dt.datetime | None = None, end: dt.datetime | None = None,
           at: dt.datetime | None = None) -> tuple[str, str]:
    """(subject, body) of a message of ``kind`` in ``lang`` ("fr" or "en")."""
    lang = lang if lang in ("fr", "en") else "fr"
    url = base_url.rstrip("/") if base_url != "{base_url}" else base_url
    body_key = "missed_no_date" if kind == "missed" and day is None else kind
    values = {"ref": ref, "url": url, "date": format_date(day, lang) if day else "",
              "slot": SLOTS.get(slot or "", {}).get(lang, ""),
              "start": format_clock(start, lang) if start else "", "end": format_clock(end, lang) if end else "",
              "time": format_clock(at, lang) if at else ""}
    lines = [_BODIES[body_key][lang].format(**values)]
    if kind in ("accepted", "rescheduled", "visit_window", "missed") and day is not None:
        lines.append(PREPARE[lang])
    if kind != "cancelled":
        lines.append(TRACK[lang].format(**values))
    lines.append(SIGNATURE[lang])
    return _SUBJECTS[kind][lang].format(**values), "\n\n".join(lines)
