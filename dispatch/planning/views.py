"""Plain view objects of a planned day, for the API, the CLI summary and manifests.

Built from the ORM once, inside the session; holds no ORM objects afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from dispatch.models import Plan, Stop, StopKind, UnassignedVisit
from dispatch.planning.plans import latest_plan


@dataclass(frozen=True)
class StopView:
    position: int
    kind: str
    name: str
    address: str | None
    lat: float | None
    lon: float | None
    planned_arrival: dt.datetime
    service_minutes: int
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    expected_m3: float
    load_after_m3: float
    relay_point_id: int | None
    pickup_request_id: int | None
    access_notes: str | None
    contact: str | None
    # Plan editing: the stop's id (edits name it) and whether it is locked for re-optimisation.
    stop_id: int | None = None
    locked: bool = False
    # A home pickup's floor and lift (shown in the reader's language), and what the stop needs of the crew
    # and why, as planned ({"needs": [...], "why": [...]}: documents/plan_texts.py says it).
    floor: int | None = None
    has_lift: bool | None = None
    requirements: dict | None = None


@dataclass(frozen=True)
class RoundView:
    id: int
    van: str
    van_capacity_m3: float
    crew: str | None
    start_at: dt.datetime
    end_at: dt.datetime
    distance_km: float
    duration_minutes: int
    load_m3: float
    stops: tuple[StopView, ...]
    # Plan editing: planned / in_progress / done, and the rules a forced edit broke.
    status: str = "planned"
    warnings: tuple[dict, ...] = ()

    @property
    def visits(self) -> tuple[StopView, ...]:
        return tuple(s for s in self.stops if s.kind in (StopKind.RELAY_POINT.value, StopKind.PICKUP.value))


@dataclass(frozen=True)
class UnassignedView:
    kind: str
    name: str
    relay_point_id: int | None
    pickup_request_id: int | None
    mandatory: bool
    reason: str
    detail: str  # English, as stored (API, CLI); pages render ``reason`` and ``params`` (documents/plan_texts.py)
    address: str | None = None
    params: dict | None = None


@dataclass(frozen=True)
class DayView:
    plan_id: int
    date: dt.date
    status: str
    solver_status: str
    explanation: str | None
    time_limit_s: float
    solve_seconds: float
    matrix_seconds: float
    rounds: tuple[RoundView, ...]
    unassigned: tuple[UnassignedView, ...]
    # Why each relay point is or is not visited today (rolling-horizon decisions), plain dicts.
    relay_point_decisions: tuple[dict, ...] = ()
    # Vans not used that day and why (maintenance, absent crew...): dispatch/fleet/calendars.py.
    vans_out: tuple[dict, ...] = ()
    version: int = 1  # plan editing: optimistic concurrency
    # Every visit of the plan by its key ("rp:3", "pu:7") -> "name (address)": pages name visits this way.
    names: dict = field(default_factory=dict)
    balanced: bool = False  # the plan was asked to balance the crews' working time

    @property
    def work_minutes(self) -> tuple[tuple[str, int], ...]:
        """Each working crew's time (or its van's name), first departure to last return, in minutes."""
        return tuple((r.crew or r.van, r.duration_minutes) for r in self.rounds if r.visits)

    @property
    def spread_minutes(self) -> int:
        """The longest working day minus the shortest, over the crews that work (0 with one crew)."""
        times = [m for _, m in self.work_minutes]
        return max(times) - min(times) if times else 0

    @property
    def stop_count(self) -> int:
        return sum(len(r.visits) for r in self.rounds)

    @property
    def distance_km(self) -> float:
        return round(sum(r.distance_km for r in self.rounds), 1)

    @property
    def load_m3(self) -> float:
        return round(sum(r.load_m3 for r in self.rounds), 2)


def _stop_view(stop: Stop) -> StopView:
    if stop.kind is StopKind.RELAY_POINT and stop.relay_point is not None:
        rp = stop.relay_point
        name, address, lat, lon = rp.name, rp.address, rp.lat, rp.lon
        notes = rp.access_notes
        contact = " ".join(x for x in (rp.contact_name, rp.contact_phone) if x) or None
    elif stop.kind is StopKind.PICKUP and stop.pickup_request is not None:
        pu = stop.pickup_request
        name, address, lat, lon = pu.donor_name, pu.address, pu.lat, pu.lon
        parts = []
        if pu.access_code:
            parts.append(f"code {pu.access_code}")
        if pu.notes:
            parts.append(pu.notes)
        notes = "; ".join(parts) or None
        contact = pu.phone
    elif stop.kind is StopKind.UNLOAD:
        depot = stop.round.van.depot
        name, address, lat, lon = "Déchargement au dépôt", depot.address, depot.lat, depot.lon
        notes, contact = None, None
    else:
        name, address, lat, lon, notes, contact = "Pause déjeuner", None, None, None, None, None
    return StopView(
        position=stop.position, kind=stop.kind.value, name=name, address=address, lat=lat, lon=lon,
        planned_arrival=stop.planned_arrival, service_minutes=round(stop.service_s / 60),
        window_start=stop.window_start, window_end=stop.window_end, expected_m3=round(stop.expected_m3, 2),
        load_after_m3=round(stop.load_after_m3, 2), relay_point_id=stop.relay_point_id,
        pickup_request_id=stop.pickup_request_id, access_notes=notes, contact=contact,
        stop_id=stop.id, locked=bool(stop.locked), requirements=stop.requirements,
        floor=stop.pickup_request.floor if stop.pickup_request is not None else None,
        has_lift=stop.pickup_request.has_lift if stop.pickup_request is not None else None,
    )


def _unassigned_view(un: UnassignedVisit) -> UnassignedView:
    address = None
    if un.relay_point is not None:
        name, address = un.relay_point.name, un.relay_point.address
    elif un.pickup_request is not None:
        name, address = f"{un.pickup_request.ref} {un.pickup_request.donor_name}", un.pickup_request.address
    else:
        name = "?"
    return UnassignedView(
        kind=un.kind.value, name=name, relay_point_id=un.relay_point_id, pickup_request_id=un.pickup_request_id,
        mandatory=un.mandatory, reason=un.reason, detail=un.detail, address=address, params=un.params,
    )


def _names(rounds: tuple[RoundView, ...], unassigned: tuple[UnassignedView, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in [s for r in rounds for s in r.stops] + list(unassigned):
        key = (f"rp:{item.relay_point_id}" if item.relay_point_id is not None else
               f"pu:{item.pickup_request_id}" if item.pickup_request_id is not None else None)
        if key:
            out[key] = f"{item.name} ({item.address})" if item.address else item.name
    return out


def plan_view(plan: Plan) -> DayView:
    rounds = tuple(
        RoundView(
            id=r.id, van=r.van.name, van_capacity_m3=r.van.capacity_m3, crew=r.crew.name if r.crew else None,
            start_at=r.start_at, end_at=r.end_at, distance_km=round(r.distance_m / 1000, 1),
            duration_minutes=round(r.duration_s / 60), load_m3=round(r.load_m3, 2),
            stops=tuple(_stop_view(s) for s in r.stops),
            status=r.status or "planned", warnings=tuple(r.warnings or ()),
        )
        for r in plan.rounds
    )
    unassigned = tuple(_unassigned_view(u) for u in plan.unassigned)
    return DayView(
        plan_id=plan.id, date=plan.date, status=plan.status.value, solver_status=plan.solver_status,
        explanation=plan.explanation, time_limit_s=plan.time_limit_s, solve_seconds=plan.solve_seconds,
        matrix_seconds=plan.matrix_seconds, rounds=rounds, unassigned=unassigned, names=_names(rounds, unassigned),
        relay_point_decisions=tuple(plan.relay_point_decisions or ()),
        vans_out=tuple(plan.vans_out or ()),
        version=plan.version or 1, balanced=bool(plan.balanced),
    )


@dataclass(frozen=True)
class VanOutView:
    """A van not used on a day and why (``reason``: inactive / maintenance / no_crew), in both languages.
    ``since_plan``: out by the calendars now but used by the day's plan (re-plan); ``back``: listed by
    the plan but available again now."""

    van_id: int | None
    van: str
    crew: str | None
    reason: str
    detail: str
    detail_fr: str
    since_plan: bool = False
    back: bool = False

    def text(self, lang: str) -> str:
        return self.detail_fr if lang == "fr" else self.detail


def _van_out(entry: dict, **flags: bool) -> VanOutView:
    detail = entry.get("detail") or entry.get("reason") or ""
    return VanOutView(van_id=entry.get("van_id"), van=entry.get("van") or "?", crew=entry.get("crew"),
                      reason=entry.get("reason") or "inactive", detail=detail,
                      detail_fr=entry.get("detail_fr") or detail, **flags)


def day_vans_out(day: dt.date, view: DayView | None, *, session: Session) -> tuple[VanOutView, ...]:
    """The vans (and their crews) not available on ``day`` and why: those the day's plan left out
    (``Plan.vans_out``) and those the calendars put out now (maintenance, absences, inactive) — a
    change since the plan is flagged, so the coordinator knows to re-plan."""
    from dispatch.fleet import fleet_for_day

    _, now_out = fleet_for_day(day, session=session)
    now = {o.get("van_id"): o for o in now_out}
    if view is None:
        return tuple(_van_out(o) for o in now_out)
    planned = {o.get("van_id"): o for o in view.vans_out}
    out = [_van_out(now.get(vid, o), back=vid not in now) for vid, o in planned.items()]
    used = {r.van for r in view.rounds if r.visits}
    out += [_van_out(o, since_plan=o.get("van") in used) for vid, o in now.items() if vid not in planned]
    return tuple(out)


def day_view(day: dt.date, *, session: Session) -> DayView | None:
    plan = latest_plan(day, session=session)
    return plan_view(plan) if plan is not None else None


def format_summary(view: DayView) -> str:
    """The day's summary as printed by the CLI."""
    lines = [
        f"Plan {view.plan_id} for {view.date.isoformat()} ({view.status}, solver: {view.solver_status})",
        f"  {len(view.rounds)} rounds, {view.stop_count} stops, {view.distance_km:.1f} km, {view.load_m3:.1f} m³ "
        f"(matrix {view.matrix_seconds:.2f} s, solve {view.solve_seconds:.1f} s of {view.time_limit_s:g} s)",
    ]
    for r in view.rounds:
        lunch = next((s for s in r.stops if s.kind == StopKind.BREAK.value), None)
        unloads = sum(s.kind == StopKind.UNLOAD.value for s in r.stops)
        lines.append(
            f"  - {r.van} ({r.van_capacity_m3:g} m³) / {r.crew or '-'}: {r.start_at:%H:%M}-{r.end_at:%H:%M}, "
            f"{len(r.visits)} stops, {r.distance_km:.1f} km, {r.load_m3:.1f} m³ collected"
            + (f", {unloads} unloading trip{'s' if unloads > 1 else ''}" if unloads else "")
            + (f", lunch {lunch.planned_arrival:%H:%M}" if lunch else "")
        )
    if view.relay_point_decisions:
        counts = {k: sum(d["decision"] == k for d in view.relay_point_decisions)
                  for k in ("mandatory", "optional", "skip")}
        lines.append(
            f"  Relay points open today: {counts['mandatory']} must be visited, {counts['optional']} worth a visit "
            f"if it fits, {counts['skip']} not needed (forecast over the next collection days)"
        )
    for out in view.vans_out:  # vans not used today (maintenance, absent crew...)
        lines.append(f"  Not used: {out['detail']}")
    if view.work_minutes:
        lines.append("  Working time: " + ", ".join(f"{who} {m // 60} h {m % 60:02d}" for who, m in view.work_minutes)
                     + f"; spread {view.spread_minutes} min" + (" (balanced)" if view.balanced else ""))
    if view.explanation:
        lines.append(f"  {'Infeasible' if view.solver_status == 'infeasible' else 'Note'}: {view.explanation}")
    lines.append(f"  Unassigned: {len(view.unassigned)}")
    for u in view.unassigned:
        flag = " (mandatory)" if u.mandatory else ""
        lines.append(f"  - {u.name}{flag}: {u.reason}: {u.detail}")
    return "\n".join(lines)
