"""A mid-day re-plan is a preview first: computed by a job, shown, applied only when confirmed.

The job (``dispatch/jobs/runner.py``, kind ``replan`` with ``params["preview"]``) solves the rest of the day
as :func:`dispatch.planning.replan.prepare_replan` reads it, and writes nothing to the plan: it keeps the
solution (:func:`solution_to_json`) and the differences (:func:`differences`: stops moved, added, left out,
times changed, km, per round) on the job. :func:`apply` writes that very solution onto the plan, as a new
version, only if nothing changed since (plan version, crews' reports, the visits to place) and only if
every booked home pickup is still served or was left out by name. Donors whose visit is left out or moves
by :data:`MOVED_MINUTES` or more get a recorded event (their tracking page says so). Services flush,
never commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session, object_session

from dispatch.planning import problem as builder  # dispatch's only door to the solver
from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.fleet import pickup_lifecycle
from dispatch.models import JobStatus, PickupRequest, Plan, PlanJob, StopKind
from dispatch.planning import replan, resolve, resolve_write, versions
from dispatch.planning.edit_context import VISIT_KINDS, stop_key
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings

MOVED_MINUTES = 15  # a donor is told when the visit moves by this much or more


def solution_to_json(solution: builder.Solution) -> dict[str, Any]:
    return {
        "status": solution.status.value, "explanation": solution.explanation,
        "summary": {f: getattr(solution.summary, f) for f in builder.Summary.__dataclass_fields__},
        "routes": [{"vehicle": r.vehicle, "cost": r.cost, "distance": r.distance, "duration": r.duration,
                    "service": r.service, "waiting_time": r.waiting_time, "load": list(r.load),
                    "steps": [[s.type, s.id, s.location, s.arrival, s.service, s.waiting_time, list(s.load),
                               s.distance] for s in r.steps]} for r in solution.routes],
        "unassigned": [[u.id, u.reason.value, u.detail] for u in solution.unassigned],
    }


def solution_from_json(data: dict[str, Any]) -> builder.Solution:
    summary = dict(data["summary"])
    summary["load"] = tuple(summary["load"])
    return builder.Solution(
        status=builder.Status(data["status"]), explanation=data.get("explanation") or "",
        summary=builder.Summary(**summary),
        routes=tuple(builder.Route(
            vehicle=r["vehicle"], cost=r["cost"], distance=r["distance"], duration=r["duration"],
            service=r["service"], waiting_time=r["waiting_time"], load=tuple(r["load"]),
            steps=tuple(builder.Step(t, i, loc, a, sv, w, tuple(ld), d) for t, i, loc, a, sv, w, ld, d in r["steps"]),
        ) for r in data["routes"]),
        unassigned=tuple(builder.Unassigned(i, builder.Reason(reason), detail) for i, reason, detail in data["unassigned"]),
    )


def drop_keys(refs: list[str], plan: Plan, *, session: Session) -> list[str]:
    """The visit keys of the booked pickups the coordinator names (their references, PU-...) to leave out."""
    from sqlalchemy import select

    keys = []
    for i, ref in enumerate(refs):
        pu = session.scalars(select(PickupRequest).where(PickupRequest.ref == ref.strip())).first()
        if pu is None or pu.date != plan.date:
            raise InvalidInput(f"{ref!r} is not a home pickup of {plan.date.isoformat()}: give its reference "
                               "(PU-...)", field=f"drop.{i}")
        keys.append(f"pu:{pu.id}")
    return keys


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _secs(t: dt.datetime) -> int:
    return t.hour * 3600 + t.minute * 60


def differences(plan: Plan, prep: resolve.Prepared, solution: builder.Solution) -> dict[str, Any]:
    """What the re-plan would change, in the coordinator's words (names, clock times, km), per round."""
    names = dict(prep.ctx.names)
    before: dict[str, tuple[str, int, int]] = {}  # key -> (crew, position among visits, planned seconds)
    rounds_before: dict[str, dict] = {}
    for rnd in plan.rounds:
        crew = rnd.crew.name if rnd.crew else rnd.van.name
        rounds_before[f"crew:{rnd.crew_id}"] = {"crew": crew, "km": round(rnd.distance_m / 1000, 1),
                                                "end": f"{rnd.end_at:%H:%M}"}
        visits = [s for s in rnd.stops if s.kind in VISIT_KINDS]
        for i, s in enumerate(visits, 1):
            key = stop_key(s)
            before[key] = (crew, i, _secs(s.planned_arrival))
            names.setdefault(key, s.relay_point.name if s.relay_point else
                             (s.pickup_request.donor_name if s.pickup_request else key))
    kept = {stop_key(s) for r in plan.rounds for s in r.stops
            if s.id in {i for ids in prep.kept.values() for i in ids} and s.kind in VISIT_KINDS}
    after: dict[str, tuple[str, int, int]] = {}
    rounds: list[dict] = []
    for route in solution.routes:
        crew = prep.ctx.crews[route.vehicle].name
        old = rounds_before.get(route.vehicle, {"crew": crew, "km": 0.0, "end": "—"})
        visits = [st for st in route.steps if st.type == "visit"]
        for i, st in enumerate(visits, 1):
            after[st.id] = (crew, i, st.arrival + st.waiting_time)
        rounds.append({"crew": crew, "km_before": old["km"], "end_before": old["end"],
                       "km_after": round((route.distance + prep.offsets.get(_round_id(plan, route.vehicle), 0))
                                         / 1000, 1),
                       "end_after": _hhmm(route.steps[-1].arrival), "changed_times": []})
    by_crew = {r["crew"]: r for r in rounds}
    moved, added, left_out = [], [], []
    for key, (crew, _, t) in after.items():
        if key not in before:
            added.append({"name": names.get(key, key), "crew": crew, "time": _hhmm(t)})
        elif before[key][0] != crew:
            moved.append({"name": names.get(key, key), "from": before[key][0], "to": crew,
                          "time_before": _hhmm(before[key][2]), "time_after": _hhmm(t)})
        elif abs(before[key][2] - t) >= 5 * 60:
            by_crew[crew]["changed_times"].append({"name": names.get(key, key), "before": _hhmm(before[key][2]),
                                                   "after": _hhmm(t)})
    dropped = set(prep.detail.get("dropped") or ())
    for key, (crew, _, t) in before.items():
        if key not in after and key not in kept:
            left_out.append({"name": names.get(key, key), "crew": crew, "time_before": _hhmm(t),
                             "booked_pickup": key.startswith("pu:"), "by_hand": key in dropped,
                             "ref": _ref(plan, key)})
    # Visits that were in no round before (a relay point now full, a pickup accepted since) and still are not.
    not_placed = [names.get(un.id, un.id) for un in solution.unassigned if un.id not in before]
    return {"at": prep.detail.get("at"), "rounds": rounds, "moved": moved, "added": added, "left_out": left_out,
            "not_placed": not_placed,
            "kept_as_reported": len(kept),
            "booked_left_out": [x["name"] for x in left_out if x["booked_pickup"] and not x["by_hand"]]}


