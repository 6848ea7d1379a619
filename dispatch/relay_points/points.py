"""Relay points: listing, fill reports, opening hours. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from dispatch.errors import InvalidInput, NotFound
from dispatch.planning import (
    FillForecast,
    Peer,
    Prior,
    estimate,
    observations_from_reports,
    open_weekdays,
    prior_from_peers,
)
from dispatch.models import RelayPoint, ReportSource, StockReport, utcnow


def get_relay_point(relay_point_id: int, *, session: Session) -> RelayPoint:
    rp = session.get(RelayPoint, relay_point_id)
    if rp is None:
        raise NotFound(f"relay point {relay_point_id} does not exist", field="relay_point_id")
    return rp


def list_relay_points(
    *, session: Session, active: bool | None = None, full: bool | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[RelayPoint], int]:
    query = select(RelayPoint)
    if active is not None:
        query = query.where(RelayPoint.active.is_(active))
    if full is not None:
        query = query.where(RelayPoint.full.is_(full))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(RelayPoint.id).limit(limit).offset(offset)).all()
    return list(items), total


# The fill-report statements, built once: reports and crew updates are most of a busy morning's requests, and
# building a statement (and its cache key) costs more CPU than running it. The first is an ORM select (one
# column, not the whole row), so the session flushes pending changes before it, as before; the writes are Core
# statements on the tables: the report is returned as a plain StockReport, the relay point's copy in the session
# (if any) is expired below.
_RP, _REPORT = RelayPoint.__table__, StockReport.__table__
_CAPACITY = select(RelayPoint.capacity_m3).where(RelayPoint.id == bindparam("rp_id"))
_INSERT_REPORT = _REPORT.insert().returning(_REPORT.c.id)
_SET_STOCK = (_RP.update()
              .where(_RP.c.id == bindparam("rp_id"),
                     or_(_RP.c.stock_updated_at.is_(None), _RP.c.stock_updated_at <= bindparam("when")))
              .values(stock_m3=bindparam("stock"), full=bindparam("is_full"), stock_updated_at=bindparam("when")))


def report_fill(
    relay_point_id: int,
    *,
    session: Session,
    source: ReportSource,
    level_pct: float | None = None,
    stock_m3: float | None = None,
    full: bool = False,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> StockReport:
    """Record a fill report and set the relay point's current stock from it.

    Exactly one of ``level_pct``, ``stock_m3`` or ``full=True`` must be given.
    """
    capacity = session.execute(_CAPACITY, {"rp_id": relay_point_id}).scalar()
    if capacity is None:
        raise NotFound(f"relay point {relay_point_id} does not exist", field="relay_point_id")
    given = [name for name, value in (("level_pct", level_pct), ("stock_m3", stock_m3)) if value is not None]
    if full:
        given.append("full")
    if len(given) != 1:
        raise InvalidInput(
            "give exactly one of level_pct (0-100), stock_m3 or full=true"
            + (f"; got {', '.join(given)}" if given else "; got none"),
            field="level_pct",
        )
    if level_pct is not None:
        if not 0 <= level_pct <= 100:
            raise InvalidInput(f"level_pct must be between 0 and 100, got {level_pct}", field="level_pct")
        stock = capacity * level_pct / 100
        is_full = level_pct >= 100
    elif stock_m3 is not None:
        if stock_m3 < 0:
            raise InvalidInput(f"stock_m3 must not be negative, got {stock_m3}", field="stock_m3")
        if stock_m3 > capacity:
            raise InvalidInput(
                f"stock_m3 {stock_m3} exceeds the relay point's capacity of {capacity} m³; "
                "report full=true if it is full",
                field="stock_m3",
            )
        stock = stock_m3
        is_full = stock_m3 >= capacity
    else:
        stock = capacity
        is_full = True
    when = at or utcnow()
    values = dict(relay_point_id=relay_point_id, reported_at=when, source=source, level_pct=level_pct, stock_m3=stock,
                  full=is_full, note=note)
    # One INSERT, not a unit-of-work flush: fill reports are most of a busy morning's writes.
    report_id = session.execute(_INSERT_REPORT, values).scalar_one()
    report = StockReport(id=report_id, **values)  # what was stored (not attached to the session)
    # The newest report by time sets the current stock, whatever the commit order of concurrent reports:
    # a conditional UPDATE, evaluated under the row's write lock (PostgreSQL re-checks it after waiting).
    session.execute(_SET_STOCK, {"rp_id": relay_point_id, "stock": stock, "is_full": is_full, "when": when})
    rp = session.identity_map.get(identity_key(RelayPoint, relay_point_id))  # a copy this session holds
    if rp is not None:
        session.expire(rp, ["stock_m3", "full", "stock_updated_at"] + (["reports"] if "reports" in rp.__dict__ else []))
    return report


def parse_hhmm(value: str) -> int:
    """'08:30' -> seconds since midnight."""
    hours, minutes = value.split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"bad time {value!r}")
    return h * 3600 + m * 60


@dataclass(frozen=True, order=True)
class OpeningWindow:
    open_s: int
    close_s: int


def opening_windows(rp: RelayPoint, day: dt.date) -> list[OpeningWindow]:
    """The relay point's opening windows on ``day``, sorted and merged."""
    weekday = day.weekday()
    windows = sorted(
        OpeningWindow(parse_hhmm(entry["open"]), parse_hhmm(entry["close"]))
        for entry in rp.opening_hours or []
        if weekday in entry.get("days", [])
    )
    merged: list[OpeningWindow] = []
    for w in windows:
        if merged and w.open_s <= merged[-1].close_s:
            merged[-1] = OpeningWindow(merged[-1].open_s, max(merged[-1].close_s, w.close_s))
        else:
            merged.append(w)
    return merged


