"""The in-memory address index behind the offline geocoder: forgiving search and nearest-address lookup.

Built once from BAN records (:class:`~dispatch.addresses.ban_csv.AddressRecord`); read-only afterwards, so one
index serves concurrent requests. Search works on streets (one per name + postcode + commune), then picks the
house number:

- every street name is indexed by its folded, abbreviation-expanded tokens (:mod:`dispatch.addresses.normalize`);
- a typed word matches a token exactly (weight 1), as the start of a token when it is the last word still being
  typed (autocomplete), or with one typo (one letter missing, extra, wrong, or two letters swapped: a
  "deletion neighbourhood" of every token is indexed, so no distance is computed at query time);
- street types ("rue", "avenue") weigh little, stop words ("de", "la") nothing; a word naming the commune
  ("paris") counts as found; a postcode that differs from the street's lowers its score;
- score = 0.8 x share of the typed words found + 0.2 x share of the street's words typed, times the house-number
  factor (exact 1, nearest existing number 0.75, suffix not found 0.9), halved when only street types were typed
  ("12 rue": every street fits, none is a confident match).

Reverse lookups use a grid of ~220 m cells.
"""

from __future__ import annotations

import bisect
import heapq
import math
from array import array
from collections import defaultdict
from collections.abc import Iterable

from dispatch.addresses.ban_csv import AddressRecord
from dispatch.addresses.matches import AddressMatch, make_label
from dispatch.addresses.normalize import (
    STOP_WORDS,
    STREET_TYPES,
    city_name,
    fold,
    parse_query,
    repetition,
    street_tokens,
)

MAX_PREFIX_TOKENS = 400
TYPE_WEIGHT = 0.3
FUZZY_WEIGHT = 0.7
CELL_LAT, CELL_LON = 0.002, 0.003  # ~222 m x ~220 m at Paris' latitude
EARTH_M = 6_371_000.0


def _deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1:] for i in range(len(token))}


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance, exact to a few cm over the few hundred metres it is used for."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return EARTH_M * math.hypot(x, math.radians(lat2 - lat1))


