"""Home-pickup slot offers checked by trial insertion into the day's plan.

For each collection day and slot in a range, :func:`offer_slots` first applies the collection rules
(lead time, horizon, daily and per-slot capacity, a van large enough). When a plan (draft or published)
already exists for the day, the slot is offered only if the new visit can be inserted into one of its
rounds without breaking the van's capacity (m³, counting unloading trips), the slot's time window, the
other stops' windows, the lunch break window or the crew's shift: the cheapest feasible insertion over
every position of every round, re-timed on the road matrix of the sites involved (same travel-time
factor as planning). The answer gives the extra minutes and kilometres of that insertion. Without a
plan the day is judged by the rules only (``checked: "rules_only"``).

:class:`SlotFit` answers the same question for one (day, slot); the rules use it (``RuleContext.slot_fits``)
for the requested slot itself (``no_room_in_plan``) and so that the alternatives offered with a refused
request are offers of this kind too.

Nothing is stored. Timing semantics follow ``solver/schedule.py``: service starts within its window, a
break is taken within its window during the leg it is in (driving and the break may interleave).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.pickups import rule_decision, rules, rules_file
from dispatch.errors import DispatchError, InvalidInput
from dispatch.models import Plan, PlanStatus, Round, Slot, StopKind
from dispatch.pickups.requests import SLOT_WINDOWS_S, booked_slots, largest_van_m3, rules_config
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings
from dispatch.workdays import is_collection_day

MAX_DAYS = 31


@dataclass(frozen=True)
class SlotOffer:
    date: dt.date
    slot: str
    available: bool
    checked: str  # "insertion" (a plan exists), "rules_only" (no plan yet), "rules" (refused by the rules)
    reason: str | None = None  # a stable code when not available
    detail: str | None = None
    extra_minutes: float | None = None
    extra_km: float | None = None
    plan_id: int | None = None
    round_id: int | None = None


@dataclass(frozen=True)
class _Item:
    kind: str  # "visit" | "unload" | "break"
    loc: int | None  # matrix index (None for a break)
    service: int
    window: tuple[int, int] | None  # service start (or break start) window, seconds since midnight
    volume: float


@dataclass(frozen=True)
class _Run:
    ok: bool
    why: str | None  # capacity | time_window | break | shift
    end: int = 0
    distance: int = 0


def _secs(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _simulate(items: list[_Item], *, depot: int, depart: int, shift_end: int, capacity: float,
              dur: list[list[int]], dist: list[list[int]]) -> _Run:
    t, loc, load, distance = depart, depot, 0.0, 0
    pause, free = 0, depart  # a pending break in the current leg
    for it in items:
        if it.kind == "break":
            start = max(free, t, it.window[0]) if it.window else max(free, t)
            if it.window and start > it.window[1]:
                return _Run(False, "break")
            free, pause = start + it.service, pause + it.service
            continue
        arrival = max(t + dur[loc][it.loc] + pause, free)
        distance += dist[loc][it.loc]
        start = arrival
        if it.window is not None:
            if arrival > it.window[1]:
                return _Run(False, "time_window")
            start = max(arrival, it.window[0])
        t, loc, pause, free = start + it.service, it.loc, 0, start + it.service
        if it.kind == "unload":
            load = 0.0
        else:
            load += it.volume
            if load > capacity + 1e-9:
                return _Run(False, "capacity")
    end = max(t + dur[loc][depot] + pause, free)
    distance += dist[loc][depot]
    if end > shift_end:
        return _Run(False, "shift")
    return _Run(True, None, end, distance)


def day_plan(day: dt.date, *, session: Session) -> Plan | None:
    """The day's published plan, else its latest draft."""
    plans = session.scalars(select(Plan).where(Plan.date == day, Plan.status != PlanStatus.REPLACED)
                           .order_by(Plan.id.desc())).all()
    return next((p for p in plans if p.status is PlanStatus.PUBLISHED), plans[0] if plans else None)