def _ref(plan: Plan, key: str) -> str | None:
    """A pickup's reference (PU-...), what the coordinator names to drop it."""
    if not key.startswith("pu:"):
        return None
    pu = object_session(plan).get(PickupRequest, int(key.split(":")[1]))
    return pu.ref if pu is not None else None


def _round_id(plan: Plan, vehicle: str) -> int | None:
    return next((r.id for r in plan.rounds if f"crew:{r.crew_id}" == vehicle), None)


def _preview_job(job_id: str, plan_id: int, *, session: Session) -> PlanJob:
    job = session.get(PlanJob, job_id)
    if job is None or job.plan_id != plan_id or job.kind != "replan" or not (job.params or {}).get("preview"):
        raise NotFound(f"no re-plan preview {job_id} for plan {plan_id}", field="job_id")
    if job.status is not JobStatus.SUCCEEDED or "solution" not in (job.params or {}):
        raise Conflict(f"the re-plan preview is {job.status.value}: wait until it is ready", field="job_id")
    if (job.params or {}).get("applied"):
        raise Conflict("this re-plan preview was already applied", field="job_id")
    return job


def apply(job_id: str, plan_id: int, version: int | None, settings: Settings, network: RoadNetwork, *,
          session: Session, actor: str) -> Plan:
    """Write a previewed re-plan onto the plan (a new version), exactly as it was shown."""
    job = _preview_job(job_id, plan_id, session=session)
    params = dict(job.params)
    versions.open_plan(plan_id, version, session=session, draft=False)  # 428 / 409 on a stale version
    if version != job.plan_version:
        raise Conflict(f"the preview was computed on version {job.plan_version} of the plan, which is now at "
                       f"version {version}: preview the re-plan again", field="version")
    positions = [replan.VanPosition(**p) for p in params.get("positions") or ()]
    prep = replan.prepare_replan(plan_id, settings, network, session=session, version=version,
                                  at_s=params.get("at_s"), positions=positions, time_limit_s=job.time_limit_s,
                                  drop=frozenset(params.get("drop") or ()))
    if {v.id for v in prep.ctx.problem.visits} != set(params.get("visit_ids") or ()):
        raise Conflict("visits to place changed since the preview (a relay point reported full, a pickup "
                       "accepted or a crew's report): preview the re-plan again", field="job_id")
    if sorted(prep.outcomes) != sorted(params.get("outcomes") or ()):
        raise Conflict("crews reported stops since the preview: preview the re-plan again", field="job_id")
    booked = (job.progress or {}).get("preview", {}).get("booked_left_out") or []
    if booked:
        raise InvalidInput("this re-plan leaves booked home pickups out of the rounds: " + ", ".join(booked)
                           + "; name them to drop them (drop), or re-plan with more time or another van",
                           field="drop")
    before = {stop_key(s): s.planned_arrival for r in prep.ctx.plan.rounds for s in r.stops
              if s.kind is StopKind.PICKUP}
    plan = resolve_write.store_prepared(prep, solution_from_json(params["solution"]), session=session, actor=actor)
    _tell_donors(plan, before, actor, session=session)
    job.params = {**params, "applied": True, "applied_version": plan.version}
    session.flush()
    return plan


def _tell_donors(plan: Plan, before: dict[str, dt.datetime], actor: str, *, session: Session) -> None:
    """A recorded event on each booked pickup whose visit was left out or moved (the tracking page shows it)."""
    after = {stop_key(s): s.planned_arrival for r in plan.rounds for s in r.stops if s.kind is StopKind.PICKUP}
    for key, old in before.items():
        pu = session.get(PickupRequest, int(key.split(":")[1]))
        if pu is None:
            continue
        if key not in after:
            pickup_lifecycle.record_pickup_event(
                pu, session=session, detail="visit taken out of today's rounds at the re-plan: the coordination "
                                            "will call you to book another day")
        elif abs((after[key] - old).total_seconds()) >= MOVED_MINUTES * 60:
            pickup_lifecycle.record_pickup_event(
                pu, session=session, detail=f"visit moved from about {old:%H:%M} to about {after[key]:%H:%M}")
