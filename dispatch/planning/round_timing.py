"""A round timed and checked: the solver's plan mode over an editing context, its broken rules in words.

:func:`schedule` times a vehicle's round in a given order (visit keys, None for an unloading stop at
the depot) with ``builder.plan_route`` and names every hard rule the order breaks (time window, shift
end, capacity, skill, break, a visit closed that day), in clock times and names, never seconds or
solver ids. :func:`plain` and :func:`describe` say those violations in a coordinator's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dispatch.planning import problem as builder
from dispatch.planning.edit_context import Context
from dispatch.planning.problem import LITRES_PER_M3


@dataclass
class Timed:
    route: builder.Route
    violations: list[dict[str, Any]]
    order: list[str | None]  # visit keys, None = unloading at the depot


# Violation causes (``solver.CAUSES``) as the rules a round breaks; any other cause is "schedule".
_RULES = {"time_window": "time_window", "shift_end": "shift_end", "max_work_time": "shift_end",
          "capacity": "capacity", "skill": "skill", "break": "break"}


def _normalise(ctx: Context, v: builder.Vehicle, order: list[str | None]) -> list[str | None]:
    """Unloading stops kept consistent: none first, last or twice in a row; one added before a visit
    that would overflow the van (within the day's unloading trips)."""
    demand = {vis.id: vis.demand[0] for vis in ctx.problem.visits}
    out: list[str | None] = []
    load = v.initial_load()[0]
    reloads = 0
    for item in order:
        if item is None:
            if out and out[-1] is not None and v.reload_location is not None:
                out.append(None)
                load, reloads = 0, reloads + 1
            continue
        if (load + demand[item] > v.capacity[0] and v.reload_location is not None and reloads < v.max_reloads
                and (out and out[-1] is not None or load > 0)):
            out.append(None)
            load, reloads = 0, reloads + 1
        out.append(item)
        load += demand[item]
    while out and out[-1] is None:
        out.pop()
    while out and out[0] is None and not any(v.start_load):
        out.pop(0)
    return out


def schedule(ctx: Context, vid: str, order: list[str | None], *, break_leg: int | None = None) -> Timed:
    """Time the round of vehicle ``vid`` visiting ``order`` (keys; None = unload) and check it.

    Unloading stops are made consistent (:func:`_normalise`); the lunch break is placed in the leg
    that ends the day earliest (``break_leg``, where it was, is kept for reference only). A feasible
    schedule has no violations; otherwise the schedule is built with windows, shift and capacity
    relaxed and ``builder.plan_route`` names every rule it breaks.
    """
    problem = ctx.problem
    k = ctx.vehicle_index(vid)
    v = problem.vehicles[k]
    order = _normalise(ctx, v, order)
    planned = builder.plan_route(problem, vid, order)
    return Timed(planned.route, _violations(ctx, planned.violations, order, k, planned.route), order)


def _violations(ctx: Context, errors: tuple[builder.Violation, ...], order: list[str | None], k: int,
                route: builder.Route) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key in order:
        if key is not None and not ctx.candidates[key].windows:
            out.append({"visit": key, "stop": ctx.names.get(key, key), "rule": "closed",
                        "detail": f"{ctx.names.get(key, key)} is closed on {ctx.plan.date.isoformat()}"})
    for error in errors:
        if error.cause == "summary":
            continue
        visit, rule = error.visit, _RULES.get(error.cause, "schedule")
        if rule == "time_window" and visit and not ctx.candidates[visit].windows:
            continue  # already said: closed that day
        out.append({"visit": visit, "stop": ctx.names.get(visit, "lunch break" if rule == "break" else "round"),
                    "rule": rule, "detail": error.detail, **_clock(ctx, k, route, visit, rule)})
    return out


def _hhmm(seconds: int | None) -> str | None:
    return None if seconds is None else f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _clock(ctx: Context, k: int, route: builder.Route, visit: str | None, rule: str) -> dict[str, Any]:
    """A violation in clock times and names (never seconds since midnight or solver ids): when the van
    would get there, the visit's hours, the round's end and the crew's shift end, the van's capacity."""
    v = ctx.problem.vehicles[k]
    crew = ctx.crews.get(v.id)
    out: dict[str, Any] = {"crew": crew.name if crew else None}
    step = next((st for st in route.steps if st.type == "visit" and st.id == visit), None) if visit else None
    if step is not None:
        out["at"] = _hhmm(step.arrival + step.waiting_time)
    if rule == "time_window" and visit in ctx.candidates:
        cand = ctx.candidates[visit]
        shown = cand.shown_windows or cand.windows
        out["hours"] = ", ".join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in shown)
    if rule == "shift_end":
        out["end"], out["shift_end"] = _hhmm(route.steps[-1].arrival), _hhmm(v.shift.end)
    if rule == "capacity":
        out["capacity_m3"] = v.capacity[0] / LITRES_PER_M3 if v.capacity else None
    return out


def plain(w: dict[str, Any]) -> str:
    """One violation in a coordinator's words (English; the day page says it in French from the same fields)."""
    if w["rule"] == "time_window" and w.get("at"):
        return f"{w['stop']} would be reached at {w['at']}, outside its hours ({w.get('hours') or '—'})"
    if w["rule"] == "closed":
        return w["detail"]
    if w["rule"] == "shift_end" and w.get("end"):
        return f"the round of {w.get('crew') or 'the crew'} would end at {w['end']}, after its shift ends at " \
               f"{w['shift_end']}"
    if w["rule"] == "capacity":
        return f"the van of {w.get('crew') or 'the crew'} would be over its {w.get('capacity_m3') or 0:g} m³"
    if w["rule"] == "break":
        return f"the lunch break of {w.get('crew') or 'the crew'} would not fit in its window"
    return f"{w['stop']}: {w['rule']}"


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(plain(w) for w in violations)
