"""Forgiving French address text: folding, abbreviations, and a query split into number, street and place.

Contract: :func:`fold` lowercases, strips accents and turns every non-alphanumeric character (hyphen,
apostrophe, comma) into a space; :func:`street_tokens` also expands the usual abbreviations (``bd`` ->
``boulevard``, ``r`` -> ``rue``, ``st`` -> ``saint`` ...). Index and queries go through the same functions,
so "12 r du fg st-martin" and "12 Rue du Faubourg Saint-Martin" meet on the same tokens. Pure functions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Street types and common words as written in French addresses (La Poste / BAN abbreviations).
ABBREVIATIONS = {
    "r": "rue", "bd": "boulevard", "bld": "boulevard", "boul": "boulevard", "blvd": "boulevard",
    "av": "avenue", "ave": "avenue", "pl": "place", "fg": "faubourg", "fbg": "faubourg", "faub": "faubourg",
    "st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes", "imp": "impasse", "pas": "passage",
    "pass": "passage", "psg": "passage", "sq": "square", "qu": "quai", "qua": "quai", "crs": "cours",
    "ch": "chemin", "che": "chemin", "rte": "route", "all": "allee", "al": "allee", "vla": "villa",
    "cite": "cite", "pte": "porte", "prom": "promenade", "rpt": "rond point", "pt": "pont", "gde": "grande",
    "gd": "grand", "pdt": "president", "mal": "marechal", "gal": "general", "gen": "general", "cdt": "commandant",
    "lt": "lieutenant", "pr": "professeur", "dr": "docteur", "nd": "notre dame", "hab": "habitation",
}
# House-number suffixes ("12 bis", "12b", "12 ter") -> the BAN spelling.
REPETITIONS = {"bis": "bis", "b": "bis", "ter": "ter", "t": "ter", "quater": "quater", "q": "quater",
               "quinquies": "quinquies"}
# Words that carry no meaning for matching ("rue DE la", "quai D'Austerlitz").
STOP_WORDS = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en", "sur"})
# Street types: a match on them alone means little (weighted down when ranking).
STREET_TYPES = frozenset({"rue", "boulevard", "avenue", "place", "faubourg", "impasse", "passage", "square", "quai",
                          "cours", "chemin", "route", "allee", "villa", "cite", "porte", "promenade", "pont", "port",
                          "sentier", "voie", "hameau", "cour", "galerie", "jardin", "parvis", "esplanade", "rond",
                          "point"})
POSTCODE = re.compile(r"^\d{5}$")
HOUSE_NUMBER = re.compile(r"^(\d{1,4})([a-z]?)$")
ARRONDISSEMENT = re.compile(r"^\d{1,2}(e|er|eme|ieme)$")
ARRONDISSEMENT_SUFFIX = re.compile(r"\s+\d{1,2}(?:er|e|eme)\s+arrondissement$", re.IGNORECASE)


def fold(text: str) -> str:
    """Lowercase, accents removed, anything but letters and digits becomes one space; "œ" -> "oe"."""
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def expand(tokens: list[str]) -> list[str]:
    """Abbreviations expanded ("bd" -> "boulevard"); a multi-word expansion adds several tokens."""
    out: list[str] = []
    for t in tokens:
        out.extend(ABBREVIATIONS.get(t, t).split())
    return out


def street_tokens(name: str) -> list[str]:
    """The tokens a street name is indexed and matched by (folded, abbreviations expanded)."""
    return expand(fold(name).split())


def city_name(nom_commune: str) -> str:
    """"Paris 20e Arrondissement" -> "Paris" (the BAN API's ``city``); other names unchanged."""
    return ARRONDISSEMENT_SUFFIX.sub("", nom_commune.strip())


def repetition(rep: str) -> str:
    """A BAN ``rep`` ("bis", "b", "ter", "A") in its canonical lowercase spelling ("" when none)."""
    key = fold(rep or "").replace(" ", "")
    return REPETITIONS.get(key, key)


@dataclass(frozen=True)
class ParsedQuery:
    """What a typed address holds: a house number (and suffix), a postcode, and the other words."""

    number: str | None
    rep: str
    postcode: str | None
    words: tuple[str, ...]
    last_is_prefix: bool  # the last word may be unfinished (the user is still typing)


def parse_query(text: str) -> ParsedQuery:
    """Split a typed address. The first number of 1-4 digits is the house number ("12", "12b", "12 bis");
    a 5-digit number is the postcode; "20e" (an arrondissement) is ignored; the rest are words to match."""
    raw = fold(text)
    tokens = raw.split()
    number, rep, postcode, words = None, "", None, []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        m = HOUSE_NUMBER.match(t)
        if POSTCODE.match(t):
            postcode = postcode or t
        elif m and number is None and not words:
            number, rep = str(int(m.group(1))), REPETITIONS.get(m.group(2), m.group(2))
            if i + 1 < len(tokens) and tokens[i + 1] in ("bis", "ter", "quater", "quinquies"):
                rep, i = tokens[i + 1], i + 1
        elif ARRONDISSEMENT.match(t) or t.isdigit():
            pass
        else:
            words.append(t)
        i += 1
    expanded = expand(words)
    ends_open = bool(text) and not text[-1:].isspace() and bool(words) and tokens[-1] == words[-1]
    return ParsedQuery(number, rep, postcode, tuple(expanded), ends_open and expanded[-1:] == words[-1:])
