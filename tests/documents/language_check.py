"""Does a page in one language show text of the other? Checked against every catalogued text."""

from __future__ import annotations

import html
import re

from dispatch.documents import i18n, plan_texts

_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def _catalogues():
    yield from i18n.MESSAGES.values()
    yield from i18n.UNASSIGNED_REASONS.values()
    yield from plan_texts._TEXTS.values()
    yield from plan_texts._WARNINGS.values()
    yield from plan_texts.FEATURES.values()


def fragments(lang: str) -> set[str]:
    """Pieces (12+ characters, between placeholders) of the texts in ``lang`` that the other language's
    texts never contain."""
    other = "en" if lang == "fr" else "fr"
    other_texts = " ".join(entry.get(other, "") for entry in _catalogues())
    out = set()
    for entry in _catalogues():
        if entry.get(lang) == entry.get(other):
            continue
        for piece in _PLACEHOLDER.split(entry.get(lang, "")):
            piece = piece.strip(" .,:;()—-")
            if len(piece) >= 12 and piece not in other_texts:
                out.add(piece)
    return out


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"[ \t\r\n]+", " ", text).replace("\u00a0", " ")


def foreign_text(page: str, lang: str, ignore=()) -> list[str]:
    """The other language's catalogued texts found in ``page`` (a page in ``lang``); ``ignore``: what
    people wrote themselves (a donor's notes), removed first."""
    text = visible_text(page)
    for written in ignore:
        text = text.replace(visible_text(html.escape(written)), " ")
    other = "en" if lang == "fr" else "fr"
    return sorted(f for f in fragments(other) if f.replace("\u00a0", " ") in text)
