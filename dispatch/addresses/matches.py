"""What every geocoder answers (:class:`AddressMatch`) and the interface they share (:class:`Geocoder`).

A match is one address (``housenumber`` set) or one street (``housenumber`` None, positioned at its middle
address), with a ``score`` in [0, 1] (1: every word typed was found), the normalised ``label``
("12 Rue de Belleville 75020 Paris"), its parts and its WGS84 position.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AddressMatch:
    label: str
    score: float
    housenumber: str | None
    street: str
    postcode: str
    city: str
    lat: float
    lon: float

    def to_dict(self) -> dict:
        return asdict(self)


def make_label(housenumber: str | None, street: str, postcode: str, city: str) -> str:
    """"12 bis Rue de Belleville 75020 Paris" (the BAN API's label), without the parts that are empty."""
    return " ".join(p for p in (housenumber or "", street, postcode, city) if p)


class Geocoder(Protocol):
    """Address search. Implementations: the offline index (dispatch/addresses/offline.py) and the BAN HTTP API
    (dispatch/addresses/http_ban.py). Both raise :class:`dispatch.errors.Unavailable` when they cannot answer
    (no index, server unreachable), never return a half answer."""

    def search(self, query: str, *, limit: int = 5, lat: float | None = None,
               lon: float | None = None) -> list[AddressMatch]:
        """The best matches for a typed address, best first; ``lat``/``lon`` favour nearby results."""
        ...

    def reverse(self, lat: float, lon: float, *, limit: int = 1) -> list[AddressMatch]:
        """The addresses nearest to a position (within about 200 m), nearest first."""
        ...
