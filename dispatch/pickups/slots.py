"""Home-pickup slot offers checked by trial insertion into the day's plan.

For each collection day and slot in a range, :func:`offer_slots` first applies the collection rules
(lead time, horizon, daily and per-slot capacity, a van large enough). When a plan (draft or published)
already exists for the day, the slot is offered only if the new visit can be inserted into one of its
rounds within the slot's window without breaking any rule of the day: the cheapest feasible insertion
over every position of every round, found by ``planning.TrialPlan`` through the one problem builder and
the solver's plan mode (the same vans, depots, crews, lunch breaks, unloading trips, travel-time factor
and crew requirements as planning and editing; ``dispatch/planning/insertion.py``). The answer gives the
extra minutes and kilometres of that insertion. Without a plan the day is judged by the rules only
(``checked: "rules_only"``).

:class:`SlotFit` answers the same question for one (day, slot); the rules use it (``RuleContext.slot_fits``)
for the requested slot itself (``no_room_in_plan``) and so that the alternatives offered with a refused
request are offers of this kind too. Nothing is stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch import planning
from dispatch.errors import DispatchError, InvalidInput
from dispatch.models import PickupRequest, Plan, PlanStatus, Slot
from dispatch.pickups import rule_decision, rules, rules_file
from dispatch.pickups.requests import SLOT_WINDOWS_S, booked_slots, largest_van_m3, rules_config
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings
from dispatch.workdays import is_collection_day

MAX_DAYS = 31
log = logging.getLogger(__name__)


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


def day_plan(day: dt.date, *, session: Session) -> Plan | None:
    """The day's published plan, else its latest draft."""
    plans = session.scalars(select(Plan).where(Plan.date == day, Plan.status != PlanStatus.REPLACED)
                           .order_by(Plan.id.desc())).all()
    return next((p for p in plans if p.status is PlanStatus.PUBLISHED), plans[0] if plans else None)


class _Trials:
    """The days' plans, each made ready once for trial insertion of the new visit (``planning.TrialPlan``)."""

    def __init__(self, lat: float, lon: float, volume_m3: float, *, session: Session, settings: Settings,
                 network: RoadNetwork, site: object | None = None) -> None:
        self.session, self.settings, self.network = session, settings, network
        self.visit = planning.new_pickup(lat, lon, volume_m3, settings.pickup_service_s(max(volume_m3, 0)), settings,
                                         site=site)
        # A booked pickup being moved leaves its round first (not counted twice on its own day).
        booked_id = site.id if isinstance(site, PickupRequest) else None
        self.leaving = f"pu:{booked_id}" if booked_id is not None else None
        self._plans: dict[dt.date, Plan | None] = {}
        self._trials: dict[int, planning.TrialPlan | DispatchError] = {}

    def plan(self, day: dt.date) -> Plan | None:
        if day not in self._plans:
            self._plans[day] = day_plan(day, session=self.session)
        return self._plans[day]

    def offer(self, plan: Plan, slot: str) -> SlotOffer:
        """The slot of ``plan``'s day, offered if the visit fits one of its rounds within the slot's window."""
        trial = self._trial(plan)
        if isinstance(trial, DispatchError):
            return SlotOffer(plan.date, slot, False, "insertion", "no_room_in_plan",
                             f"the day's plan cannot be timed as stored: {trial.message}", plan_id=plan.id)
        ins = trial.insert(SLOT_WINDOWS_S[Slot(slot)])
        if ins.feasible:
            return SlotOffer(plan.date, slot, True, "insertion", extra_minutes=round(ins.extra_s / 60, 1),
                             extra_km=round(ins.extra_m / 1000, 2), plan_id=plan.id, round_id=ins.round_id)
        whys = sorted((ins.failures or {}).items(), key=lambda kv: -kv[1])
        text = "; ".join(_FAILURE_TEXT.get(k, k) for k, _ in whys[:3])
        return SlotOffer(plan.date, slot, False, "insertion", "no_room_in_plan",
                         f"the visit fits in no round of the day's plan: {text}", plan_id=plan.id)

    def _trial(self, plan: Plan) -> planning.TrialPlan | DispatchError:
        if plan.id not in self._trials:
            try:
                self._trials[plan.id] = planning.TrialPlan(plan, self.visit, settings=self.settings,
                                                           network=self.network, session=self.session,
                                                           leaving=self.leaving)
            except DispatchError as exc:  # handled: logged, and the day's slots are refused saying why
                log.warning("plan %s cannot be timed for a slot offer: %s", plan.id, exc.message)
                self._trials[plan.id] = exc
        return self._trials[plan.id]


_FAILURE_TEXT = {
    "capacity": "a van would be over capacity, even after the day's unloading trips",
    "time_window": "a stop (or the slot itself) would be served outside its time window",
    "break": "the lunch break would fall outside its window",
    "shift": "a crew would come back after the end of its shift",
    "skill": "no crew of the day has what the visit needs (two people, a tail lift...)",
    "schedule": "a round could not be timed",
    "round_not_retimable": "a round of the plan cannot be re-timed as stored",
    "no_round": "the plan has no round",
}


