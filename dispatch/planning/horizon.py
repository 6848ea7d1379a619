"""Rolling-horizon decision: which relay points must, may or need not be visited today.

Looks ahead ``horizon_days`` collection days (Sundays and French public holidays are not collection
days, see :mod:`dispatch.workdays`) with each relay point's :class:`~dispatch.planning.forecast.FillForecast`:

* **mandatory** -- it is reported full, or it would probably (``p >= p_mandatory``, default 0.8) be
  full by midday of its next reasonable visit: the next collection day on which it is open;
* **optional** -- every other open relay point at least ``top_up_fill_ratio`` full (30 %) or at some
  risk, with a ``penalty`` in metres-equivalent (like planning's ``relay_point_penalty_m``: the solver
  visits it when its detour in today's rounds costs less than the penalty)::

      risk_weight * penalty_m * p_full_before_next_visit
      + opportunistic_m * (fill / target_fill_ratio) * (0.5 + 0.5 * p_full_within_horizon)

  The first term is the (down-weighted: tomorrow's plan looks again, and makes the visit mandatory if
  the risk grows) cost of an overflow before the next opportunity; the second is the share of a later
  trip that emptying it today saves. A relay point at least ``cheap_fill_ratio`` full whose detour is
  at most ``cheap_insertion_m`` gets at least ``1.2 * detour`` (a cheap top-up). One below
  ``min_fill_ratio`` (65 %) and not at risk (``p < p_skip``) is *not needed today*: it stays optional,
  with the same penalty, which is small for it (a risk term under 1.5 km, a second term of a few hundred
  metres: at most about 2 km with the defaults), as a top-up the solver takes when a van passes by anyway;
  the decision differs from an optional one only by its reason;
* **skip** -- closed today, or below ``top_up_fill_ratio`` and not at risk.

Every risk, fill and full date above is that of the *cautious* forecast when ``safety_sd`` > 0: the fill
rate raised by ``safety_sd`` of its standard deviations (:meth:`FillForecast.cautious`), a margin for what
the estimate does not know that grows with the time ahead and vanishes where the rate is known. The fill
shown in the reason is the forecast's own.

The detour of a relay point is the round trip from the nearest place the vans go to anyway: the depot,
a home pickup of the day or a mandatory relay point (with ``distances``, :func:`decide` works it out
once the mandatory ones are known). Defaults were tuned with ``scripts/simulate.py``; see
docs/simulation/README.md for the measurements.

Every decision comes with a plain-English ``reason`` for the coordinator's day view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from dispatch.planning.forecast import WEEKDAY_NAMES, FillForecast
from dispatch.workdays import is_collection_day

MANDATORY = "mandatory"
OPTIONAL = "optional"
SKIP = "skip"


@dataclass(frozen=True)
class HorizonInput:
    """One relay point as the horizon rule sees it.

    ``key``: the caller's id (e.g. "rp:12"). ``forecast``: from :func:`dispatch.planning.forecast.estimate`.
    ``open_weekdays``: weekdays (Monday = 0) it can be visited (see
    :func:`dispatch.planning.forecast.open_weekdays`; a weekday whose windows are too short for the service
    should be left out by the caller). ``insertion_cost_m``: a cheap estimate of the extra metres to
    fit it into today's rounds (e.g. the detour from the nearest other candidate in the road matrix:
    ``d(a, rp) + d(rp, a) - 0``, or ``d(a, rp) + d(rp, b) - d(a, b)``); None if unknown.
    ``reported_full``: an unhandled "full" call (also true if ``forecast.full``).
    """

    key: str
    forecast: FillForecast
    open_weekdays: frozenset[int]
    insertion_cost_m: float | None = None
    reported_full: bool = False
    name: str = ""
    # Dates it cannot be visited although open that weekday (closures: host away, holidays, works).
    closed_dates: frozenset[dt.date] = frozenset()
    # Its index in the ``distances`` matrix given to :func:`decide` (None: use ``insertion_cost_m``).
    site: int | None = None


@dataclass(frozen=True)
class HorizonDecision:
    key: str
    decision: str  # "mandatory" | "optional" | "skip"
    penalty: int | None  # metres-equivalent for optional visits; None otherwise
    reason: str
    fill_ratio: float  # expected fill today
    p_full_before_next_visit: float
    p_full_within_horizon: float
    next_visit_day: dt.date | None  # next collection day it is open, after today
    expected_full_date: dt.date | None


def fmt_day(day: dt.date) -> str:
    """'Thu 3 Dec'."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {day.strftime('%b')}"


def collection_days(
    today: dt.date, n: int, *, is_workday: Callable[[dt.date], bool] = is_collection_day
) -> list[dt.date]:
    """The ``n`` collection days after ``today``."""
    out, day = [], today
    while len(out) < n:
        day += dt.timedelta(days=1)
        if is_workday(day):
            out.append(day)
    return out


def _pct(x: float) -> str:
    return f"{round(100 * x)} %"