class AddressIndex:
    """Addresses grouped by street, with token, typo and grid indexes. ``len(index)`` is the address count."""

    def __init__(self, records: Iterable[AddressRecord]) -> None:
        self.street_names: list[str] = []
        self.street_postcodes: list[str] = []
        self.street_cities: list[str] = []
        self.street_size: list[int] = []  # significant tokens in the name
        self.street_numbers: list[dict[tuple[str, str], int]] = []
        self.street_middle: list[int] = []
        self.addr_street = array("i")
        self.addr_number: list[str] = []
        self.addr_rep: list[str] = []
        self.lat = array("d")
        self.lon = array("d")
        self.postcodes: set[str] = set()
        street_of: dict[tuple[str, str, str], int] = {}
        token_streets: dict[str, set[int]] = defaultdict(set)
        city_streets: dict[str, set[int]] = defaultdict(set)
        for r in records:
            key = (r.nom_voie, r.code_postal, r.nom_commune)
            sid = street_of.get(key)
            if sid is None:
                sid = street_of[key] = self._add_street(r, token_streets, city_streets)
            number_key = (r.numero, repetition(r.rep))
            if number_key in self.street_numbers[sid]:
                continue  # the same address twice (an older import merged in): keep the first
            self.street_numbers[sid][number_key] = len(self.addr_number)
            self.addr_street.append(sid)
            self.addr_number.append(r.numero)
            self.addr_rep.append(number_key[1])
            self.lat.append(r.lat)
            self.lon.append(r.lon)
        self.token_streets = {t: tuple(sorted(s)) for t, s in token_streets.items()}
        self.city_streets = {t: frozenset(s) for t, s in city_streets.items()}
        self.vocabulary = sorted(self.token_streets)
        self.typos: dict[str, list[str]] = defaultdict(list)
        for token in self.vocabulary:
            if len(token) >= 4:
                for variant in _deletions(token):
                    self.typos[variant].append(token)
        self.grid: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i in range(len(self.addr_number)):
            self.grid[self._cell(self.lat[i], self.lon[i])].append(i)
        self.street_middle = [self._middle(numbers) for numbers in self.street_numbers]

    def __len__(self) -> int:
        return len(self.addr_number)

    @property
    def street_count(self) -> int:
        return len(self.street_names)

    def _add_street(self, r: AddressRecord, token_streets: dict, city_streets: dict) -> int:
        sid = len(self.street_names)
        city = city_name(r.nom_commune) or r.nom_commune
        self.street_names.append(r.nom_voie)
        self.street_postcodes.append(r.code_postal)
        self.street_cities.append(city)
        self.street_numbers.append({})
        self.postcodes.add(r.code_postal)
        tokens = street_tokens(r.nom_voie)
        for t in tokens:
            token_streets[t].add(sid)
        self.street_size.append(max(1, len({t for t in tokens if t not in STOP_WORDS and t not in STREET_TYPES})))
        for t in fold(city).split():
            city_streets[t].add(sid)
        return sid

    def _middle(self, numbers: dict[tuple[str, str], int]) -> int:
        ordered = sorted(numbers.values(), key=lambda i: int(self.addr_number[i]))
        return ordered[len(ordered) // 2]

    @staticmethod
    def _cell(lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / CELL_LAT), math.floor(lon / CELL_LON)

    # ------------------------------------------------------------------ search

    def _candidates(self, word: str, prefix: bool) -> dict[str, float]:
        """Vocabulary tokens a typed word may stand for, with the weight of each kind of match."""
        found: dict[str, float] = {}
        if prefix:
            start = bisect.bisect_left(self.vocabulary, word)
            for token in self.vocabulary[start:start + MAX_PREFIX_TOKENS]:
                if not token.startswith(word):
                    break
                found[token] = 0.8 + 0.2 * len(word) / len(token)
        if len(word) >= 4:
            variants = _deletions(word)
            near = {t for v in variants | {word} for t in self.typos.get(v, ())}
            near |= {v for v in variants if v in self.token_streets}
            for token in near:
                found.setdefault(token, FUZZY_WEIGHT)
        if word in self.token_streets:
            found[word] = 1.0
        return found

    def _city_streets(self, word: str) -> frozenset[int]:
        hit = self.city_streets.get(word)
        if hit is None and len(word) >= 4:
            hit = next((s for c, s in self.city_streets.items() if len(c) >= 4 and (
                c.startswith(word) or word in _deletions(c) or c in _deletions(word)
                or _deletions(word) & _deletions(c))), None)
        return hit or frozenset()

    def _score_streets(self, words: tuple[str, ...], last_is_prefix: bool) -> dict[int, float]:
        meaningful = [(i, w) for i, w in enumerate(words) if w not in STOP_WORDS] or list(enumerate(words))
        last = len(words) - 1
        weights = {i: (TYPE_WEIGHT if w in STREET_TYPES else 1.0) for i, w in meaningful}
        per_word: list[tuple[float, dict[int, float], frozenset[int]]] = []
        for i, w in meaningful:
            best: dict[int, float] = {}
            for token, weight in self._candidates(w, last_is_prefix and i == last).items():
                for sid in self.token_streets[token]:
                    if best.get(sid, 0.0) < weight:
                        best[sid] = weight
            per_word.append((weights[i], best, self._city_streets(w)))
        # Streets are found by their telling words; street types and the commune's name only add to them.
        strong = [best for weight, best, _ in per_word if weight == 1.0]
        vague = not strong  # only street types ("rue", "12 av"): any street fits, none is a confident match
        strong = strong or [best for _, best, _ in per_word]
        found: set[int] = set().union(*strong) if strong else set()
        total_weight = sum(weights.values())
        n_strong = max(1, sum(1 for weight, _, _ in per_word if weight == 1.0))
        scores: dict[int, float] = {}
        for sid in found:
            got, telling = 0.0, 0
            for weight, best, cities in per_word:
                value = max(best.get(sid, 0.0), 0.9 if sid in cities else 0.0)
                got += weight * value
                telling += weight == 1.0 and sid in best
            share_typed = telling / min(n_strong, self.street_size[sid])
            scores[sid] = (0.8 * got / total_weight + 0.2 * min(1.0, share_typed)) * (0.5 if vague else 1.0)
        return scores

    def search(self, query: str, *, limit: int = 5, lat: float | None = None,
               lon: float | None = None) -> list[AddressMatch]:
        """Best matches for a typed address (see the module's docstring), best first; a nearby ``lat``/``lon``
        breaks ties between equally good streets (the same street name in two arrondissements)."""
        q = parse_query(query[:300])
        if not q.words:
            return []
        scores = self._score_streets(q.words, q.last_is_prefix)
        if q.postcode:
            scores = {sid: s * (1.0 if self.street_postcodes[sid] == q.postcode else 0.6) for sid, s in scores.items()}
        if lat is not None and lon is not None:
            scores = {sid: s * (1.0 - 0.05 * min(1.0, self._street_distance(sid, lat, lon) / 5000.0))
                      for sid, s in scores.items()}
        best = heapq.nlargest(max(limit * 3, 10), scores.items(), key=lambda kv: (kv[1], -kv[0]))
        out: dict[str, AddressMatch] = {}
        for sid, score in best:
            if score < 0.3:
                break
            match = self._address_match(sid, score, q.number, q.rep)
            out.setdefault(match.label, match)
        return sorted(out.values(), key=lambda m: -m.score)[:limit]

    def _street_distance(self, sid: int, lat: float, lon: float) -> float:
        i = self.street_middle[sid]
        return distance_m(lat, lon, self.lat[i], self.lon[i])

    def _address_match(self, sid: int, score: float, number: str | None, rep: str) -> AddressMatch:
        numbers = self.street_numbers[sid]
        if number is None:
            return self._match(self.street_middle[sid], score, with_number=False)
        i = numbers.get((number, rep))
        if i is None and rep:
            i, score = numbers.get((number, "")), score * 0.9
        if i is None:
            wanted = int(number)
            i = min(numbers.values(), key=lambda j: (abs(int(self.addr_number[j]) - wanted), self.addr_rep[j]))
            score *= 0.75
        return self._match(i, score)

    def _match(self, i: int, score: float, *, with_number: bool = True) -> AddressMatch:
        sid = self.addr_street[i]
        number = (self.addr_number[i] + (" " + self.addr_rep[i] if self.addr_rep[i] else "")) if with_number else None
        street, postcode, city = self.street_names[sid], self.street_postcodes[sid], self.street_cities[sid]
        return AddressMatch(label=make_label(number, street, postcode, city), score=round(min(score, 1.0), 3),
                            housenumber=number, street=street, postcode=postcode, city=city,
                            lat=self.lat[i], lon=self.lon[i])

    # ------------------------------------------------------------------ reverse

    def reverse(self, lat: float, lon: float, *, limit: int = 1, radius_m: float = 200.0) -> list[AddressMatch]:
        """Addresses within ``radius_m`` of the position, nearest first; score = 1 - distance / radius."""
        ci, cj = self._cell(lat, lon)
        near: list[tuple[float, int]] = []
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for i in self.grid.get((ci + di, cj + dj), ()):
                    d = distance_m(lat, lon, self.lat[i], self.lon[i])
                    if d <= radius_m:
                        near.append((d, i))
        return [self._match(i, 1.0 - d / radius_m) for d, i in heapq.nsmallest(limit, near)]