WALKING_SPEED_M_S = 1.2  # about 4.3 km/h: a donor carrying a bag


@dataclass(frozen=True)
class NearbyRelayPoint:
    relay_point: RelayPoint
    road_distance_m: int
    driving_s: int

    @property
    def walking_minutes(self) -> int:
        return max(1, round(self.road_distance_m / WALKING_SPEED_M_S / 60))


def nearest_relay_points(
    lat: float, lon: float, k: int, *, session: Session, network, max_snap_distance_m: float
) -> list[NearbyRelayPoint]:
    """The ``k`` nearest active relay points that are not full, by road distance from (lat, lon)."""
    if not network.contains(lat, lon):
        raise InvalidInput(
            f"({lat:.5f}, {lon:.5f}) is outside the served area (Paris): give a position in Paris", field="lat"
        )
    try:
        origin = network.snap("origin", lat, lon, max_distance_m=max_snap_distance_m)
    except InvalidInput as exc:
        raise InvalidInput(f"({lat:.5f}, {lon:.5f}) is not near a street: {exc.message}", field="lat") from None
    open_points = session.scalars(
        select(RelayPoint).where(RelayPoint.active.is_(True), RelayPoint.full.is_(False),
                                 RelayPoint.paused.is_(False))  # a paused one takes no donations
        .order_by(RelayPoint.id)
    ).all()
    by_key: dict[str, RelayPoint] = {}
    sites = []
    for rp in open_points:
        try:
            sites.append(network.snap(f"rp:{rp.id}", rp.lat, rp.lon, max_distance_m=max_snap_distance_m))
        except InvalidInput:  # handled: off the road network: not offered (its check raises when it is created)
            continue  # a relay point off the road network cannot be reached by road: not offered
        by_key[f"rp:{rp.id}"] = rp
    return [NearbyRelayPoint(by_key[site.key], metres, seconds) for site, metres, seconds in network.nearest(origin, sites, k)]


def forecast_relay_points(
    rps: list[RelayPoint], *, now: dt.datetime, only: set[int] | None = None
) -> dict[int, FillForecast]:
    """Each relay point's fill forecast from its reports (:mod:`dispatch.planning.forecast`); with ``only``,
    just those ids (the others still serve as peers for the cold-start prior).

    The prior is the relay point's own expected rate (``daily_rate_m3``, set by the coordinator) when
    known, else the rate of similar relay points; a few weeks of reports dominate either.
    """
    peers = [Peer(rp.kind.value, rp.capacity_m3, rp.daily_rate_m3) for rp in rps if rp.daily_rate_m3 > 0]
    out: dict[int, FillForecast] = {}
    for rp in rps:
        if only is not None and rp.id not in only:
            continue
        prior = prior_from_peers(rp.kind.value, rp.capacity_m3, peers)
        if rp.daily_rate_m3 > 0:
            prior = Prior(rate_m3_per_day=rp.daily_rate_m3, rate_sd=0.5 * rp.daily_rate_m3,
                          weekday_factors=prior.weekday_factors)
        out[rp.id] = estimate(observations_from_reports(rp.reports), rp.capacity_m3, prior,
                              open_days=open_weekdays(rp.opening_hours or []), now=now)
    return out


def relay_point_forecast(relay_point_id: int, *, session: Session, today: dt.date, horizon_days: int = 7) -> dict:
    """The forecast of one relay point as plain data (rate, weekday profile, expected full date, p(full))."""
    rp = get_relay_point(relay_point_id, session=session)
    rps = list(session.scalars(select(RelayPoint).where(RelayPoint.active.is_(True))).all())
    if rp not in rps:
        rps.append(rp)
    forecast = forecast_relay_points(rps, now=utcnow(), only={rp.id})[rp.id]
    return forecast.summary(today, horizon_days)
