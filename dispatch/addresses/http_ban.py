"""The HTTP geocoder: a client of a server speaking the BAN API (``/search/``, ``/reverse/``, GeoJSON).

``GET {base}/search/?q=...&limit=N[&lat=..&lon=..]`` and ``GET {base}/reverse/?lat=..&lon=..&limit=N`` answer a
GeoJSON FeatureCollection whose features have ``geometry.coordinates`` [lon, lat] and ``properties`` ``label``,
``score``, ``housenumber``, ``street`` (or ``name``), ``postcode``, ``city``. Timeouts, connection failures and
5xx answers are retried (``retries`` times, short pauses); then, like a malformed answer, they raise
:class:`~dispatch.errors.Unavailable` with what went wrong and which setting to check. A 4xx answer is the
query's fault: :class:`~dispatch.errors.InvalidInput`. Uses only the standard library (urllib).
"""

from __future__ import annotations

import json
import logging
import math
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from dispatch.addresses.matches import AddressMatch, make_label
from dispatch.errors import InvalidInput, Unavailable

log = logging.getLogger(__name__)
SETTINGS_HINT = "check DISPATCH_GEOCODER_URL, or set DISPATCH_GEOCODER=offline to use the local address index"


class BanHttpGeocoder:
    """BAN API client. ``base_url`` e.g. ``http://127.0.0.1:7878/`` (the paths ``search/``, ``reverse/`` are
    appended); ``timeout_s`` per attempt; ``retries`` more attempts after a timeout, refusal or 5xx."""

    def __init__(self, base_url: str, *, timeout_s: float = 3.0, retries: int = 2, backoff_s: float = 0.2) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout_s, self.retries, self.backoff_s = timeout_s, retries, backoff_s

    def search(self, query: str, *, limit: int = 5, lat: float | None = None,
               lon: float | None = None) -> list[AddressMatch]:
        params: dict[str, Any] = {"q": query, "limit": limit}
        if lat is not None and lon is not None:
            params |= {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}"}
        return self._features(self._get("search/", params))[:limit]

    def reverse(self, lat: float, lon: float, *, limit: int = 1) -> list[AddressMatch]:
        return self._features(self._get("reverse/", {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "limit": limit}))[:limit]

    # ------------------------------------------------------------------ transport

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        url = self.base_url + path + "?" + urllib.parse.urlencode(params)
        problem = "no attempt made"
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * attempt)
            try:
                request = urllib.request.Request(url, headers={"Accept": "application/json"})
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    body = response.read(5_000_001)
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    raise InvalidInput(f"the address server refused the query (HTTP {exc.code}): "
                                       f"{_message(exc)}", field="q") from None
                problem = f"HTTP {exc.code} from {self.base_url}"
            except TimeoutError:
                problem = f"{self.base_url} did not answer within {self.timeout_s:g} s"
            except urllib.error.URLError as exc:
                reason = exc.reason
                problem = (f"{self.base_url} did not answer within {self.timeout_s:g} s"
                           if isinstance(reason, (TimeoutError, socket.timeout))
                           else f"cannot reach {self.base_url} ({reason})")
            except (ConnectionError, OSError) as exc:
                problem = f"cannot reach {self.base_url} ({exc})"
            else:
                return _json(body, self.base_url)
            log.warning("address server attempt %d/%d failed: %s", attempt + 1, self.retries + 1, problem)
        raise Unavailable(f"the address server is unavailable: {problem} after {self.retries + 1} attempt(s); "
                          f"{SETTINGS_HINT}")

    def _features(self, data: Any) -> list[AddressMatch]:
        if not isinstance(data, dict) or not isinstance(data.get("features"), list):
            raise _malformed(self.base_url, "no 'features' list (expected a GeoJSON FeatureCollection)")
        return [_feature(f, self.base_url) for f in data["features"]]


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read(20_000) or b"{}")
    except (ValueError, OSError):
        return exc.reason or "no reason given"
    return str(data.get("message") or data.get("detail") or exc.reason or "no reason given")[:300]


def _malformed(base_url: str, what: str) -> Unavailable:
    return Unavailable(f"the address server at {base_url} sent a malformed answer: {what}; {SETTINGS_HINT}")


def _json(body: bytes, base_url: str) -> Any:
    if len(body) > 5_000_000:
        raise _malformed(base_url, "answer larger than 5 MB")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise _malformed(base_url, "not JSON") from None


def _number(value: Any, lo: float, hi: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and lo <= value <= hi else None


def _feature(feature: Any, base_url: str) -> AddressMatch:
    """One GeoJSON feature -> a match; anything missing or out of range makes the whole answer malformed."""
    try:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
    except (KeyError, TypeError, ValueError):
        raise _malformed(base_url, "a feature without properties or point coordinates") from None
    lat_f, lon_f = _number(lat, -90, 90), _number(lon, -180, 180)
    score = _number(props.get("score", 0.0), 0.0, 1.0) if isinstance(props, dict) else None
    if lat_f is None or lon_f is None or score is None:
        raise _malformed(base_url, f"a feature with invalid coordinates or score ({lon!r}, {lat!r})")
    number = props.get("housenumber")
    street = props.get("street") or props.get("name") or ""
    postcode, city = props.get("postcode") or "", props.get("city") or ""
    if not all(isinstance(v, str) for v in (street, postcode, city)) or not (number is None or isinstance(number, str)):
        raise _malformed(base_url, "a feature whose street, postcode, city or housenumber is not text")
    label = props.get("label") if isinstance(props.get("label"), str) else make_label(number, street, postcode, city)
    return AddressMatch(label=label, score=round(score, 3), housenumber=number, street=street, postcode=postcode,
                        city=city, lat=lat_f, lon=lon_f)