@dataclass(frozen=True)
class _Calendar:
    """What the rules say before any plan is looked at: booked slots, dates allowed, the largest van."""

    config: rules_file.RulesConfig
    booked: rule_decision.RuleContext
    earliest: dt.date
    latest: dt.date
    biggest_m3: float

    def refusal(self, day: dt.date, slot: str, volume_m3: float) -> tuple[str, str] | None:
        config = self.config
        if volume_m3 > self.biggest_m3:
            return "volume_above_van", f"{volume_m3:g} m³ is more than the largest van ({self.biggest_m3:g} m³)"
        if day < self.earliest:
            return "date_too_soon", f"the earliest collection day for a new request is {self.earliest.isoformat()}"
        if day > self.latest:
            return "date_too_far", f"requests are taken up to {self.latest.isoformat()}"
        if self.booked.booked_day(day) >= config.daily_capacity:
            return "day_full", f"{config.daily_capacity} home pickups are already booked that day"
        if self.booked.booked_slot(day, slot) >= config.slot_capacity[slot]:
            return "slot_full", f"{config.slot_capacity[slot]} home pickups are already booked in that slot"
        return None


def _check_input(lat: float, lon: float, volume_m3: float, start: dt.date, days: int, *, settings: Settings,
                 network: RoadNetwork, today: dt.date) -> None:
    if not 0 < volume_m3 <= 100:
        raise InvalidInput("volume_m3 must be more than 0 and at most 100", field="volume_m3")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_DAYS}", field="days")
    if not today - dt.timedelta(days=366) <= start <= today + dt.timedelta(days=3660):
        raise InvalidInput(f"from must be within ten years of today ({today.isoformat()})", field="from")
    if not network.contains(lat, lon):
        raise InvalidInput(f"({lat:.5f}, {lon:.5f}) is outside the served area: give a position in Paris", field="lat")
    network.snap("new", lat, lon, max_distance_m=settings.max_snap_distance_m)  # off the map: 422 naming lat


def offer_slots(
    lat: float, lon: float, volume_m3: float, start: dt.date, days: int, *, session: Session, settings: Settings,
    network: RoadNetwork, today: dt.date, site: object | None = None,
) -> list[SlotOffer]:
    """Every slot of every collection day in [start, start + days), available or not with why (``site``: the
    request's other answers, e.g. floor and lift, when known)."""
    _check_input(lat, lon, volume_m3, start, days, settings=settings, network=network, today=today)
    config = rules_config(settings)
    end = start + dt.timedelta(days=days - 1)
    calendar = _Calendar(config, rule_decision.RuleContext(today=today, largest_van_m3=0.0,
                                                           in_graph_area=lambda *_: True,
                                                           booked=booked_slots(session=session, start=start, end=end)),
                         rules.earliest_date(config, today), rules.latest_date(config, today),
                         largest_van_m3(session=session))
    trials = _Trials(lat, lon, volume_m3, session=session, settings=settings, network=network, site=site)
    out: list[SlotOffer] = []
    for day in (start + dt.timedelta(days=k) for k in range(days)):
        if not is_collection_day(day):
            continue
        for slot in rules_file.SLOTS:
            refusal = calendar.refusal(day, slot, volume_m3)
            if refusal:
                out.append(SlotOffer(day, slot, False, "rules", refusal[0], refusal[1]))
                continue
            plan = trials.plan(day)
            out.append(SlotOffer(day, slot, True, "rules_only") if plan is None else trials.offer(plan, slot))
    return out


class SlotFit:
    """``fits(day, slot)``: does a new home pickup (position, volume) still fit that day's plan?

    Checked by trial insertion into the day's plan (published, else latest draft) exactly as
    :func:`offer_slots` does; a day with no plan yet is judged by the rules' calendar alone (True).
    A position that cannot be placed on the road network fits no planned day. Answers are cached per
    (day, slot); nothing is stored. Given to the rules as ``RuleContext.slot_fits``: the requested slot and
    the alternatives offered with a refusal are then real offers, not calendar guesses.
    """

    def __init__(self, lat: float, lon: float, volume_m3: float, *, session: Session, settings: Settings,
                 network: RoadNetwork, site: object | None = None) -> None:
        self.trials = _Trials(lat, lon, volume_m3, session=session, settings=settings, network=network, site=site)
        self.on_network = _on_network(lat, lon, settings, network)
        self.offers: dict[tuple[dt.date, str], SlotOffer] = {}

    def offer(self, day: dt.date, slot: str) -> SlotOffer:
        key = (day, str(getattr(slot, "value", slot)))
        if key not in self.offers:
            plan = self.trials.plan(day)
            if plan is None:
                self.offers[key] = SlotOffer(day, key[1], True, "rules_only")
            elif not self.on_network:
                self.offers[key] = SlotOffer(day, key[1], False, "insertion", "position_off_network",
                                             "the position is not on the road network", plan_id=plan.id)
            else:
                self.offers[key] = self.trials.offer(plan, key[1])
        return self.offers[key]

    def __call__(self, day: dt.date, slot: str) -> bool:
        return self.offer(day, slot).available


def _on_network(lat: float, lon: float, settings: Settings, network: RoadNetwork) -> bool:
    try:
        network.snap("new", lat, lon, max_distance_m=settings.max_snap_distance_m)
    except (DispatchError, ValueError) as exc:  # handled: logged; such a position fits no planned day
        log.info("a slot was asked for a position off the road network: %s", exc)
        return False
    return True


def with_trial_insertion(ctx: rule_decision.RuleContext, lat: float, lon: float, volume_m3: float, *,
                         session: Session, settings: Settings, network: RoadNetwork,
                         site: object | None = None) -> rule_decision.RuleContext:
    """The rules' context whose requested slot and alternatives are checked by trial insertion (:class:`SlotFit`)."""
    return dataclasses.replace(ctx, slot_fits=SlotFit(lat, lon, volume_m3, session=session, settings=settings,
                                                      network=network, site=site))
