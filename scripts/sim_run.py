"""One simulated run of a collection policy: :func:`run` plays ``cfg.days`` calendar days of a seed's world
and returns its :class:`sim_model.Outcome`.

A day is a morning (the day's donations drawn), on collection days a plan and its execution, and an evening
(the rest of the donations, the hosts' full calls and fill reports, seen a day or two later). On a collection
day the policy chooses the relay points -- ``reactive``: those whose full call has been seen; ``fixed``: those
on their weekday of a fixed weekly schedule (:func:`_fixed_days`); ``forecast``: the rolling-horizon rule
(``dispatch.planning.horizon``) on forecasts from the reports seen so far; ``oracle``: the same rule on the true
stock and rates (:func:`_true_forecast`) -- and ``sim_planner`` plans the day as ``dispatch plan`` would. The
plan is then driven with travel-time noise, absent vans and breakdowns; a relay point reached after closing is
missed.

Deterministic for a (policy, seed, cfg): every draw comes from a generator seeded with the seed and the day.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import sim_planner
import sim_worlds
from sim_model import START, Config, Outcome, World, frac_open, scenario, world

from dispatch.demo import load_demo
from dispatch.models import StopKind
from dispatch.planning.forecast import FillForecast, Observation, Peer, estimate, prior_from_peers
from dispatch.planning.horizon import MANDATORY, OPTIONAL, HorizonInput, decide
from dispatch.planning.problem import Candidate, Route, Sites
from dispatch.relay_points import opening_windows
from dispatch.workdays import is_collection_day


def _fixed_days(w: World) -> list[int]:
    """Fixed weekly schedule: six angular sectors around the depot -> Monday..Saturday; a relay point
    closed on its sector's day takes the nearest open weekday."""
    data = load_demo()
    d0 = data["depot"]
    out = []
    for i, r in enumerate(w.relays):
        ang = math.atan2(r["lat"] - d0["lat"], (r["lon"] - d0["lon"]) * math.cos(math.radians(d0["lat"])))
        sector = int(((ang + math.pi) / (2 * math.pi)) * 6) % 6
        opened = sorted(d for d in w.open_days[i] if d < 6) or [sector]
        out.append(min(opened, key=lambda d: (min(abs(d - sector), 6 - abs(d - sector)), d)))
    return out


def _true_forecast(stock: float, lam: np.ndarray, capacity: float, day: dt.date, dispersion: float) -> FillForecast:
    """What the oracle knows: the stock this morning and the true inflow of each weekday, no uncertainty
    but the donations' own noise."""
    rate = float(np.mean(lam))
    factors = tuple(float(x / rate) if rate > 0 else 0.0 for x in lam)
    return FillForecast(capacity_m3=capacity, rate_m3_per_day=rate, weekday_factors=factors, sd=0.0,
                        as_of=dt.datetime.combine(day, dt.time()), stock_m3=min(stock, capacity), stock_sd=0.0,
                        full=stock >= capacity - 1e-9, dispersion_m3=dispersion)


def run(policy: str, seed: int, cfg: Config) -> Outcome:
    """``policy`` over ``cfg.days`` days of the world of ``seed``."""
    return _Run(policy, seed, cfg).simulate()


