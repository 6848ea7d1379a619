"""Depots and planning regions (multi-depot planning).

Every van starts and ends its day at its own depot (``Van.depot_id``). A depot belongs to a region
(``Depot.region``; None is the ``"default"`` region). A relay point or home pickup belongs to the
region of its nearest depot (straight-line distance: cheap, no matrix), so a day can be planned
region by region: each region is an independent routing problem (its depots, their vans and crews,
its visits) and several regions can be solved at once on several workers (``dispatch/planning/scale.py``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput, NotFound
from dispatch.models import Depot

DEFAULT_REGION = "default"


def region_of_depot(depot: Depot) -> str:
    return depot.region or DEFAULT_REGION


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance: exact enough to pick the nearest depot within a city."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return 6_371_000.0 * math.hypot(x, y)


def nearest_depot(lat: float, lon: float, depots: Sequence[Depot]) -> Depot:
    """The nearest depot (ties: the lowest id, ``depots`` being sorted by id)."""
    return min(depots, key=lambda d: (_metres(lat, lon, d.lat, d.lon), d.id))


def all_depots(*, session: Session) -> list[Depot]:
    return list(session.scalars(select(Depot).order_by(Depot.id)).all())


def list_regions(*, session: Session) -> list[str]:
    """Every region that has a depot, sorted."""
    return sorted({region_of_depot(d) for d in all_depots(session=session)})


def check_regions(regions: Collection[str] | None, *, session: Session) -> list[str] | None:
    """Validate a requested list of regions (None: all); raise ``InvalidInput`` naming unknown ones."""
    if regions is None:
        return None
    known = list_regions(session=session)
    if not known:
        raise NotFound("no depot is configured: run `dispatch seed-demo` or create one", field="depot")
    wanted = list(dict.fromkeys(regions))
    unknown = [r for r in wanted if r not in known]
    if unknown or not wanted:
        raise InvalidInput(
            f"unknown region(s) {', '.join(map(repr, unknown)) or '(empty list)'}: the regions are "
            f"{', '.join(map(repr, known))} (Depot.region; depots without one are in {DEFAULT_REGION!r})",
            field="regions",
        )
    return sorted(wanted)


def in_regions(lat: float, lon: float, depots: Sequence[Depot], regions: Collection[str] | None) -> bool:
    """Does a site at (lat, lon) belong to one of ``regions`` (None: every region)?"""
    if regions is None or not depots:
        return True
    return region_of_depot(nearest_depot(lat, lon, depots)) in regions