@dataclass(frozen=True)
class Insertion:
    feasible: bool
    extra_s: int = 0
    extra_m: int = 0
    round_id: int | None = None
    failures: dict[str, int] | None = None  # why positions failed, counted


class _Sites:
    """Snapped sites of a plan, each once, and their road matrices (same travel-time factor as planning)."""

    def __init__(self, settings: Settings, network: RoadNetwork) -> None:
        self.settings, self.network = settings, network
        self.keys: dict[str, int] = {}
        self.sites: list = []

    def index(self, key: str, lat: float, lon: float) -> int:
        if key not in self.keys:
            self.sites.append(self.network.snap(key, lat, lon, max_distance_m=self.settings.max_snap_distance_m))
            self.keys[key] = len(self.sites) - 1
        return self.keys[key]

    def matrices(self, rounds: list[Round]) -> tuple[list[list[int]], list[list[int]]]:
        shifts = [(r.crew.shift_start_min * 60, r.crew.shift_end_min * 60) for r in rounds if r.crew]
        factor = (self.network.time_of_day.mean_factor(min(a for a, _ in shifts), max(b for _, b in shifts))
                  if shifts else 1.0)
        m = self.network.matrices(self.sites)
        return [[round(x * factor) for x in row] for row in m.durations], m.distances


def _round_items(rnd: Round, sites: _Sites) -> tuple[int, list[_Item]]:
    """The round as a sequence to re-time: (depot index, items). Raises InvalidInput for a site off the map."""
    depot = rnd.van.depot
    depot_loc = sites.index(f"depot:{depot.id}", depot.lat, depot.lon)
    crew = rnd.crew
    items: list[_Item] = []
    for s in rnd.stops:
        if s.kind is StopKind.BREAK:
            win = (crew.break_earliest_min * 60, crew.break_latest_min * 60) if crew else None
            items.append(_Item("break", None, s.service_s, win, 0.0))
        elif s.kind is StopKind.UNLOAD:
            items.append(_Item("unload", depot_loc, s.service_s, None, 0.0))
        else:
            place = s.relay_point if s.kind is StopKind.RELAY_POINT else s.pickup_request
            loc = sites.index(f"{s.kind.value}:{place.id}", place.lat, place.lon)
            ws, we = _secs(s.window_start), _secs(s.window_end)
            if ws is not None and we is not None and s.kind is StopKind.RELAY_POINT:
                we -= s.service_s  # the shown window is the opening hours: service must end by closing
            win = (ws, max(ws, we)) if ws is not None and we is not None else None
            items.append(_Item("visit", loc, s.service_s, win, s.expected_m3))
    return depot_loc, items


def _context(rnd: Round, depot_loc: int, dur, dist) -> dict:
    return {"depot": depot_loc, "depart": _secs(rnd.start_at) or 0,
            "shift_end": rnd.crew.shift_end_min * 60 if rnd.crew else 24 * 3600,
            "capacity": rnd.van.capacity_m3, "dur": dur, "dist": dist}


def retime_round(rnd: Round, *, settings: Settings, network: RoadNetwork) -> tuple[bool, int, int]:
    """Re-time a stored round as :func:`best_insertion` does: (feasible, return time in seconds since
    midnight, distance in metres). On a freshly solved plan it reproduces the solver's times and km."""
    sites = _Sites(settings, network)
    depot_loc, items = _round_items(rnd, sites)
    dur, dist = sites.matrices([rnd])
    run = _simulate(items, **_context(rnd, depot_loc, dur, dist))
    return run.ok, run.end, run.distance


