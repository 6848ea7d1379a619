"""The text catalogue (dispatch/documents/i18n.py) is one table joined from its areas (dispatch/documents/texts/)."""

from collections import Counter

from dispatch.documents import i18n
from dispatch.documents.texts import AREAS


def test_each_key_is_in_one_area_and_in_the_catalogue() -> None:
    counts = Counter(key for area in AREAS for key in area.TEXTS)
    assert [key for key, n in counts.items() if n > 1] == []
    assert set(i18n.MESSAGES) == set(counts)


def test_every_text_has_french_and_english() -> None:
    assert [key for key, entry in i18n.MESSAGES.items() if set(entry) != {"fr", "en"}] == []
