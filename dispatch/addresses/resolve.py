"""Choosing the geocoder from the settings, and turning an address typed alone into a position we can serve.

:func:`resolve_address` accepts an address only when it is found (score at least ``geocoder_min_score``, with its
house number), matches the postcode given, lies in the served zone (the road network's area) and near enough
to a street for a van (``address_max_road_distance_m``). Otherwise it raises
an :class:`~dispatch.addresses.refusals.AddressRefused` (422, field ``address``) saying why and what to type instead; it stores
nothing, so the caller stores nothing half-way.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from dispatch.addresses.http_ban import BanHttpGeocoder
from dispatch.addresses.matches import AddressMatch, Geocoder
from dispatch.addresses.normalize import parse_query, repetition
from dispatch.addresses.offline import OfflineGeocoder
from dispatch.addresses.refusals import AddressRefused
from dispatch.errors import DispatchError, InvalidInput, Unavailable
from dispatch.settings import Settings

log = logging.getLogger(__name__)
MAX_ADDRESS_CHARS = 200


@lru_cache(maxsize=8)
def _geocoder(kind: str, path: str, url: str | None, timeout_s: float, retries: int) -> Geocoder:
    if kind == "http":
        if not url:
            raise Unavailable("DISPATCH_GEOCODER=http needs DISPATCH_GEOCODER_URL (the BAN API server's address)")
        return BanHttpGeocoder(url, timeout_s=timeout_s, retries=retries)
    return OfflineGeocoder(Path(path))


def get_geocoder(settings: Settings) -> Geocoder:
    """The geocoder the settings name (one per distinct configuration; cheap to call per request)."""
    return _geocoder(settings.geocoder, str(settings.address_index_file()), settings.geocoder_url,
                     settings.geocoder_timeout_s, settings.geocoder_retries)


def check_query(text: str) -> str:
    """The address text, stripped; refused when empty or too long to be an address."""
    text = " ".join((text or "").split())
    if not text:
        raise AddressRefused("empty")
    if len(text) > MAX_ADDRESS_CHARS:
        raise AddressRefused("too_long", length=len(text), max=MAX_ADDRESS_CHARS)
    return text


def warm_up(settings: Settings) -> None:
    """Load the offline address index now (the API's start, in a thread) rather than at the first search."""
    geocoder = get_geocoder(settings)
    try:
        if isinstance(geocoder, OfflineGeocoder):
            geocoder.index()
    except DispatchError as exc:
        log.warning("address index not loaded at start: %s", exc.message)


def _number_of(match: AddressMatch) -> tuple[str, str]:
    """("12", "bis") from "12 bis", "12bis" or "12 B"."""
    found = re.match(r"^\s*0*(\d+)\s*(.*)$", match.housenumber or "")
    return (found.group(1), repetition(found.group(2))) if found else ("", "")


def find_address(text: str, *, geocoder: Geocoder, settings: Settings, postcode: str | None = None) -> AddressMatch:
    """The one address ``text`` (plus an optional separate ``postcode``) stands for, or a clear refusal."""
    text = check_query(text)
    query = parse_query(text)
    postcode = (postcode or "").strip() or query.postcode
    if not query.words:
        raise AddressRefused("only_postcode" if query.postcode else "only_numbers", text=text)
    covers = getattr(geocoder, "covers_postcode", None)
    if postcode and covers is not None and not covers(postcode):
        raise AddressRefused("postcode_not_served", postcode=postcode)
    full = text if not postcode or postcode in text else f"{text} {postcode}"
    found = geocoder.search(full, limit=3)
    if not found or found[0].score < settings.geocoder_min_score:
        closest = f" The closest match is '{found[0].label}'." if found else ""
        raise AddressRefused("not_found", text=text, closest=closest)
    best = found[0]
    if best.housenumber is None or query.number is None:
        raise AddressRefused("no_number", text=text, label=best.label)
    if _number_of(best) != (query.number, query.rep):
        raise AddressRefused("number_unknown", number=f"{query.number} {query.rep}".strip(), street=best.street,
                             postcode=best.postcode, label=best.label)
    twins = [m.label for m in found if m.score >= best.score - 0.01 and _number_of(m) == _number_of(best)]
    if len(twins) > 1 and not postcode:
        raise AddressRefused("ambiguous", text=text, labels=", ".join(twins))
    if postcode and best.postcode != postcode:
        raise AddressRefused("postcode_mismatch", text=text, label=best.label, found=best.postcode,
                             postcode=postcode)
    return best


def check_served(match: AddressMatch, *, network, settings: Settings) -> None:
    """Refuse an address outside the road network's area, or too far from any street for a van."""
    if not network.contains(match.lat, match.lon):
        raise AddressRefused("outside_zone", label=match.label)
    try:
        network.snap("address", match.lat, match.lon, max_distance_m=settings.address_max_road_distance_m)
    except InvalidInput:
        raise AddressRefused("off_road", label=match.label, max_m=f"{settings.address_max_road_distance_m:g}") from None


def resolve_address(text: str, *, settings: Settings, network, postcode: str | None = None,
                    geocoder: Geocoder | None = None) -> AddressMatch:
    """Find the address and check it is served; the match gives the position, normalised label and postcode."""
    match = find_address(text, geocoder=geocoder or get_geocoder(settings), settings=settings, postcode=postcode)
    check_served(match, network=network, settings=settings)
    return match