def best_insertion(plan: Plan, lat: float, lon: float, volume_m3: float, window: tuple[int, int], service_s: int,
                   *, settings: Settings, network: RoadNetwork) -> Insertion:
    """Cheapest feasible insertion of a visit (position, volume, service window, service time) into one of
    the plan's rounds, by extra distance then extra time; or why every position failed."""
    sites = _Sites(settings, network)
    new_loc = sites.index("new", lat, lon)
    rounds: list[tuple[Round, int, list[_Item]]] = []
    failures: dict[str, int] = {}
    for rnd in plan.rounds:
        try:
            depot_loc, items = _round_items(rnd, sites)
        except InvalidInput:  # handled: counted and reported in the offer's reasons
            failures["unreachable"] = failures.get("unreachable", 0) + 1
            continue
        rounds.append((rnd, depot_loc, items))
    if not rounds:
        return Insertion(False, failures=failures or {"no_round": 1})
    dur, dist = sites.matrices([r for r, _, _ in rounds])
    new = _Item("visit", new_loc, service_s, window, volume_m3)
    best: Insertion | None = None
    for rnd, depot_loc, items in rounds:
        common = _context(rnd, depot_loc, dur, dist)
        base = _simulate(items, **common)
        if not base.ok:  # the stored round no longer re-times (edited by hand?): not a safe place to insert
            failures["round_not_retimable"] = failures.get("round_not_retimable", 0) + 1
            continue
        for pos in range(len(items) + 1):
            run = _simulate(items[:pos] + [new] + items[pos:], **common)
            if not run.ok:
                failures[run.why] = failures.get(run.why, 0) + 1
                continue
            cand = Insertion(True, run.end - base.end, run.distance - base.distance, rnd.id)
            if best is None or (cand.extra_m, cand.extra_s) < (best.extra_m, best.extra_s):
                best = cand
    return best or Insertion(False, failures=failures)


_FAILURE_TEXT = {
    "capacity": "a van would be over capacity",
    "time_window": "a stop (or the slot itself) would be served outside its time window",
    "break": "the lunch break would fall outside its window",
    "shift": "a crew would come back after the end of its shift",
    "unreachable": "a stop of the plan is off the road network",
    "round_not_retimable": "a round of the plan cannot be re-timed as stored",
    "no_round": "the plan has no round",
}


def offer_slots(
    lat: float, lon: float, volume_m3: float, start: dt.date, days: int, *, session: Session, settings: Settings,
    network: RoadNetwork, today: dt.date,
) -> list[SlotOffer]:
    """Every slot of every collection day in [start, start + days), available or not with why."""
    if not 0 < volume_m3 <= 100:
        raise InvalidInput("volume_m3 must be more than 0 and at most 100", field="volume_m3")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_DAYS}", field="days")
    if not today - dt.timedelta(days=366) <= start <= today + dt.timedelta(days=3660):
        raise InvalidInput(f"from must be within ten years of today ({today.isoformat()})", field="from")
    if not network.contains(lat, lon):
        raise InvalidInput(f"({lat:.5f}, {lon:.5f}) is outside the served area: give a position in Paris", field="lat")
    network.snap("new", lat, lon, max_distance_m=settings.max_snap_distance_m)  # off the map: 422 naming lat
    config = rules_config(settings)
    end = start + dt.timedelta(days=days - 1)
    booked = rule_decision.RuleContext(today=today, largest_van_m3=0.0, in_graph_area=lambda *_: True,
                                       booked=booked_slots(session=session, start=start, end=end))
    earliest, latest = rules.earliest_date(config, today), rules.latest_date(config, today)
    biggest = largest_van_m3(session=session)
    service = settings.pickup_service_s(volume_m3)
    out: list[SlotOffer] = []
    day = start
    while day <= end:
        if not is_collection_day(day):
            day += dt.timedelta(days=1)
            continue
        plan = None
        plan_checked = False
        for slot in rules_file.SLOTS:
            refusal = None
            if volume_m3 > biggest:
                refusal = ("volume_above_van", f"{volume_m3:g} m³ is more than the largest van ({biggest:g} m³)")
            elif day < earliest:
                refusal = ("date_too_soon", f"the earliest collection day for a new request is {earliest.isoformat()}")
            elif day > latest:
                refusal = ("date_too_far", f"requests are taken up to {latest.isoformat()}")
            elif booked.booked_day(day) >= config.daily_capacity:
                refusal = ("day_full", f"{config.daily_capacity} home pickups are already booked that day")
            elif booked.booked_slot(day, slot) >= config.slot_capacity[slot]:
                refusal = ("slot_full", f"{config.slot_capacity[slot]} home pickups are already booked in that slot")
            if refusal:
                out.append(SlotOffer(day, slot, False, "rules", refusal[0], refusal[1]))
                continue
            if not plan_checked:
                plan, plan_checked = day_plan(day, session=session), True
            if plan is None:
                out.append(SlotOffer(day, slot, True, "rules_only"))
                continue
            out.append(_insertion_offer(plan, day, slot, lat, lon, volume_m3, service, settings=settings,
                                        network=network))
        day += dt.timedelta(days=1)
    return out


