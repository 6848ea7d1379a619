"""Errors raised by the road-network module (subclasses of the project's domain errors)."""

from __future__ import annotations

from dispatch.errors import DispatchError, InvalidInput

__all__ = ["RoadGraphError", "RoadFetchError", "SiteTooFar", "SiteUnreachable"]


def _fmt_site(key: str, lat: float, lon: float) -> str:
    return f"site {key!r} at ({lat:.6f}, {lon:.6f})"


class RoadGraphError(DispatchError):
    """The road graph file is missing, unreadable or lacks required attributes (a setup error)."""

    status_hint = 500


class RoadFetchError(DispatchError):
    """Downloading a road graph from OpenStreetMap failed (usually: no network access)."""

    status_hint = 503


class SiteTooFar(InvalidInput):
    """The site is further than the allowed snapping distance from any drivable street."""

    def __init__(
        self,
        key: str,
        lat: float,
        lon: float,
        distance_m: float,
        max_distance_m: float,
        *,
        outside_area: bool = False,
        field: str | None = None,
    ) -> None:
        where = (
            " It lies outside the area covered by the road network."
            if outside_area
            else ""
        )
        if distance_m == float("inf"):
            message = (
                f"The {_fmt_site(key, lat, lon)} has invalid coordinates (latitude must be within "
                f"-90..90 and longitude within -180..180). Check the site's coordinates."
            )
            super().__init__(message, field=field)
            self.key, self.lat, self.lon = key, lat, lon
            self.distance_m, self.max_distance_m, self.outside_area = distance_m, max_distance_m, True
            return
        message = (
            f"The {_fmt_site(key, lat, lon)} is about {distance_m:,.0f} m from the nearest drivable "
            f"street, more than the {max_distance_m:,.0f} m allowed.{where} Check the site's "
            f"coordinates (latitude/longitude swapped? wrong address geocoded?), or raise "
            f"DISPATCH_MAX_SNAP_DISTANCE_M if the site really is that far from a street."
        )
        super().__init__(message, field=field)
        self.key = key
        self.lat = lat
        self.lon = lon
        self.distance_m = distance_m
        self.max_distance_m = max_distance_m
        self.outside_area = outside_area


class SiteUnreachable(InvalidInput):
    """The nearest drivable street is cut off from the main road network (not in its largest SCC)."""

    def __init__(
        self,
        key: str,
        lat: float,
        lon: float,
        distance_m: float,
        street: str | None = None,
        *,
        field: str | None = None,
    ) -> None:
        street_txt = f" ({street})" if street else ""
        message = (
            f"The {_fmt_site(key, lat, lon)} is {distance_m:,.0f} m from its nearest drivable "
            f"street{street_txt}, but that street is cut off from the rest of the road network: "
            f"a van could not drive there from the depot and back. Check the site's coordinates, "
            f"or move the site to the nearest through street."
        )
        super().__init__(message, field=field)
        self.key = key
        self.lat = lat
        self.lon = lon
        self.distance_m = distance_m
        self.street = street
