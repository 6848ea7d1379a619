"""Trial insertion of a new home pickup into a stored plan, through the one problem builder.

:class:`TrialPlan` turns a plan into the editing context every edit uses (``edit_context.build_context``:
the same visits, vans, depots, crews, lunch breaks, unloading trips and road matrix as planning and
re-optimising) with the new visit added under the key ``"new"`` (built by ``problem.pickup_candidate``
from a transient request, so it needs of the crew what a booked one would: two people, a tail lift...).
:meth:`TrialPlan.insert` tries the visit, within a given slot window, at every position of every round and
times each order with the solver's plan mode (``round_timing.schedule``: unloading trips added where the
van would overflow, the lunch break placed where it fits best), keeping the cheapest feasible one by
extra distance, then extra working time (driving, service and unloading); or says, counted by rule, why every position failed.

A round that no longer times as stored (edited by hand past a window, a relay point closed since) is not
a safe place to insert and is counted as ``round_not_retimable``. Reads only; nothing is stored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy.orm import Session

from dispatch.models import PickupRequest, Plan, Round, Slot, StopKind
from dispatch.planning import problem as builder
from dispatch.planning.edit_context import Context, build_context, round_crews, stop_key
from dispatch.planning.round_timing import Timed, schedule
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings

NEW = "new"
# The rules a failed position broke (round_timing's names) as the reasons an offer gives.
_FAILURES = {"shift_end": "shift", "closed": "time_window"}


@dataclass(frozen=True)
class Insertion:
    feasible: bool
    extra_s: int = 0
    extra_m: int = 0
    round_id: int | None = None
    failures: dict[str, int] | None = None  # why positions failed, counted


def new_pickup(lat: float, lon: float, volume_m3: float, service_s: int, settings: Settings,
               site: object | None = None) -> builder.Candidate:
    """The visit a booking would add, as the builder makes a booked pickup's (``site``: the request's other
    answers, e.g. floor and lift, that decide what the crew needs)."""
    request = PickupRequest(lat=lat, lon=lon, volume_m3=volume_m3, slot=Slot.MORNING, ref="", donor_name="",
                            floor=getattr(site, "floor", None), has_lift=getattr(site, "has_lift", None),
                            categories=list(getattr(site, "categories", None) or []),
                            requirements=list(getattr(site, "requirements", None) or []))
    cand = builder.pickup_candidate(request, settings, service=service_s)
    return dataclasses.replace(cand, key=NEW, record_id=0, name="", label="")


def round_order(rnd: Round, leaving: str | None = None) -> list[str | None]:
    """A stored round as the solver's plan mode takes it: visit keys, None for an unloading stop (the lunch
    break is placed by the timing itself); without ``leaving`` (a pickup being moved out of it)."""
    keys = [None if s.kind is StopKind.UNLOAD else stop_key(s) for s in rnd.stops if s.kind is not StopKind.BREAK]
    return [k for k in keys if k is None or k != leaving]


class TrialPlan:
    """A plan with a new visit, ready to be tried in any slot window (the road matrix is measured once).
    ``leaving``: the key of a booked pickup being moved, taken out of its round first (it is not counted
    twice when it moves to another slot of the same day).

    Positions are timed in order of their detour (the distance the visit adds between its two neighbours:
    what it adds to the round at least, unloading trips included, when road distances obey the triangle
    inequality, as shortest paths do; the matrix's fastest paths nearly always do); the search stops once the
    detour alone costs more than the best insertion found, so a slot offer times a handful of positions
    instead of all of them."""

    def __init__(self, plan: Plan, candidate: builder.Candidate, *, settings: Settings, network: RoadNetwork,
                 session: Session, leaving: str | None = None) -> None:
        self.plan = plan
        self.context = build_context(plan, settings, network, session=session, extra=[candidate],
                                     on_the_road=round_crews(plan))
        self.orders = {r.id: round_order(r, leaving) for r in plan.rounds if r.crew is not None}
        self.rounds = [r for r in plan.rounds if r.id in self.orders]
        self._bases: dict[int, Timed] = {}
        self._site = {v.id: v.location for v in self.context.problem.visits}

    def within(self, window: tuple[int, int]) -> Context:
        """The context with the new visit's service allowed to start within ``window`` only."""
        ctx = self.context
        cand = dataclasses.replace(ctx.candidates[NEW], windows=(window,))
        visits = tuple(dataclasses.replace(v, windows=(builder.TimeWindow(*window),)) if v.id == NEW else v
                       for v in ctx.problem.visits)
        return dataclasses.replace(ctx, candidates={**ctx.candidates, NEW: cand},
                                   problem=dataclasses.replace(ctx.problem, visits=visits))

    def insert(self, window: tuple[int, int]) -> Insertion:
        """The cheapest feasible insertion with service starting within ``window``, or why none is."""
        if not self.rounds:
            return Insertion(False, failures={"no_round": 1})
        ctx = self.within(window)
        failures: dict[str, int] = {}
        best: Insertion | None = None
        for detour, _, pos, rnd in self._positions(failures):
            if best is not None and detour > best.extra_m:
                break
            found = self._try(ctx, rnd, pos, failures)
            if found and (best is None or (found.extra_m, found.extra_s) < (best.extra_m, best.extra_s)):
                best = found
        return best or Insertion(False, failures=failures)

    def _positions(self, failures: dict[str, int]) -> list[tuple[int, int, int, Round]]:
        """(detour, round id, position, round) for every position of every round that times as stored."""
        out = []
        for rnd in self.rounds:
            if self._base(rnd).violations:
                failures["round_not_retimable"] = failures.get("round_not_retimable", 0) + 1
                continue
            out.extend((self._detour(rnd, pos), rnd.id, pos, rnd) for pos in range(len(self.orders[rnd.id]) + 1))
        return sorted(out, key=lambda item: item[:3])

    def _base(self, rnd: Round) -> Timed:
        if rnd.id not in self._bases:
            self._bases[rnd.id] = schedule(self.context, _vehicle(rnd), self.orders[rnd.id])
        return self._bases[rnd.id]

    def _detour(self, rnd: Round, pos: int) -> int:
        vehicle = self.context.vehicle(_vehicle(rnd))
        order = self.orders[rnd.id]

        def site(key: str | None) -> int:  # None: an unloading stop, at the van's depot
            if key is not None:
                return self._site[key]
            return vehicle.end if vehicle.reload_location is None else vehicle.reload_location

        before = vehicle.start if pos == 0 else site(order[pos - 1])
        after = vehicle.end if pos == len(order) else site(order[pos])
        dist, new = self.context.problem.distances, self._site[NEW]
        return dist[before][new] + dist[new][after] - dist[before][after]

    def _try(self, ctx: Context, rnd: Round, pos: int, failures: dict[str, int]) -> Insertion | None:
        order = self.orders[rnd.id]
        timed = schedule(ctx, _vehicle(rnd), order[:pos] + [NEW] + order[pos:])
        if timed.violations:
            rule = timed.violations[0]["rule"]
            why = _FAILURES.get(rule, rule)
            failures[why] = failures.get(why, 0) + 1
            return None
        base = self._base(rnd).route
        return Insertion(True, _work(timed.route) - _work(base), timed.route.distance - base.distance, rnd.id)


def _vehicle(rnd: Round) -> str:
    return f"crew:{rnd.crew_id}"


def _work(route: builder.Route) -> int:
    """The crew's working time: driving, service and unloading (waiting for a window or a break left out, so
    an insertion that fills a wait costs only its own driving and service)."""
    return route.duration - route.waiting_time