def _insertion_offer(plan: Plan, day: dt.date, slot: str, lat: float, lon: float, volume_m3: float, service: int,
                     *, settings: Settings, network: RoadNetwork) -> SlotOffer:
    ins = best_insertion(plan, lat, lon, volume_m3, SLOT_WINDOWS_S[Slot(slot)], service,
                         settings=settings, network=network)
    if ins.feasible:
        return SlotOffer(day, slot, True, "insertion", extra_minutes=round(ins.extra_s / 60, 1),
                         extra_km=round(ins.extra_m / 1000, 2), plan_id=plan.id, round_id=ins.round_id)
    whys = sorted((ins.failures or {}).items(), key=lambda kv: -kv[1])
    text = "; ".join(_FAILURE_TEXT.get(k, k) for k, _ in whys[:3])
    return SlotOffer(day, slot, False, "insertion", "no_room_in_plan",
                     f"the visit fits in no round of plan {plan.id}: {text}", plan_id=plan.id)


class SlotFit:
    """``fits(day, slot)``: does a new home pickup (position, volume) still fit that day's plan?

    Checked by trial insertion into the day's plan (published, else latest draft) exactly as
    :func:`offer_slots` does; a day with no plan yet is judged by the rules' calendar alone (True).
    A position that cannot be placed on the road network fits no planned day. Answers are cached per
    (day, slot); nothing is stored. Given to the rules as ``RuleContext.slot_fits``: the requested slot and
    the alternatives offered with a refusal are then real offers, not calendar guesses.
    """

    def __init__(self, lat: float, lon: float, volume_m3: float, *, session: Session, settings: Settings,
                 network: RoadNetwork) -> None:
        self.lat, self.lon, self.volume_m3 = lat, lon, volume_m3
        self.session, self.settings, self.network = session, settings, network
        self.service = settings.pickup_service_s(max(volume_m3, 0))
        self._plans: dict[dt.date, Plan | None] = {}
        self.offers: dict[tuple[dt.date, str], SlotOffer] = {}

    def offer(self, day: dt.date, slot: str) -> SlotOffer:
        key = (day, str(getattr(slot, "value", slot)))
        if key not in self.offers:
            if day not in self._plans:
                self._plans[day] = day_plan(day, session=self.session)
            plan = self._plans[day]
            if plan is None:
                self.offers[key] = SlotOffer(day, key[1], True, "rules_only")
            else:
                try:
                    self.offers[key] = _insertion_offer(plan, day, key[1], self.lat, self.lon, self.volume_m3,
                                                        self.service, settings=self.settings, network=self.network)
                except (DispatchError, ValueError):  # handled: the position is off the map: no room can be shown
                    self.offers[key] = SlotOffer(day, key[1], False, "insertion", "position_off_network",
                                                 "the position is not on the road network", plan_id=plan.id)
        return self.offers[key]

    def __call__(self, day: dt.date, slot: str) -> bool:
        return self.offer(day, slot).available


def with_trial_insertion(ctx: rule_decision.RuleContext, lat: float, lon: float, volume_m3: float, *,
                         session: Session, settings: Settings, network: RoadNetwork) -> rule_decision.RuleContext:
    """The rules' context whose requested slot and alternatives are checked by trial insertion (:class:`SlotFit`)."""
    return dataclasses.replace(ctx, slot_fits=SlotFit(lat, lon, volume_m3, session=session, settings=settings,
                                                      network=network))