@dataclass(frozen=True)
class _Rule:
    """The thresholds of :func:`decide` (see its docstring)."""

    horizon_days: int
    penalty_m: int
    p_mandatory: float
    p_skip: float
    min_fill_ratio: float
    top_up_fill_ratio: float
    opportunistic_m: int
    risk_weight: float
    target_fill_ratio: float
    cheap_insertion_m: float
    cheap_fill_ratio: float


@dataclass(frozen=True)
class _Outlook:
    """One relay point seen from today: its expected fill at noon, its next possible visit after today,
    the risks of being full before it and within the horizon, open today, and must it be visited; all from
    ``forecast``, the cautious one (``safety_sd``); ``shown``: the expected fill of the forecast itself, for the
    reason."""

    fill: float
    nxt: dt.date | None
    p_next: float
    p_h: float
    is_open: bool
    must: bool
    shown: float
    forecast: FillForecast


def decide(
    today: dt.date,
    points: Iterable[HorizonInput],
    *,
    horizon_days: int = 5,
    penalty_m: int = 25_000,
    p_mandatory: float = 0.8,
    p_skip: float = 0.3,
    min_fill_ratio: float = 0.65,
    top_up_fill_ratio: float = 0.3,
    opportunistic_m: int = 1_500,
    risk_weight: float = 0.2,
    target_fill_ratio: float = 0.85,
    cheap_insertion_m: float = 1_500,
    cheap_fill_ratio: float = 0.6,
    is_workday: Callable[[dt.date], bool] = is_collection_day,
    distances: Sequence[Sequence[int]] | None = None,
    anchor_sites: Sequence[int] = (),
    safety_sd: float = 0.0,
) -> dict[str, HorizonDecision]:
    """Decide today's visit status of each relay point from its forecast over the horizon.

    ``today``: the date being planned (a collection day). ``points``: see :class:`HorizonInput`.
    ``horizon_days``: how many collection days after today to look ahead (default 5).
    ``penalty_m``: cost in metres of leaving a relay point unvisited when it is certain to overflow
    before its next visit (planning's ``relay_point_penalty_m``). ``p_mandatory``: risk of being
    full before the next possible visit above which a visit today is mandatory. ``p_skip``,
    ``min_fill_ratio``: below both, the relay point is not needed today. ``risk_weight``,
    ``opportunistic_m``, ``target_fill_ratio``, ``cheap_insertion_m``, ``cheap_fill_ratio``: the
    optional penalty (see the module docstring). ``is_workday``: which days are collection days.
    ``safety_sd``: the margin for what the forecasts do not know: risks, fills and full dates are those of
    each forecast with its fill rate raised by this many of its standard deviations
    (:meth:`FillForecast.cautious`); the fill in the reason and in ``fill_ratio`` stays the forecast's own.

    ``distances`` (optional): the day's road matrix in metres; with it, the detour of every relay point
    that has a ``site`` is worked out here, once the mandatory ones are known: the round trip from the
    nearest of ``anchor_sites`` (the depot and the day's home pickups) or of the relay points that are
    mandatory today (``insertion_cost_m`` is then ignored). A relay point next to one that must be
    visited anyway is cheap to add; one next to a relay point that is merely optional is not.

    Returns ``{key: HorizonDecision}`` with ``decision`` in {"mandatory", "optional", "skip"},
    ``penalty`` (int metres-equivalent, optional visits only) and a plain-English ``reason``.
    """
    rule = _Rule(horizon_days, penalty_m, p_mandatory, p_skip, min_fill_ratio, top_up_fill_ratio, opportunistic_m,
                 risk_weight, target_fill_ratio, cheap_insertion_m, cheap_fill_ratio)
    points = list(points)
    ahead = collection_days(today, max(horizon_days, 1) + 10, is_workday=is_workday)
    horizon_end = ahead[horizon_days - 1] if horizon_days >= 1 else today
    outlooks = {pt.key: _outlook(pt, today, ahead, horizon_end, p_mandatory, safety_sd) for pt in points}
    costs = _detours(points, outlooks, distances, anchor_sites)
    return {pt.key: _decide_one(pt, outlooks[pt.key], costs[pt.key], today, ahead, rule) for pt in points}


def _outlook(pt: HorizonInput, today: dt.date, ahead: list[dt.date], horizon_end: dt.date,
             p_mandatory: float, safety_sd: float) -> _Outlook:
    f = pt.forecast.cautious(safety_sd)
    noon = dt.datetime.combine(today, dt.time(12))

    def fill_of(forecast: FillForecast) -> float:
        return 1.0 if (forecast.full or pt.reported_full) else forecast.expected_stock_at(noon) / forecast.capacity_m3

    fill, shown = fill_of(f), fill_of(pt.forecast)
    nxt = next((d for d in ahead if d.weekday() in pt.open_weekdays and d not in pt.closed_dates), None)
    p_next = f.p_full_at(dt.datetime.combine(nxt, dt.time(12))) if nxt else 1.0
    p_h = f.p_full_by(horizon_end)
    is_open = today.weekday() in pt.open_weekdays
    must = is_open and (f.full or pt.reported_full or p_next >= p_mandatory)
    return _Outlook(fill, nxt, p_next, p_h, is_open, must, shown, f)


