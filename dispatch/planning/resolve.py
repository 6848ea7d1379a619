"""Re-solving a plan in three steps: read it at a version, solve with no transaction open, write.

A re-optimisation (``planning/reoptimise.py``) or a mid-day re-plan (``planning/replan.py``) is read
from the plan at a version into a :class:`Prepared` (its ``ctx`` holds the solver problem), solved by
:func:`solve_prepared` without the database, then written by
:func:`dispatch.planning.resolve_write.store_prepared` in one transaction, only if the plan is still at
that version, so that the API runs them as jobs (``dispatch/jobs/runner.py``). A search that finds no
round changes nothing (:class:`~dispatch.errors.Infeasible`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from dispatch.errors import Conflict, Infeasible, InvalidInput
from dispatch.models import Crew, Plan, Round
from dispatch.planning import problem as builder
from dispatch.planning.edit_context import VISIT_KINDS, Context, stop_key
from dispatch.settings import Settings

MAX_REOPTIMISE_S = 300.0  # re-optimisation and re-plan run as jobs (dispatch/jobs/runner.py)
_MANDATORY_PENALTY = 10**9  # a mandatory visit's price when the search must be allowed to leave it out
NOT_TOGETHER = "it could be served on its own"  # the start of the detail of a visit a relaxed solve left out


@dataclass
class Prepared:
    """A re-optimisation or mid-day re-plan read from the plan at ``version``, ready to be solved
    without the database (``ctx`` holds the solver problem; its ORM objects are re-bound when stored).

    The three steps (:func:`~dispatch.planning.reoptimise.prepare_reoptimise` /
    :func:`~dispatch.planning.replan.prepare_replan`, :func:`solve_prepared`,
    :func:`~dispatch.planning.resolve_write.store_prepared`) let a job read, solve with no transaction
    open, then write in one transaction, only if the plan is still at ``version``."""

    op: str  # "reoptimise" | "replan"
    plan_id: int
    version: int
    ctx: Context
    limit: float
    seed: int | None
    # The re-plan only: round id -> ids of the stops kept as they are, the metres already driven,
    # the litres on board; the stops that had an outcome (collected / missed) when it was read.
    detail: dict[str, Any] = field(default_factory=dict)
    kept: dict[int, list[int]] = field(default_factory=dict)
    offsets: dict[int, int] = field(default_factory=dict)
    outcomes: frozenset[int] = frozenset()
    # The re-optimisation only: the draft's rounds as the solver's starting plan (vehicle id, visit
    # ids in order), so that re-optimising never ends with a plan the solver scores worse than the draft.
    initial: tuple[tuple[str, tuple[str | None, ...]], ...] = ()


def edit_time_limit(settings: Settings, time_limit_s: float | None) -> float:
    """The time limit of a re-optimisation or re-plan: the one asked (checked), else the settings' (at most 10 s)."""
    if time_limit_s is not None and not 0 < time_limit_s <= MAX_REOPTIMISE_S:
        raise InvalidInput(f"time_limit_s must be more than 0 and at most {MAX_REOPTIMISE_S:g} s",
                           field="time_limit_s")
    return min(MAX_REOPTIMISE_S, time_limit_s or min(settings.solve_time_limit_s, 10.0))


def _solve(problem: builder.Problem, settings: Settings, limit: float, seed: int | None, *,
           progress: Callable[[dict], object] | None = None,
           initial: tuple[tuple[str, tuple[str | None, ...]], ...] = ()) -> builder.Solution:
    """Solve (from the ``initial`` plan when given: see ``builder.SolveOptions.initial_routes``); a
    search that serves nothing (no solution found in time) changes nothing: 422."""
    options = builder.SolveOptions(time_limit_s=limit, seed=settings.solve_seed if seed is None else seed,
                                  solution_limit=settings.solve_solution_limit, progress=progress,
                                  initial_routes=initial)
    solution = builder.solve(problem, options)
    if problem.visits and not solution.routes:
        # Nothing found in time (an overloaded day): let the search leave mandatory visits out, at a
        # prohibitive price, so that it starts from a partial plan; those left out are reported as such.
        relaxed = dataclasses.replace(problem, visits=tuple(
            v if v.penalty is not None else dataclasses.replace(v, penalty=_MANDATORY_PENALTY) for v in problem.visits))
        partial = builder.solve(relaxed, options)
        if partial.routes:
            mandatory = {v.id for v in problem.visits if v.penalty is None}
            said = (NOT_TOGETHER + ", but not together with the rest of the plan "
                    "(vehicles, capacity, time windows or shifts run out)")
            unassigned = tuple(dataclasses.replace(u, detail=said) if u.id in mandatory and u.reason is
                               builder.Reason.COST else u for u in partial.unassigned)
            missing = [u for u in unassigned if u.id in mandatory]
            solution = dataclasses.replace(
                partial, unassigned=unassigned, status=builder.Status.INFEASIBLE if missing else partial.status,
                explanation=(f"{len(missing)} mandatory visit(s) cannot be served: "
                             + "; ".join(f"{u.id!r} ({u.reason.value}: {u.detail})" for u in missing))
                if missing else partial.explanation)
    if problem.visits and not solution.routes:
        raise Infeasible(
            f"no round could be built within {limit:g} s ({solution.explanation or 'no solution found'}); "
            f"the plan is unchanged: retry with a longer time_limit_s (at most {MAX_REOPTIMISE_S:g} s)",
            field="time_limit_s",
        )
    return solution


def locked_problem(ctx: Context, plan: Plan, rounds: list[Round], skip: set[int] = frozenset()) -> builder.Problem:
    """Locked stops: same vehicle, relative order, served (``builder.pin_sequences``); their candidates in
    ``ctx`` are marked mandatory (``builder.pinned_candidates``), so one left out is reported as such."""
    seqs = []
    for rnd in rounds:
        vid = f"crew:{rnd.crew_id}"
        if vid not in ctx.crews:
            continue  # its crew or van is out today: its stops go to the vans that work
        seqs.append((vid, [stop_key(s) for s in rnd.stops if s.kind in VISIT_KINDS and s.locked and s.id not in skip
                           and stop_key(s) in ctx.candidates]))
    problem = builder.pin_sequences(ctx.problem, seqs)
    ctx.candidates = builder.pinned_candidates(ctx.candidates, problem)
    return problem


def solve_prepared(prep: Prepared, settings: Settings, *,
                   progress: Callable[[dict], object] | None = None) -> builder.Solution:
    """Solve (no database needed). ``progress`` is the solver's callback (a truthy answer stops it)."""
    return _solve(prep.ctx.problem, settings, prep.limit, prep.seed, progress=progress, initial=prep.initial)


def rebind(prep: Prepared, plan: Plan, *, session: Session) -> Context:
    """The prepared context's plan and crews taken again from ``session`` (a crew removed meanwhile: 409)."""
    ctx = prep.ctx
    ctx.plan = plan
    ctx.crews = {vid: session.get(Crew, int(vid.split(":")[1])) for vid in ctx.crews}
    missing = [vid for vid, crew in ctx.crews.items() if crew is None or crew.van is None]
    if missing:
        raise Conflict(f"crew {missing[0].split(':')[1]} was removed while the {prep.op} ran; nothing was "
                       f"written: start it again", field="crews")
    return ctx
