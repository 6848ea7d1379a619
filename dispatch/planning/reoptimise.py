"""Re-optimise a draft: its visits re-solved, locked stops kept in their round and order.

:func:`prepare_reoptimise` reads a draft at a version as a solver problem: the visits of its rounds
(locked ones in their round and order), mandatory visits the solver had left out tried again, dropped
visits left out; the draft's rounds are the search's starting plan, so re-optimising never ends with a
plan the solver scores worse than the draft. :func:`reoptimise` runs the three steps in one transaction
(the API runs them as a job: ``dispatch/jobs/runner.py``). Services flush, never commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dispatch.models import PickupStatus, Plan, Round, StopKind
from dispatch.planning import problem as builder
from dispatch.planning.edit_context import EXCLUDED_REASONS, VISIT_KINDS, Context, build_context, stop_key
from dispatch.planning.problem import Candidate
from dispatch.planning.resolve import Prepared, edit_time_limit, locked_problem, solve_prepared
from dispatch.planning.resolve_write import store_prepared
from dispatch.planning.versions import open_plan
from dispatch.roads import RoadNetwork
from dispatch.settings import Settings


def _retry_candidates(plan: Plan, settings: Settings, *, session: Session, exclude: set[str]) -> list[Candidate]:
    """Mandatory visits the solver had left out (not dropped by hand, not closed or off the map)."""
    out = []
    for un in plan.unassigned:
        key = stop_key(un)
        if not un.mandatory or un.reason in EXCLUDED_REASONS or un.reason == "dropped" or key in exclude:
            continue
        if un.relay_point is not None:
            out.append(builder.relay_candidate(un.relay_point, plan.date, settings, mandatory=True,
                                                  require_open=True))
        elif un.pickup_request is not None and un.pickup_request.status in (PickupStatus.ACCEPTED,
                                                                            PickupStatus.SCHEDULED):
            out.append(builder.pickup_candidate(un.pickup_request, settings))
    return [c for c in out if c.windows]



def prepare_reoptimise(plan_id: int, settings: Settings, network: RoadNetwork, *, session: Session,
                       version: int | None, time_limit_s: float | None = None, seed: int | None = None,
                       lock: bool = True) -> Prepared:
    """Read a draft at ``version`` as a solver problem: the visits of its rounds (locked ones in their
    round and order), mandatory ones the solver had left out; dropped visits stay out."""
    plan = open_plan(plan_id, version, session=session, lock=lock)
    limit = edit_time_limit(settings, time_limit_s)
    in_rounds = {stop_key(s) for r in plan.rounds for s in r.stops if s.kind in VISIT_KINDS}
    retry = _retry_candidates(plan, settings, session=session, exclude=in_rounds)
    ctx = build_context(plan, settings, network, session=session, extra=retry)
    rounds = [r for r in plan.rounds if r.crew_id is not None]
    ctx.problem = locked_problem(ctx, plan, rounds)
    before = {s.id: (s.round_id, s.position) for r in rounds for s in r.stops if s.kind in VISIT_KINDS}
    return Prepared("reoptimise", plan.id, plan.version, ctx, limit, seed,
                    detail={"before": before, "draft": True}, initial=_draft_routes(ctx, rounds))


def _draft_routes(ctx: Context, rounds: list[Round]) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
    """The rounds' visits in order (None: an unloading stop), per solver vehicle, as far as the
    problem has them."""
    vehicles = {v.id for v in ctx.problem.vehicles}
    visits = {v.id for v in ctx.problem.visits}
    seen: set[str] = set()
    out = []
    for rnd in rounds:
        vid = f"crew:{rnd.crew_id}"
        if vid not in vehicles:
            continue
        vehicles.discard(vid)  # one route per vehicle
        keys: list[str | None] = []
        for s in rnd.stops:
            if s.kind is StopKind.UNLOAD:
                keys.append(None)  # the van goes back to the depot to unload
                continue
            key = stop_key(s) if s.kind in VISIT_KINDS else None
            if key in visits and key not in seen:
                seen.add(key)
                keys.append(key)
        out.append((vid, tuple(keys)))
    return tuple(out)


def reoptimise(plan_id: int, settings: Settings, network: RoadNetwork, *, session: Session, version: int | None,
               actor: str, time_limit_s: float | None = None, seed: int | None = None) -> Plan:
    """Re-solve a draft in this transaction (the API runs it as a job: dispatch/jobs/runner.py): the visits of
    its rounds stay in (locked ones in their round and order), dropped visits stay out, mandatory ones
    the solver had left out are tried again."""
    prep = prepare_reoptimise(plan_id, settings, network, session=session, version=version,
                              time_limit_s=time_limit_s, seed=seed)
    return store_prepared(prep, solve_prepared(prep, settings), session=session, actor=actor)