def _detours(points: list[HorizonInput], outlooks: dict[str, _Outlook], distances: Sequence[Sequence[int]] | None,
             anchor_sites: Sequence[int]) -> dict[str, float | None]:
    """Each relay point's detour: its ``insertion_cost_m``, or with ``distances`` the round trip from the
    nearest anchor site or relay point that must be visited today (those that must: not worked out)."""
    costs = {pt.key: pt.insertion_cost_m for pt in points}
    if distances is not None:
        anchors = list(anchor_sites) + [pt.site for pt in points if pt.site is not None and outlooks[pt.key].must]
        for pt in points:
            s = pt.site
            if s is None or outlooks[pt.key].must:
                continue
            costs[pt.key] = min((distances[a][s] + distances[s][a] for a in anchors if a != s), default=None)
    return costs


def _decide_one(pt: HorizonInput, o: _Outlook, cost: float | None, today: dt.date, ahead: list[dt.date],
                rule: _Rule) -> HorizonDecision:
    """One relay point's decision: skip when closed today, mandatory when full or at risk, else what a
    visit today is worth (:func:`_worth_today`)."""
    f = o.forecast
    full_date = f.expected_full_date()
    closed_between = [
        d for d in ahead[: ahead.index(o.nxt)] if d.weekday() not in pt.open_weekdays or d in pt.closed_dates
    ] if o.nxt else []

    def make(decision: str, penalty: int | None, reason: str) -> HorizonDecision:
        return HorizonDecision(pt.key, decision, penalty, reason, round(o.shown, 3), round(o.p_next, 3),
                               round(o.p_h, 3), o.nxt, full_date)

    label = f"{pt.name}: " if pt.name else ""
    if not o.is_open:
        risk = f"; predicted full on {fmt_day(full_date)}" if full_date and o.p_h >= rule.p_mandatory else ""
        return make(SKIP, None, f"{label}closed on {fmt_day(today)}{risk}: cannot be visited today")
    if f.full or pt.reported_full:
        return make(MANDATORY, None, f"{label}reported full: visit today")
    nxt_txt = f"next possible visit {fmt_day(o.nxt)}" if o.nxt else "no possible visit in the next two weeks"
    if closed_between:
        nxt_txt += " (closed on " + ", ".join(fmt_day(d) for d in closed_between) + ")"
    if o.p_next >= rule.p_mandatory:
        when = f"predicted full on {fmt_day(full_date)}" if full_date else "may be full"
        return make(
            MANDATORY, None,
            f"{label}{_pct(o.shown)} full, {when} (p={o.p_next:.2f} before the {nxt_txt}): visit today",
        )
    decision, penalty, reason = _worth_today(o, cost, nxt_txt, rule)
    return make(decision, penalty, label + reason)


def _worth_today(o: _Outlook, cost: float | None, nxt_txt: str, rule: _Rule) -> tuple[str, int | None, str]:
    """An open relay point not at risk: optional with its penalty, or skipped; the reason (without its name)."""
    fill, p_next, p_h = o.fill, o.p_next, o.p_h
    # Worth of a visit today: the (down-weighted: tomorrow's plan looks again) risk of waiting for the
    # next opportunity, plus the share of a later dedicated trip it saves (fill / target fill), more so
    # if that trip must come within the horizon.
    base = (rule.risk_weight * rule.penalty_m * p_next
            + rule.opportunistic_m * (fill / rule.target_fill_ratio) * (0.5 + 0.5 * p_h))
    cheap = cost is not None and cost <= rule.cheap_insertion_m and fill >= rule.cheap_fill_ratio
    if cheap:
        base = max(base, 1.2 * cost)
    h_txt = f"within {rule.horizon_days} collection days (p={p_h:.2f})"
    penalty = max(1, round(base))
    detail = f"; detour about {cost / 1000:.1f} km" if cost is not None else ""
    if fill < rule.min_fill_ratio and p_next < rule.p_skip and not cheap:
        if p_h < 0.5:
            why = f"not full {h_txt}"
        else:
            why = f"can wait (p={p_next:.2f} of being full before the {nxt_txt}; full {h_txt})"
        if fill < rule.top_up_fill_ratio:
            return SKIP, None, f"{_pct(o.shown)} full, {why}: not needed today"
        # Not needed, but a van passing by can empty it for (almost) nothing: that postpones its
        # next visit. Worth only the small share of a later trip it saves.
        return (OPTIONAL, penalty, f"{_pct(o.shown)} full, {why}{detail}: not needed today, a top-up only if a van "
                f"passes by (worth {penalty / 1000:.1f} km)")
    verdict = "cheap to add today" if cheap else (
        "visit if it fits cheaply" if cost is None or cost < penalty else "probably not worth the detour today"
    )
    return (OPTIONAL, penalty, f"{_pct(o.shown)} full, p={p_h:.2f} full {h_txt.split(' (')[0]}, {nxt_txt}{detail}: "
            f"optional (worth {penalty / 1000:.1f} km), {verdict}")


def summarise(decisions: Sequence[HorizonDecision]) -> dict[str, int]:
    counts = {MANDATORY: 0, OPTIONAL: 0, SKIP: 0}
    for d in decisions:
        counts[d.decision] += 1
    return counts
