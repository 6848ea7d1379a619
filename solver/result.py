"""The solver's output, shaped like VROOM's: status, summary, unassigned with
reasons, and routes with arrival and load at every step."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .search_params import SearchParams


class Status(str, Enum):
    SOLVED = "solved"  # a feasible solution was found (may have unassigned optional visits)
    INFEASIBLE = "infeasible"  # no solution serves every mandatory visit; see ``explanation``


class Reason(str, Enum):
    """Why a visit is in ``unassigned``; found by a real check, not guessed."""

    CAPACITY = "capacity"  # its demand exceeds every eligible vehicle's capacity
    TIME_WINDOW = "time_window"  # no eligible vehicle can arrive within its windows
    SHIFT = "shift"  # a round trip to it does not fit in any eligible shift / max work time
    SKILL = "skill"  # no vehicle has the skills it needs
    UNREACHABLE = "unreachable"  # no path between it and a depot
    COST = "cost"  # it could be served, but serving it costs more than its penalty / room ran out


@dataclass(frozen=True, slots=True)
class Step:
    # "start" | "visit" | "break" | "reload" | "end". A "reload" step is an unloading stop at the
    # vehicle's ``reload_location`` (``service`` = its ``reload_service``); the van is emptied, so
    # its ``load`` is all zeros.
    type: str
    id: str | None  # visit or break id; None for start/end/reload
    location: int | None  # None for a break
    arrival: int  # seconds from midnight
    service: int  # service (or break) duration in seconds
    waiting_time: int  # waited before starting service
    load: tuple[int, ...]  # load on board after this step
    distance: int  # cumulative metres driven when arriving here


@dataclass(frozen=True, slots=True)
class Route:
    vehicle: str
    steps: tuple[Step, ...]
    cost: int
    distance: int
    duration: int  # from start departure to end arrival, seconds
    service: int  # visit service + reload (unloading) time, seconds
    waiting_time: int
    load: tuple[int, ...]  # total collected over the day (sum of visit demands, across reloads)

    @property
    def visit_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps if s.type == "visit" and s.id is not None)

    @property
    def plan_ids(self) -> tuple[str | None, ...]:
        """The visit ids in order with None for each unloading stop (``SolveOptions.initial_routes``)."""
        return tuple(s.id if s.type == "visit" else None for s in self.steps if s.type in ("visit", "reload"))


@dataclass(frozen=True, slots=True)
class Unassigned:
    id: str
    reason: Reason
    detail: str  # plain-language explanation, e.g. "needs 25 m³, largest van holds 20 m³"


@dataclass(frozen=True, slots=True)
class Summary:
    cost: int
    routes: int
    unassigned: int
    distance: int
    duration: int
    service: int
    waiting_time: int
    load: tuple[int, ...]
    solve_seconds: float
    # The fair-work term (``Problem.balance``) included in ``cost``; 0 without balancing.
    balance_cost: int = 0
    # Parallel searches that gave a result (``SolveOptions.workers`` asked), and why the others gave none.
    workers: int = 1
    worker_failures: tuple[str, ...] = ()


def summarise(
    routes: Sequence[Route], *, unassigned: int, penalties: int, balance: int, dims: int, since: float, **extra: Any
) -> Summary:
    """The summary of ``routes``: totals per route field, ``penalties`` of the optional visits left out and the
    fair-work term in the cost, solve time from ``since`` (``time.monotonic()``); ``extra``: workers fields."""
    return Summary(
        cost=sum(r.cost for r in routes) + penalties + balance,
        routes=len(routes),
        unassigned=unassigned,
        distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        service=sum(r.service for r in routes),
        waiting_time=sum(r.waiting_time for r in routes),
        load=tuple(sum(r.load[d] for r in routes) for d in range(dims)),
        solve_seconds=round(time.monotonic() - since, 3),
        balance_cost=balance,
        **extra,
    )


def missing_explanation(missing: Sequence[Unassigned]) -> str:
    """Which mandatory visits cannot be served, and why ("" when none)."""
    if not missing:
        return ""
    parts = [f"{u.id!r} ({u.reason.value}: {u.detail})" for u in missing]
    return f"{len(missing)} mandatory visit(s) cannot be served: " + "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Solution:
    status: Status
    summary: Summary
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    # When status is INFEASIBLE: why, in plain words (which mandatory visits clash with what).
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class SolveOptions:
    time_limit_s: float = 10.0
    seed: int = 0
    # Stop after this many improving solutions (for deterministic tests); None = time only.
    solution_limit: int | None = None
    first_solution: str = "auto"  # "auto" picks by problem type
    log_search: bool = False
    # Number of searches run in parallel (a portfolio of differently configured OR-Tools searches,
    # each in its own process; the best plan wins). 1 = a single in-process search (deterministic
    # with ``solution_limit``). See ``solver/portfolio.py``.
    workers: int = 1
    # Called at each improving solution of the (in-process) search with a dict: ``best_cost`` (lowest
    # objective so far), ``cost`` (this solution's), ``solutions`` (count), ``elapsed_s``. Returning
    # a truthy value stops the search early (the best solution so far is kept). Never sent to
    # portfolio children or decomposition workers (not picklable in general).
    progress: Callable[[dict[str, Any]], object] | None = field(default=None, compare=False, repr=False)
    # A plan to start from (a warm start): per vehicle id, its visit ids in order, None for an
    # unloading stop (``Vehicle.reload_location``). The search begins from it instead of building a
    # first solution, so the result is never worse than this plan when it is feasible; when it is
    # not (a broken window, a vehicle a visit may not use, more unloading stops than allowed...) the
    # search starts from scratch as usual. Vehicles not listed start empty; visits not listed start
    # unassigned. Ids must exist in the problem (``solve`` raises ProblemError otherwise).
    # ``Route.plan_ids`` gives a solution's routes in this form.
    initial_routes: tuple[tuple[str, tuple[str | None, ...]], ...] = ()
    # Tuning of the ruin-and-recreate search (``search_params.py``; the defaults are the shipped
    # settings). Sent with the options to portfolio members and decomposition workers.
    search: SearchParams = SearchParams()