class _Run:
    """One simulation run: the truth (stock, today's donations), what the planner knows (observations with the
    day from which they are visible, unanswered full calls) and the outcome. A day is a morning (donations
    drawn), on collection days a plan (the policy chooses, ``sim_planner`` plans) and its execution, and an
    evening (the rest of the donations, the hosts' reports)."""

    def __init__(self, policy: str, seed: int, cfg: Config) -> None:
        self.policy, self.seed, self.cfg = policy, seed, cfg
        self.w = w = world()
        self.sc = scenario(seed, w, cfg.world)
        self.n = n = len(w.relays)
        self.wr = sim_worlds.rules(cfg.world, seed, n, cfg.days, START)
        self.caps = np.array([r["capacity_m3"] for r in w.relays])
        self.stock = self.sc.stock0.copy()
        self.out = Outcome(policy, seed)
        self.obs: list[list[tuple[dt.date, Observation]]] = [[] for _ in range(n)]
        t_minus = dt.datetime.combine(START - dt.timedelta(days=1), dt.time(18))
        for i in range(n):  # the initial stock is known (as in the demo seed)
            self.obs[i].append((START, Observation(t_minus, stock_m3=float(self.stock[i]))))
        self.full_call: list[dt.date | None] = [None] * n  # visible day of an unanswered full call
        self.called = [False] * n
        peers = [Peer(r["kind"], r["capacity_m3"], r["daily_rate_m3"]) for r in w.relays]
        self.priors = [prior_from_peers(r["kind"], r["capacity_m3"], peers[:i] + peers[i + 1:])
                       for i, r in enumerate(w.relays)]
        self.fixed_day = _fixed_days(w)
        self.settings = sim_planner.sim_settings(horizon_days=cfg.horizon_days, solution_limit=cfg.solution_limit)
        # Today (set each morning): donations, the share of them arrived, full at some moment, opening windows.
        self.donations, self.done_frac, self.was_full = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
        self.windows: list[list[tuple[int, int]]] = []
        self.today = START
        # Per relay point: the horizon rule's last decision on it (its day, the decision, p before the next visit).
        self.last_decision: dict[int, tuple[dt.date, str, float]] = {}
        self.visited_on: dict[int, dt.date] = {}

    def simulate(self) -> Outcome:
        for k in range(self.cfg.days):
            day = START + dt.timedelta(days=k)
            self._morning(k, day)
            if is_collection_day(day):
                self._collect(k, day)
            self._evening(k, day)
            self.out.stock_trace.append([float(x) for x in self.stock])
        return self.out

    def _morning(self, k: int, day: dt.date) -> None:
        rng_day = np.random.default_rng([self.seed, k, 1])
        wr, wd = self.wr, day.weekday()
        self.donations = np.array([wr.donation(rng_day, self.sc.lam[i, wd] * wr.factor[k, i], self.cfg.dispersion_m3)
                                   for i in range(self.n)])
        self.windows = [[] if day in wr.closed[i] else [(o.open_s, o.close_s) for o in opening_windows(rp, day)]
                        for i, rp in enumerate(self.w.sim.relay_points)]  # closed: no visit
        self.done_frac = np.zeros(self.n)
        self.was_full = self.stock >= self.caps - 1e-9
        self.today = day

    def _add(self, i: int, upto: float) -> None:
        """The donations of relay point ``i`` up to share ``upto`` of today's opening time; what does not fit
        is turned away."""
        amount = self.donations[i] * max(0.0, upto - self.done_frac[i])
        self.done_frac[i] = max(self.done_frac[i], upto)
        room = self.caps[i] - self.stock[i]
        self.stock[i] = min(self.caps[i], self.stock[i] + amount)
        if amount > room:
            lost = amount - max(room, 0.0)
            self.out.turned_away_m3 += lost
            self._count_lost(i, lost)
            self.was_full[i] = True

    def _count_lost(self, i: int, lost: float) -> None:
        """``lost`` m³ turned away at relay point ``i``, counted by what the planner knew this morning."""
        out, call = self.out, self.full_call[i]
        if call is None:
            out.turned_away_unseen_m3 += lost
            self._count_unseen(i, lost)
        elif call > self.today:
            out.turned_away_call_pending_m3 += lost
        else:
            out.turned_away_call_seen_m3 += lost
        if (self.today - START).days < 7:
            out.turned_away_first_week_m3 += lost

    def _count_unseen(self, i: int, lost: float) -> None:
        """``lost`` m³ turned away unseen at relay point ``i``, counted by the rule's last decision on it."""
        parts, last = self.out.unseen, self.last_decision.get(i)
        if last is None:
            parts["unseen_no_decision_m3"] += lost
            return
        day, decision, p_next = last
        if self.visited_on.get(i) == day:
            parts["unseen_after_visit_m3"] += lost
            return
        parts[f"unseen_after_{decision}_m3"] += lost
        if decision == OPTIONAL and p_next < 0.3:
            parts["unseen_after_optional_low_risk_m3"] += lost

    # ---- a collection day: plan, then execute

    def _collect(self, k: int, day: dt.date) -> None:
        cfg, w = self.cfg, self.w
        rng_ops = np.random.default_rng([self.seed, k, 2])
        n_pu = rng_ops.poisson(cfg.pickups_per_day)  # home pickups promised for today
        pickups = []
        for j in range(n_pu):
            site = int(rng_ops.integers(len(w.pickups_sites)))
            vol = round(float(rng_ops.uniform(2.0, 5.0)), 1)
            slot = "morning" if rng_ops.random() < 0.5 else "afternoon"
            pickups.append(sim_planner.home_pickup(j, w.pickups_sites[site], vol, slot, day))
        crews = [c for c in w.sim.crews if rng_ops.random() >= cfg.p_van_absent]  # the others are absent
        breakdown_at = {c.id: int(rng_ops.uniform(c.shift_start_min * 60, c.shift_end_min * 60))
                        if rng_ops.random() < cfg.p_breakdown else None for c in w.sim.crews}
        travel_rng = np.random.default_rng([self.seed, k, 3])
        sites = sim_planner.day_sites(w.sim, self.settings, pickups)
        choices = self._choices(k, day, sites, len(pickups))
        day_plan = sim_planner.plan_day(w.sim, self.settings, day, sites,
                                        {i: c for i, c in choices.items() if day not in self.wr.closed[i]},
                                        pickups, crews, cfg.time_limit)
        if day_plan.solution is not None:
            self.out.solve_seconds += day_plan.solution.summary.solve_seconds
        served: set[str] = set()
        for route in day_plan.routes:
            self._drive(day, route, day_plan, breakdown_at[day_plan.crews[route.vehicle].id], travel_rng, served)
        self.out.pickups += len(pickups)
        self.out.pickups_missed += len(pickups) - len(served)

    def _forecasts(self, k: int, day: dt.date) -> tuple[list[FillForecast] | None, list[bool]]:
        """What the policy knows this morning: each relay point's forecast (none for ``reactive``) and whether
        it is known to be full (a full call seen; for the oracle, the truth)."""
        n, caps = self.n, self.caps
        calls = [self.full_call[i] is not None and self.full_call[i] <= day for i in range(n)]
        if self.policy == "oracle":  # the truth: this morning's stock and today's rates
            return ([_true_forecast(float(self.stock[i]), self.sc.lam[i] * self.wr.factor[k, i], float(caps[i]), day,
                                    self.cfg.dispersion_m3) for i in range(n)],
                    [bool(self.stock[i] >= caps[i] - 1e-9) for i in range(n)])
        if self.policy in ("forecast", "fixed"):
            known = [[o for vis, o in self.obs[i] if vis <= day] for i in range(n)]
            return ([estimate(known[i], float(caps[i]), self.priors[i], open_days=self.w.open_days[i])
                     for i in range(n)], calls)
        return None, calls

    def _choices(self, k: int, day: dt.date, sites: Sites, n_pickups: int) -> dict[int, sim_planner.Choice]:
        """The policy's relay points for today: mandatory, or optional with a penalty, and the m³ expected."""
        forecasts, calls = self._forecasts(k, day)
        wd, n, w, choice = day.weekday(), self.n, self.w, sim_planner.Choice
        noon = dt.datetime.combine(day, dt.time(12))
        if self.policy == "reactive":
            return {i: choice(True, None, float(self.caps[i])) for i in range(n) if calls[i] and wd in w.open_days[i]}
        assert forecasts is not None
        if self.policy == "fixed":
            return {i: choice(True, None, forecasts[i].expected_stock_at(noon))
                    for i in range(n) if self.fixed_day[i] == wd and wd in w.open_days[i]}
        # As the planner (dispatch/planning/day.py): the horizon rule gets the road matrix, the depot and
        # the day's home pickups, and works out each relay point's detour itself.
        final = decide(
            day,
            [HorizonInput(str(i), forecasts[i], w.open_days[i], reported_full=calls[i], site=1 + i,
                          closed_dates=frozenset(d for d in self.wr.closed[i] if d >= day))
             for i in range(n)],
            **self.settings.horizon_rule(), distances=sites.distances,
            anchor_sites=[0] + [1 + n + j for j in range(n_pickups)],
        )
        for key, d in final.items():
            if wd in w.open_days[int(key)]:
                self.last_decision[int(key)] = (day, d.decision, d.p_full_before_next_visit)
        return {int(key): choice(d.decision == MANDATORY, d.penalty, forecasts[int(key)].expected_stock_at(noon))
                for key, d in final.items() if d.decision in (MANDATORY, OPTIONAL)}

    def _drive(self, day: dt.date, route: Route, day_plan: sim_planner.DayPlan, breakdown: int | None,
               travel_rng: np.random.Generator, served: set[str]) -> None:
        """Drive ``route`` with noisy travel times, until the end or a ``breakdown`` (the rest is lost)."""
        problem, out = day_plan.problem, self.out
        assert problem is not None
        cap_v = day_plan.crews[route.vehicle].van.capacity_m3
        load, dist = 0.0, 0
        t = t0 = route.steps[0].arrival
        loc = route.steps[0].location
        for step in route.steps[1:]:
            if step.type == "break":
                t += step.service
                continue
            nloc = step.location
            if nloc is None:
                continue
            leg = problem.durations[loc][nloc] * float(travel_rng.lognormal(0.0, self.cfg.travel_noise))
            if breakdown is not None and t + leg > breakdown:
                t = breakdown
                break  # the van is towed: the rest of the round is lost
            t += leg
            dist += problem.distances[loc][nloc]  # the end step's leg too: back at the depot
            loc = nloc
            cand = day_plan.candidates.get(step.id or "")
            if step.type == "reload":
                t += step.service  # the settings' unload_service_s
                load = 0.0
            elif cand is not None and cand.kind is StopKind.RELAY_POINT:
                t, load = self._empty(day, cand, t, load, cap_v)
            elif cand is not None:  # a home pickup: its slot, volume and service time as planned
                a, b = cand.windows[0]
                if t > b:
                    continue  # too late for the promised slot
                t = max(t, a) + cand.service_s
                load = min(cap_v, load + cand.expected_m3)
                out.collected_m3 += cand.expected_m3
                served.add(cand.key)
        out.km += dist / 1000.0
        out.van_hours += (t - t0) / 3600.0

    def _empty(self, day: dt.date, cand: Candidate, t: float, load: float, cap_v: float) -> tuple[float, float]:
        """The van (``cap_v`` m³, ``load`` on board) reaches relay point ``cand`` at ``t`` and empties it as far
        as it has room: when it leaves and its load then. Too late for the closing time: missed, nothing changes."""
        i, out = cand.record_id, self.out
        wins = self.windows[i]
        service = self.settings.relay_service_s(self.stock[i])  # what is really there
        start = next((max(t, a) for a, b in wins if t <= b - service), None)
        if start is None:
            out.stops_missed += 1  # too late: closed
            return t, load
        self._add(i, frac_open(wins, int(start)))
        take = min(self.stock[i], max(0.0, cap_v - load))
        self.stock[i] -= take
        left = float(self.stock[i])
        out.relay_collected_m3 += take
        self.visited_on[i] = day
        out.collected_m3 += take
        out.relay_visits += 1
        out.visit_fill.append(float((take + left) / self.caps[i]))
        out.visit_kind.append("mandatory" if cand.mandatory else "optional")
        out.visit_expected.append(float(cand.expected_m3 / self.caps[i]))
        at = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=int(start))
        # the driver reports what was loaded, and what is left
        self.obs[i].append((day + dt.timedelta(days=1), Observation(
            at, stock_m3=take + left, full=bool(self.was_full[i] and take + left >= self.caps[i] - 1e-6),
            reset_to_m3=left)))
        self.full_call[i] = None
        self.called[i] = False
        return start + service, load + take

    # ---- the evening: the rest of the day's donations, the hosts' reports

    def _evening(self, k: int, day: dt.date) -> None:
        cfg, wr, caps, stock, wd = self.cfg, self.wr, self.caps, self.stock, day.weekday()
        rng_rep = np.random.default_rng([self.seed, k, 4])
        u_call, u_delay, u_level, z_level = (rng_rep.random(self.n), rng_rep.random(self.n), rng_rep.random(self.n),
                                             rng_rep.normal(0.0, 1.0, self.n))
        evening = dt.datetime.combine(day, dt.time(19))
        for i in range(self.n):
            self._add(i, 1.0)
            if self.was_full[i] or stock[i] >= caps[i] - 1e-9:
                self.out.full_days += 1
            call_at = 1.0 if wr.call_at is None else float(wr.call_at[i])
            reports = True if wr.reports is None else bool(wr.reports[i])
            open_today = wd in self.w.open_days[i]
            if stock[i] >= min(caps[i] - 1e-9, call_at * caps[i]):
                if not self.called[i] and open_today and u_call[i] < cfg.p_full_report and reports:
                    visible = day + dt.timedelta(days=1 + (0 if u_delay[i] < 0.6 else 1))
                    self.full_call[i] = visible
                    self.called[i] = True
                    self.obs[i].append((visible, Observation(evening, full=True)))
            elif open_today and u_level[i] < cfg.p_level_report and reports:
                level = min(0.9, max(0.0, round((stock[i] / caps[i] + cfg.level_noise * z_level[i]) * 10) / 10))
                visible = day + dt.timedelta(days=1 + (1 if u_delay[i] < 0.3 else 0))
                self.obs[i].append((visible, Observation(evening, stock_m3=level * float(caps[i]))))
